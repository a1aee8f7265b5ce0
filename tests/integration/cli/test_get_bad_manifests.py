"""`kpy get -f` on input kubectl refuses: kubectl 1.32's exact stderr line, exit 1, no traceback.

Each expected line was taken from ``kubectl get -f FILE`` against the emulator; where kubectl is installed, the
oracle test checks that it still says so, so the table cannot drift from kubectl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl

_POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"
_JSON_POD = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"n":%s}}'


def _laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


# (file name, content, kubectl's stderr)
CASES: list[tuple[str, bytes, str]] = [
    (
        "laughs.yaml",
        _laughs(),
        "error parsing laughs.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing",
    ),
    (
        "bignum.json",
        (_JSON_POD % ("9" * 5000)).encode(),
        'unable to decode "bignum.json": json: cannot unmarshal number '
        + "9" * 5000
        + " into Go value of type float64",
    ),
    (
        "inf.json",
        (_JSON_POD % "1e999999").encode(),
        'unable to decode "inf.json": json: cannot unmarshal number 1e999999 into Go value of type float64',
    ),
    (
        "nan.json",
        (_JSON_POD % "NaN").encode(),
        "error parsing nan.json: json: offset 69: invalid character 'N' looking for beginning of value",
    ),
    (
        "nan.yaml",
        (_POD + "spec:\n  n: .nan\n").encode(),
        "error parsing nan.yaml: error converting YAML to JSON: json: unsupported value: NaN",
    ),
    (
        "inf.yaml",
        (_POD + "spec:\n  n: .inf\n").encode(),
        "error parsing inf.yaml: error converting YAML to JSON: json: unsupported value: +Inf",
    ),
    (
        "deep.json",
        (
            '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"spec":'
            + "[" * 200000
            + "]" * 200000
            + "}"
        ).encode(),
        "error parsing deep.json: json: offset 10063: invalid character '[' exceeded max depth",
    ),
    (
        "deep.yaml",
        (
            "kind: Pod\napiVersion: v1\nmetadata: {name: x}\nspec: " + "[" * 200000 + "]" * 200000 + "\n"
        ).encode(),
        "error parsing deep.yaml: error converting YAML to JSON: yaml: line 4: exceeded max depth of 10000",
    ),
    (
        "binary.bin",
        bytes(range(256)) * 4,
        "error parsing binary.bin: error converting YAML to JSON: yaml: control characters are not allowed",
    ),
    (
        "ctrl.yaml",
        _POD.encode()[:-1] + b"\x01\n",
        "error parsing ctrl.yaml: error converting YAML to JSON: yaml: control characters are not allowed",
    ),
    (
        "items.yaml",
        b'apiVersion: v1\nkind: List\nitems: [1, "x", null]\n',
        'unable to decode "items.yaml": json: cannot unmarshal number into Go value of type map[string]interface {}',
    ),
    (
        "metadata.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata: [1,2]\n",
        'unable to decode "metadata.yaml": json: cannot unmarshal array into Go struct field '
        "metadataOnlyObject.metadata of type v1.ObjectMeta",
    ),
    (
        "kind.yaml",
        b'apiVersion: v1\nkind: ["Pod"]\nmetadata:\n  name: x\n',
        "unable to decode \"kind.yaml\": Object 'Kind' is missing in "
        '\'{"apiVersion":"v1","kind":["Pod"],"metadata":{"name":"x"}}\'',
    ),
    (
        "kind.json",
        b'{"metadata":{"name":"x"},"kind":["Pod"], "apiVersion":"v1"}',
        "unable to decode \"kind.json\": Object 'Kind' is missing in "
        '\'{"metadata":{"name":"x"},"kind":["Pod"], "apiVersion":"v1"}\'',
    ),
    (
        "name.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: 5\n",
        'unable to decode "name.yaml": json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name '
        "of type string",
    ),
    (
        "labels.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [1]\n",
        'unable to decode "labels.yaml": json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels'
        " of type map[string]string",
    ),
    (
        "toplist.yaml",
        b"[1,2]\n",
        'unable to decode "toplist.yaml": json: cannot unmarshal array into Go value of type unstructured.detector',
    ),
    (
        "badjson.json",
        b'{"apiVersion":"v1",\n "kind" "Pod"}',
        "error parsing badjson.json: json: offset 29: invalid character '\"' after object key",
    ),
    ("cut.json", b'{"apiVersion":"v1","kind":"Pod"', "error parsing cut.json: unexpected EOF"),
    (
        "recursive.yaml",
        b"a: &a [*a]\n",
        "error parsing recursive.yaml: error converting YAML to JSON: yaml: anchor 'a' value contains itself",
    ),
    (
        "undefined.yaml",
        b"a: *b\n",
        "error parsing undefined.yaml: error converting YAML to JSON: yaml: unknown anchor 'b' referenced",
    ),
    (
        "mapkey.yaml",
        _POD.encode() + b"  ? [1]\n  : y\n",
        "error parsing mapkey.yaml: error converting YAML to JSON: yaml: invalid map key: []interface {}{1}",
    ),
    # accepted by kubectl (numbers go-yaml cannot hold stay strings; invalid UTF-8 becomes U+FFFD): the server
    # is asked for the pod, as kubectl asks
    (
        "bignum.yaml",
        (_POD + "spec:\n  n: " + "9" * 5000 + "\n").encode(),
        'Error from server (NotFound): pods "x" not found',
    ),
    (
        "utf8.yaml",
        _POD.encode()[:-1] + b"\xff\xfe\n",
        'Error from server (NotFound): pods "x\ufffd\ufffd" not found',
    ),
]
IDS = [name for name, _, _ in CASES]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bad")
    for name, content, _ in CASES:
        (directory / name).write_bytes(content)
    return directory


@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, _, e in CASES], ids=IDS)
def test_kpy_refuses_with_kubectls_line(sandbox: Any, files: Path, name: str, expected: str) -> None:
    result = kpy("get", "-f", name, kubeconfig=sandbox.kubeconfig_path, cwd=files)
    assert (result.code, result.err) == (1, expected + "\n")
    assert result.out == ""


def test_billion_laughs_on_stdin_is_refused(sandbox: Any) -> None:
    result = kpy("get", "-f", "-", kubeconfig=sandbox.kubeconfig_path, stdin=_laughs().decode())
    assert (result.code, result.err) == (
        1,
        "error parsing STDIN: error converting YAML to JSON: yaml: document contains excessive aliasing\n",
    )


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; it is the oracle here")
@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, _, e in CASES], ids=IDS)
def test_kubectl_says_the_same(sandbox: Any, files: Path, name: str, expected: str) -> None:
    result = kubectl("get", "-f", name, kubeconfig=sandbox.kubeconfig_path, cwd=files)
    assert (result.code, result.err) == (1, expected + "\n")
