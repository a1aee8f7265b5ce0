"""kubectl logs against the emulator prints what it printed against the real kube-apiserver + kubelet reader
(the expected texts were recorded from shared/realk8s with kubectl 1.32; the scene mirrors its log files)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kubectl
from tests.integration.logs import scene

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

WEB = "".join(f"web line {i}\n" for i in range(1, 6)) + "web warning on stderr\n"
WORKER = WEB.replace("web", "worker")
SIDECAR = WEB.replace("web", "sidecar")
PREVIOUS = SIDECAR.replace("sidecar line", "sidecar (previous) line")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread() as thread:
        thread.call(scene.build, thread.emulator)
        yield thread


def k(emu: Any, *args: str) -> tuple[int, str, str]:
    res = kubectl("-n", scene.NS, *args, kubeconfig=emu.kubeconfig_path)
    return res.code, res.out, res.err


CASES = [
    (["logs", "web"], (0, WEB, "")),
    (["logs", "worker"], (0, WORKER, 'Defaulted container "worker" out of: worker, sidecar\n')),
    (["logs", "worker", "-c", "sidecar", "--previous"], (0, PREVIOUS, "")),
    (
        ["logs", "worker", "-c", "worker", "--previous"],
        (
            1,
            "",
            'Error from server (BadRequest): previous terminated container "worker" in pod "worker" not found\n',
        ),
    ),
    (
        ["logs", "web", "--previous"],
        (
            1,
            "",
            'Error from server (BadRequest): previous terminated container "web" in pod "web" not found\n',
        ),
    ),
    (["logs", "-n", "logt", "pending"], (0, "", "")),
    (["logs", "web", "--tail=2"], (0, "web line 5\nweb warning on stderr\n", "")),
    (["logs", "web", "--tail=0"], (0, "", "")),
    (["logs", "web", "--limit-bytes=20"], (0, "web line 1\nweb line ", "")),
    (["logs", "web", "--limit-bytes=5", "--tail=-1"], (0, "web l", "")),
    (
        ["logs", "web", "--since-time=2026-12-03T09:27:00Z"],
        (0, "web line 4\nweb line 5\nweb warning on stderr\n", ""),
    ),
    # sinceTime reaches the kubelet with second precision: 1 ns after line 5 still shows line 5
    (
        ["logs", "web", "--since-time=2026-12-03T09:28:27.213191203Z"],
        (0, "web line 5\nweb warning on stderr\n", ""),
    ),
    (["logs", "web", "--since=1s"], (0, "", "")),
    (["logs", "-l", "app=web"], (0, WEB, "")),
    (["logs", "-l", "app=nope"], (0, "", "No resources found in logt namespace.\n")),
    (["logs", "worker", "-c", "nope"], (1, "", "error: container nope is not valid for pod worker\n")),
    (
        ["logs", "nope"],
        (1, "", 'error: error from server (NotFound): pods "nope" not found in namespace "logt"\n'),
    ),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_kubectl_logs_like_real_server(emu: Any, args: list[str], expected: tuple[int, str, str]) -> None:
    assert k(emu, *args) == expected


def test_all_containers_one_block_each(emu: Any) -> None:
    """kubectl reads the streams one after the other in Go map order (random): compare the blocks."""
    code, out, err = k(emu, "logs", "worker", "--all-containers")
    assert (code, err) == (0, "")
    assert out in (WORKER + SIDECAR, SIDECAR + WORKER)


def test_timestamps_are_rfc3339_with_nine_digits(emu: Any) -> None:
    code, out, _ = k(emu, "logs", "web", "--tail=2", "--timestamps")
    assert (code, out) == (
        0,
        "2026-12-03T09:28:27.213191202Z web line 5\n2026-12-03T09:29:27.213191202Z web warning on stderr\n",
    )
    code, out, _ = k(emu, "logs", "web", "--tail=3", "--limit-bytes=12", "--timestamps")
    assert out == "2026-12-03T0"  # the prefix counts towards limitBytes


def test_raw_api_errors_match_real_server(emu: Any) -> None:
    def raw(query: str) -> tuple[int, str, str]:
        return k(emu, "get", "--raw", f"/api/v1/namespaces/{scene.NS}/pods/web/log?{query}")

    assert raw("sinceTime=bad")[2] == (
        'Error from server (BadRequest): parsing time "bad" as "2006-01-02T15:04:05Z07:00": cannot parse "bad" as "2006"\n'
    )
    assert raw("sinceTime=2026-13-03T09:28:27Z")[2] == (
        'Error from server (BadRequest): parsing time "2026-13-03T09:28:27Z": month out of range\n'
    )
    assert raw("tailLines=2&sinceTime=2026-12-03T09:27:00Z")[1] == "web line 5\nweb warning on stderr\n"
