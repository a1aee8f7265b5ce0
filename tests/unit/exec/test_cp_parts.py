"""Pure parts of exec/cp: kubectl's file specs and tar prefix, the pod's sums, comparison, container choice,
and the raw-mode guard."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from kpy.errors import UsageError
from kpy.exec.cp import compare, parse_sums
from kpy.exec.cpspec import FileSpec, check_specs, parse_file_spec, tar_prefix
from kpy.exec.target import ExecTargetError, default_container
from kpy.exec.tty import RawTerminal


@pytest.mark.parametrize(
    ("arg", "spec"),
    [
        ("/tmp/x", FileSpec("/tmp/x")),
        ("web:/tmp/x", FileSpec("/tmp/x", "web")),
        ("ns/web:/tmp/x", FileSpec("/tmp/x", "web", "ns")),
        ("web:", FileSpec("", "web")),
        ("web:a:b", FileSpec("a:b", "web")),
    ],
)
def test_parse_file_spec(arg: str, spec: FileSpec) -> None:
    assert parse_file_spec(arg) == spec


@pytest.mark.parametrize("arg", [":x", "a/b/c:x"])
def test_bad_file_spec(arg: str) -> None:
    with pytest.raises(
        UsageError, match=r"filespec must match the canonical format: \[\[namespace/\]pod:\]file/path"
    ):
        parse_file_spec(arg)


@pytest.mark.parametrize(
    ("src", "dest", "message"),
    [
        ("a:x", "b:y", "one of src or dest must be a local file specification"),
        ("a:", "y", "filepath can not be empty"),
        ("x", "y", "one of src or dest must be a remote file specification"),
    ],
)
def test_check_specs(src: str, dest: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_specs(parse_file_spec(src), parse_file_spec(dest))


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("/tmp/foo", "tmp/foo"),
        ("tmp/foo/", "tmp/foo"),
        ("../../etc", "etc"),
        ("./a/../b", "b"),
        ("/", ""),
        (".", ""),
    ],
)
def test_tar_prefix(path: str, prefix: str) -> None:
    assert tar_prefix(path) == prefix


def test_parse_sums_batches_and_escapes() -> None:
    out = (
        b"aa  one\n\\bb  new\\nline\\\\x\n--kpy-sizes-follow--\n1\n2\n"
        b"cc  sp ace \xc3\xbc\n--kpy-sizes-follow--\n30\n"
    )
    assert parse_sums(out) == {"one": (1, "aa"), "new\nline\\x": (2, "bb"), "sp ace ü": (30, "cc")}


def test_parse_sums_reads_openssls_lines_too() -> None:
    """``openssl dgst -sha256 -r`` (the pod's hasher when it has one) marks names with ``*``."""
    out = b"aa *one\ndd *two  spaces\n--kpy-sizes-follow--\n1\n22\nbb  x\n--kpy-sizes-follow--\n3\n"
    assert parse_sums(out) == {"one": (1, "aa"), "two  spaces": (22, "dd"), "x": (3, "bb")}


def test_compare_names_every_difference() -> None:
    local = {"a": (1, "x"), "b": (2, "y"), "c": (3, "z"), "": (0, "e")}
    remote = {"a": (1, "x"), "b": (3, "y"), "c": (3, "q"), "d": (4, "w"), "": (0, "e")}
    assert compare(local, remote) == [
        "b: size 2 here, 3 in the pod",
        "c: sha256 differs",
        "d: only in the pod",
    ]
    assert compare({"x": (1, "a")}, {}) == ["x: missing in the pod"]


def pod(
    containers: list[str], annotations: dict[str, str] | None = None, init: list[str] | None = None
) -> Any:
    spec: dict[str, Any] = {"containers": [{"name": c} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c} for c in init]
    return {"metadata": {"name": "p", "namespace": "ns", "annotations": annotations or {}}, "spec": spec}


def test_default_container() -> None:
    assert default_container(pod(["a"])) == ("a", None)
    assert default_container(pod(["a", "b"])) == ("a", 'Defaulted container "a" out of: a, b')
    assert default_container(pod(["a"], init=["i"])) == ("a", 'Defaulted container "a" out of: a, i (init)')
    annotated = {"kubectl.kubernetes.io/default-container": "b"}
    assert default_container(pod(["a", "b"], annotated)) == ("b", None)
    with pytest.raises(ExecTargetError, match="container zz is not valid for pod p out of: a, b"):
        default_container(pod(["a", "b"], {"kubectl.kubernetes.io/default-container": "zz"}))
    with pytest.raises(ExecTargetError, match="pod ns/p does not have any containers"):
        default_container(pod([]))


class FakeTermios:
    def __init__(self) -> None:
        self.attrs: list[Any] = ["cooked"]

    def tcgetattr(self, fd: int) -> list[Any]:
        return list(self.attrs)

    def tcsetattr(self, fd: int, when: int, attrs: list[Any]) -> None:
        self.attrs = list(attrs)


def test_raw_mode_restored_after_an_exception() -> None:
    fake = FakeTermios()

    def set_raw(fd: int) -> None:
        fake.attrs = ["raw"]

    with pytest.raises(RuntimeError), RawTerminal(0, termios_module=fake, set_raw=set_raw):
        assert fake.attrs == ["raw"]
        raise RuntimeError("boom")
    assert fake.attrs == ["cooked"]


def test_raw_mode_restored_on_sigterm_and_handlers_put_back() -> None:
    fake = FakeTermios()
    previous = signal.getsignal(signal.SIGTERM)

    def set_raw(fd: int) -> None:
        fake.attrs = ["raw"]

    with pytest.raises(SystemExit) as info, RawTerminal(0, termios_module=fake, set_raw=set_raw):
        signal.raise_signal(signal.SIGTERM)
    assert info.value.code == 128 + signal.SIGTERM
    assert fake.attrs == ["cooked"]
    assert signal.getsignal(signal.SIGTERM) is previous


def test_failing_raw_switch_leaves_nothing_behind() -> None:
    fake = FakeTermios()
    previous = signal.getsignal(signal.SIGTERM)

    def set_raw(fd: int) -> None:
        fake.attrs = ["half"]
        raise OSError("not a tty")

    with pytest.raises(OSError), RawTerminal(0, termios_module=fake, set_raw=set_raw):
        pass
    assert fake.attrs == ["cooked"] and signal.getsignal(signal.SIGTERM) is previous
