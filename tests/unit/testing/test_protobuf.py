"""The emulator's reader of Kubernetes protobuf bodies (what kubectl's typed clients send)."""

from __future__ import annotations

import pytest

from kpy.testing.protobuf import ProtobufError, decode_object

# `kubectl create cm x --from-literal=a=b` as kubectl 1.32 sent it (from its -v=9 log).
KUBECTL_CONFIGMAP = bytes.fromhex(
    "6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 12 1b 0a 11 0a 01 78 12 00 1a 00"
    "22 00 2a 00 32 00 38 00 42 00 12 06 0a 01 61 12 01 62 1a 00 22 00"
)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value & ((1 << 64) - 1))
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw)


def test_kubectls_configmap_decodes_with_go_zero_values_omitted() -> None:
    assert decode_object(KUBECTL_CONFIGMAP) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "data": {"a": "b"},
    }


def test_pointer_zero_is_kept_and_negative_int_and_int_or_string_decode() -> None:
    meta = _field(1, b"d") + _field(7, 0)
    strategy = _field(1, b"RollingUpdate") + _field(2, _field(1, _field(1, 1) + _field(3, b"25%")))
    spec = _field(1, 0) + _field(4, strategy) + _field(5, -1)
    obj = decode_object(_envelope("apps/v1", "Deployment", _field(1, meta) + _field(2, spec)))
    assert obj["spec"] == {
        "replicas": 0,
        "minReadySeconds": -1,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}},
    }


def test_secret_bytes_become_base64_and_times_rfc3339() -> None:
    meta = _field(1, b"s") + _field(8, _field(1, 1_700_000_000))
    raw = _field(1, meta) + _field(2, _field(1, b"k") + _field(2, b"\x00\xff"))
    obj = decode_object(_envelope("v1", "Secret", raw))
    assert obj["data"] == {"k": "AP8="}
    assert obj["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _envelope("v1", "ConfigMap", _field(1, _field(99, b"x"))),
            "field 99 of ObjectMeta is not supported",
        ),
        (
            _envelope("storage.k8s.io/v1", "StorageClass", b""),
            "no protobuf support for StorageClass in storage.k8s.io/v1",
        ),
        (_envelope("batch/v1", "Job", _field(2, _field(11, b"x"))), "field 11 of JobSpec is not supported"),
    ],
)
def test_what_the_table_lacks_is_refused_not_dropped(body: bytes, message: str) -> None:
    with pytest.raises(ProtobufError) as info:
        decode_object(body)
    assert str(info.value) == message and info.value.unsupported


def test_not_protobuf() -> None:
    with pytest.raises(ProtobufError, match="expected prefix") as info:
        decode_object(b'{"kind": "ConfigMap"}')
    assert not info.value.unsupported
