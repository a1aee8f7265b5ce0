"""-v=8/9 body logging: client-go's truncation and hex dumps; Secret values masked (kpy's one difference)."""

from __future__ import annotations

import json

from kpy.rest.bodylog import format_body, hex_dump, redact, truncate


def test_truncation_limits_are_client_gos() -> None:
    text = "x" * 20000
    assert truncate(text, 8) == "x" * 1024 + " [truncated 18976 chars]"
    assert truncate(text, 9) == "x" * 10240 + " [truncated 9760 chars]"
    assert truncate(text, 10) == text
    assert truncate("short", 8) == "short"


def test_hex_dump_is_gos() -> None:
    # what kubectl printed for the start of a protobuf ConfigMap body
    data = bytes.fromhex("6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67")
    assert hex_dump(data) == (
        "00000000  6b 38 73 00 0a 0f 0a 02  76 31 12 09 43 6f 6e 66  |k8s.....v1..Conf|\n"
        "00000010  69 67                                             |ig|\n"
    )


def test_text_and_binary_bodies_in_klogs_structured_form() -> None:
    assert format_body("Response Body", b'{"a":"b"}', 8) == '"Response Body" body="{\\"a\\":\\"b\\"}"'
    assert format_body("Request Body", b"", 8) == '"Request Body" body=""'
    binary = format_body("Request Body", b"k8s\x00\x0a", 8)
    assert binary == '"Request Body" body=<\n\t00000000  6b 38 73 00 0a' + " " * 36 + "|k8s..|\n >"


def test_secret_values_and_tokens_are_masked() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "czNjcjN0"}}
    assert json.loads(redact(json.dumps(secret).encode()))["data"] == {"password": "<masked>"}
    listed = {"kind": "SecretList", "items": [{"metadata": {"name": "s"}, "data": {"k": "dg=="}}]}
    assert b"dg==" not in redact(json.dumps(listed).encode())
    token = {"kind": "TokenRequest", "status": {"token": "eyJhbGciOi", "expirationTimestamp": "x"}}
    assert b"eyJhbGciOi" not in redact(json.dumps(token).encode())
    table = {"kind": "Table", "rows": [{"object": secret}]}
    assert b"czNjcjN0" not in redact(json.dumps(table).encode())
    plain = b'{"kind":"ConfigMap","data":{"password":"visible"}}'
    assert redact(plain) is plain
