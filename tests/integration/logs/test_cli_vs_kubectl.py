"""kpy logs and kubectl logs, same arguments, against the emulator's log scene: the same bytes, messages and
exit codes for one target without -f; kpy's own forms (several streams, -o json, regex, -A) on their own."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl
from tests.integration.logs import scene

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread() as thread:
        thread.call(scene.build, thread.emulator)
        yield thread


SAME = [
    ["logs", "web"],
    ["logs", "worker"],
    ["logs", "worker", "sidecar"],
    ["logs", "worker", "-c", "sidecar", "--previous"],
    ["logs", "worker", "-c", "worker", "--previous"],
    ["logs", "web", "--previous"],
    ["logs", "pending"],
    ["logs", "web", "--tail=2", "--timestamps"],
    ["logs", "web", "--limit-bytes=20"],
    ["logs", "web", "--since-time=2026-12-03T09:27:00Z"],
    ["logs", "web", "--since-time=2026-12-03T09:28:27.213191203Z", "--timestamps"],
    ["logs", "web", "--since=1s"],
    ["logs", "web", "--prefix"],
    ["logs", "web", "--tail=-5"],
    ["logs", "web", "--limit-bytes=-3"],
    ["logs", "web", "--since=1s", "--since-time=2026-12-03T09:27:00Z"],
    ["logs", "web", "--since-time=garbage"],
    ["logs", "-l", "app=web"],
    ["logs", "-l", "app=nope"],
    ["logs", "-l", "app=("],
    ["logs", "worker", "-c", "nope"],
    ["logs", "worker", "--all-containers", "-c", "worker"],
    ["logs", "web", "-c", "web", "extra"],
    ["logs", "pod/web", "pod/worker"],
    ["logs", "nope"],
    ["logs", "nope/x"],
    ["logs", "cm/nope"],
    ["logs", "deploy/nope"],
    ["-n", "nons", "logs", "web"],
]


class Res:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def both(emu: Any, args: list[str]) -> tuple[Any, Any]:
    full = ["-n", scene.NS, *args] if "-n" not in args else args
    return kpy(*full, kubeconfig=emu.kubeconfig_path), kubectl(*full, kubeconfig=emu.kubeconfig_path)


def kpy_in_process(emu: Any, args: list[str]) -> tuple[int, str, str]:
    """The real entry point (``kpy.cli.main.run``) in this process: the same code path, without a start-up."""
    from kpy.cli.main import run

    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    err = io.StringIO()
    env = {"KUBECONFIG": str(emu.kubeconfig_path), "NO_COLOR": "1", "HOME": "/nonexistent"}
    with (
        mock.patch.object(sys, "stdout", out),
        mock.patch.object(sys, "stderr", err),
        mock.patch.dict(os.environ, env),
    ):
        code = run(args)
    out.flush()
    return code, raw.getvalue().decode(), err.getvalue()


def test_same_as_kubectl(emu: Any) -> None:
    """Every case: kubectl runs in parallel, kpy in this process; all differences reported at once."""
    from concurrent.futures import ThreadPoolExecutor

    full = [["-n", scene.NS, *args] if "-n" not in args else args for args in SAME]
    with ThreadPoolExecutor(4) as pool:
        theirs = list(pool.map(lambda args: kubectl(*args, kubeconfig=emu.kubeconfig_path), full))
    differences = []
    for args, kubectl_result in zip(full, theirs, strict=True):
        expected = (kubectl_result.code, kubectl_result.out, kubectl_result.err)
        got = kpy_in_process(emu, args)
        if got != expected:
            differences.append((" ".join(args), got, expected))
    assert differences == []


def test_one_subprocess_run_matches(emu: Any) -> None:
    """The installed console script, once (the in-process runs above share its entry point)."""
    ours, theirs = both(emu, ["logs", "worker", "--tail=2"])
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, theirs.err)


@pytest.mark.parametrize(
    "args", [["logs"], ["logs", "-l", "app=web", "web"], ["logs", "web", "--since=abc"]], ids=str
)
def test_usage_errors_name_kpy(emu: Any, args: list[str]) -> None:
    theirs = kubectl("-n", scene.NS, *args, kubeconfig=emu.kubeconfig_path)
    code, _, err = kpy_in_process(emu, ["-n", scene.NS, *args])
    ours = type(theirs)(code, "", err)
    assert ours.code == theirs.code == 1
    # (cobra capitalised "Error:" for flag parse errors in some releases)
    assert ours.err == theirs.err.replace("kubectl logs", "kpy logs").replace(
        "Error: invalid", "error: invalid"
    )
    assert "Traceback" not in ours.err


def test_several_streams_are_prefixed_in_order(emu: Any) -> None:
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "worker", "--all-containers", "--tail=1"]))
    assert (res.code, res.err) == (0, "")
    assert (
        res.out
        == "[pod/worker/worker] worker warning on stderr\n[pod/worker/sidecar] sidecar warning on stderr\n"
    )


def test_regex_and_all_namespaces(emu: Any) -> None:
    res = Res(*kpy_in_process(emu, ["logs", "-A", "^wor", "--tail=1", "-c", "worker"]))
    assert (res.code, res.out) == (0, "[pod/worker/worker] worker warning on stderr\n")
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "we[b]", "--tail=1"]))
    assert res.out == "[pod/web/web] web warning on stderr\n"


def test_json_lines(emu: Any) -> None:
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "web", "--tail=2", "-o", "json"]))
    assert res.code == 0
    assert [json.loads(line) for line in res.out.splitlines()] == [
        {
            "namespace": "logt",
            "pod": "web",
            "container": "web",
            "time": "2026-12-03T09:28:27.213191202Z",
            "line": "web line 5",
        },
        {
            "namespace": "logt",
            "pod": "web",
            "container": "web",
            "time": "2026-12-03T09:29:27.213191202Z",
            "line": "web warning on stderr",
        },
    ]


def test_bad_output_and_max_streams(emu: Any) -> None:
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "web", "-o", "yaml"]))
    assert (res.code, res.err) == (
        1,
        'error: unable to match a printer suitable for the output format "yaml", allowed formats are: text,json\n',
    )
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "web", "--max-streams=0"]))
    assert (res.code, res.err) == (1, "error: --max-streams must be greater than 0\n")


def test_jsonpath_on_json_lines(emu: Any) -> None:
    def arrange(em: Any) -> None:
        em.api.create(
            em.logs.pods,
            scene.NS,
            {"metadata": {"name": "structured"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        )
        em.logs.run_pod(scene.NS, "structured")
        em.logs.append(scene.NS, "structured", "c", '{"level": "info", "msg": "ready"}', "not json")

    emu.call(arrange, emu.emulator)
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "structured", "--jsonpath", "{.level}: {.msg}"]))
    assert (res.code, res.out, res.err) == (0, "info: ready\nnot json\n", "")
    res = Res(*kpy_in_process(emu, ["-n", scene.NS, "logs", "structured", "--jsonpath", "{.level"]))
    assert res.code == 1 and res.err.startswith("error: error parsing jsonpath {.level, ")


def test_follow_one_pod_like_kubectl_then_through_a_restart(emu: Any) -> None:
    """kubectl logs -f and kpy logs -f print the same bytes while the container runs; when it restarts
    kubectl's stream ends with the old instance, kpy goes on with the new one; Ctrl-C exits 130."""
    import signal
    import subprocess
    import threading
    import time

    from tests.integration.clihelpers import KPY

    em = emu.emulator
    key = (scene.NS, "followed", "c")

    def arrange() -> None:
        em.api.create(
            em.logs.pods,
            scene.NS,
            {"metadata": {"name": "followed"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        )
        em.logs.run_pod(scene.NS, "followed")
        em.logs.append(*key, "before")

    def wait(cond: Any, what: str) -> None:
        deadline = time.monotonic() + 30
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cond(), what

    emu.call(arrange)
    env = {**os.environ, "KUBECONFIG": str(emu.kubeconfig_path), "NO_COLOR": "1"}
    argv = ["-n", scene.NS, "logs", "-f", "followed"]
    kpy_proc = subprocess.Popen([KPY, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    kubectl_proc = subprocess.Popen(
        [str(KUBECTL), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    kpy_out = bytearray()

    def pump() -> None:
        assert kpy_proc.stdout is not None
        for line in kpy_proc.stdout:
            kpy_out.extend(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        wait(lambda: emu.call(lambda: len(em.logs.containers[key].streams)) >= 2, "both follow streams open")
        emu.call(lambda: em.logs.append(*key, "while following"))
        emu.call(lambda: em.logs.restart(*key))
        kubectl_out, _ = kubectl_proc.communicate(timeout=30)  # its stream ended with the instance
        assert (kubectl_proc.returncode, kubectl_out) == (0, b"before\nwhile following\n")
        emu.call(lambda: em.logs.append(*key, "new instance"))
        wait(lambda: bytes(kpy_out).endswith(b"new instance\n"), "kpy prints the new instance")
        assert bytes(kpy_out) == kubectl_out + b"new instance\n"
        kpy_proc.send_signal(signal.SIGINT)
        assert kpy_proc.wait(30) == 130
    finally:
        for proc in (kpy_proc, kubectl_proc):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(5)
