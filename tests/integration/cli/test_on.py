"""``kpy on`` as a user runs it: the real CLI in a subprocess against the emulator (add/update/delete, drain
on SIGTERM, a second signal, /metrics, bad input, and two ``--elect`` copies with a SIGKILLed leader)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from tests.integration.clihelpers import KPY, Api, kpy

from kpy.cache import spawn

ECHO = ["sh", "-c", 'echo "$KPY_EVENT $KPY_KEY retries=$KPY_RETRIES"']


class Lines:
    """Reads a stream in a thread; ``wait_for`` polls with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; got {self.lines}")
            try:
                line = self._q.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                if not predicate(self.lines):
                    raise AssertionError(f"stream ended; got {self.lines}")
                break
            self.lines.append(line)
        return self.lines

    def has(self, text: str, timeout: float = 30.0) -> None:
        self.wait_for(lambda lines: any(text in line for line in lines), timeout)


class OnProcess:
    def __init__(self, kubeconfig: Path, *args: str) -> None:
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "NO_COLOR": "1"}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        self.proc = subprocess.Popen(
            [KPY, "on", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out = Lines(self.proc.stdout)
        self.err = Lines(self.proc.stderr)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


@pytest.fixture
def namespace(api: Api, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "on-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    yield name


def cm(api: Api, ns: str, name: str, value: str, method: str = "POST") -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": {"v": value},
    }
    path = f"/api/v1/namespaces/{ns}/configmaps" + ("" if method == "POST" else f"/{name}")
    if method == "PUT":
        body["metadata"]["resourceVersion"] = api.call("GET", path)[1]["metadata"]["resourceVersion"]
    status, answer = api.call(method, path, body)
    assert status in (200, 201), answer


def test_add_update_delete_then_sigterm_exits_0(sandbox: Any, api: Api, namespace: str) -> None:
    cm(api, namespace, "a", "1")
    on = OnProcess(sandbox.kubeconfig_path, "configmaps", "-n", namespace, "--", *ECHO)
    try:
        on.out.has(f"Added {namespace}/a")
        cm(api, namespace, "a", "2", "PUT")
        on.out.has(f"Modified {namespace}/a")
        api.call("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/a")
        on.out.has(f"Deleted {namespace}/a")
    finally:
        code = on.stop()
    assert code == 0
    assert on.out.lines == [
        f"[{namespace}/a] Added {namespace}/a retries=0",
        f"[{namespace}/a] Modified {namespace}/a retries=0",
        f"[{namespace}/a] Deleted {namespace}/a retries=0",
    ]


def test_sigterm_lets_a_running_command_finish_and_a_second_signal_kills(
    sandbox: Any, api: Api, namespace: str, tmp_path: Path
) -> None:
    cm(api, namespace, "slow", "1")
    release = tmp_path / "release"
    pids = tmp_path / "pids"
    script = f"echo $$ >> {pids}; echo started; while [ ! -e {release} ]; do sleep 0.05; done; echo finished"
    on = OnProcess(sandbox.kubeconfig_path, "configmaps", "-n", namespace, "--", "sh", "-c", script)
    on.out.has("started")
    on.proc.send_signal(signal.SIGTERM)  # drain: the run may finish
    on.err.has("stopping: 1 running command(s) may finish within --grace-period 30s")
    release.touch()
    assert on.proc.wait(30) == 0
    on.out.has("finished")
    # now a run that never finishes: a second signal kills it at once
    release.unlink()
    on2 = OnProcess(sandbox.kubeconfig_path, "configmaps", "-n", namespace, "--", "sh", "-c", script)
    on2.out.wait_for(lambda lines: sum("started" in line for line in lines) == 1)
    child = int(pids.read_text().split()[-1])
    on2.proc.send_signal(signal.SIGTERM)
    on2.err.has("stopping:")  # the first signal was handled: a second one is not merged into it
    on2.proc.send_signal(signal.SIGTERM)
    assert on2.proc.wait(30) == 0
    on2.err.has("second signal")
    assert not any("finished" in line for line in on2.out.lines)
    assert _gone(child)


def _state(pid: int) -> str:
    """The process state letter once it is settled (R/S on the way to T after a SIGSTOP)."""
    deadline = time.monotonic() + 30
    while True:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in "TtZ" or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


def test_failing_command_is_retried_then_dropped_and_metrics_count_it(
    sandbox: Any, api: Api, namespace: str
) -> None:
    cm(api, namespace, "bad", "1")
    on = OnProcess(
        sandbox.kubeconfig_path,
        "configmaps",
        "-n",
        namespace,
        "--max-retries",
        "2",
        "--retry-base-delay",
        "1ms",
        "--metrics-address",
        "127.0.0.1:0",
        "--",
        "sh",
        "-c",
        'echo "try $KPY_RETRIES"; exit 7',
    )
    try:
        on.err.has('dropping "' + namespace + '/bad" out of the queue after 2 retries: exit code 7')
        on.err.has("serving /healthz and /metrics on http://127.0.0.1:")
        url = next(line for line in on.err.lines if "serving" in line).rsplit(" ", 1)[1]
        with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
            metrics = resp.read().decode()
        with urllib.request.urlopen(url + "/healthz", timeout=10) as resp:
            assert resp.read() == b"ok"
    finally:
        assert on.stop() == 0
    bad = [
        line
        for line in on.out.wait_for(lambda lines: sum("/bad]" in x for x in lines) >= 3)
        if "/bad]" in line
    ]
    assert bad == [f"[{namespace}/bad] try {i}" for i in range(3)]
    assert 'workqueue_retries_total{name="configmaps"} 2' in metrics
    assert 'kpy_on_failures_total{name="configmaps",code="7"} 3' in metrics
    assert 'kpy_on_dropped_total{name="configmaps"} 1' in metrics
    assert "workqueue_work_duration_seconds_count" in metrics
    assert "Traceback" not in "\n".join(on.err.lines)


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["nope", "--", "true"], 'error: the server doesn\'t have a resource type "nope"', 1),
        (["pods", "--workers", "0", "--", "true"], "error: --workers must be at least 1, got 0", 1),
        (
            ["pods", "--", "no-such-command-kpy"],
            'error: exec: "no-such-command-kpy": executable file not found',
            127,
        ),
    ],
)
def test_bad_input_is_one_line(sandbox: Any, args: list[str], message: str, code: int) -> None:
    result = kpy("on", *args, kubeconfig=sandbox.kubeconfig_path, timeout=30)
    assert result.code == code
    assert result.err.startswith(message), result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) <= 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and PDEATHSIG")
def test_two_elected_copies_fail_over_when_the_leader_is_killed(
    sandbox: Any, api: Api, namespace: str
) -> None:
    cm(api, namespace, "a", "1")
    timings = ["--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "250ms"]
    args = ["configmaps", "-n", namespace, "--elect", "on-test", *timings, "--", *ECHO]
    first = OnProcess(sandbox.kubeconfig_path, *args, "--identity", "first")
    first.err.has("acquired lease")
    first.out.has(f"Added {namespace}/a")
    second = OnProcess(sandbox.kubeconfig_path, *args, "--identity", "second")
    try:
        first.kill()  # SIGKILL: no release; the second must wait for the lease to expire
        cm(api, namespace, "b", "1")
        second.err.has("acquired lease", timeout=30)
        second.out.has(f"Added {namespace}/b")
        second.out.has(f"Added {namespace}/a")
        assert not any(f"{namespace}/b" in line for line in first.out.lines)
    finally:
        first.kill()
        code = second.stop()
    assert code == 0
    second.err.has("released lease")


@pytest.mark.skipif(not spawn.available(), reason="the run guard needs posix_spawn + pidfd_open (Linux 5.3+)")
def test_a_running_command_and_its_group_die_with_a_sigkilled_kpy(
    sandbox: Any, api: Api, namespace: str, tmp_path: Path
) -> None:
    cm(api, namespace, "a", "1")
    pidfile = tmp_path / "pid"
    on = OnProcess(
        sandbox.kubeconfig_path,
        "configmaps",
        "-n",
        namespace,
        "--",
        "sh",
        "-c",
        # a grandchild in the run's group too, with its environment cleared
        f"env -i sleep 60 & echo $$ $! > {pidfile}; echo started; exec sleep 60",
    )
    on.out.has("started")
    child, grandchild = (int(pid) for pid in pidfile.read_text().split())
    on.kill()
    assert _gone(child) and _gone(grandchild)


@pytest.mark.skipif(not spawn.available(), reason="the run guard needs posix_spawn + pidfd_open (Linux 5.3+)")
def test_a_frozen_elected_copy_s_runs_are_killed_before_its_lease_runs_out(
    sandbox: Any, api: Api, namespace: str, tmp_path: Path
) -> None:
    """kpy elect's guarantee for ``kpy on --elect``: a copy frozen (SIGSTOP, debugger, swap) while a run goes
    on loses that run at its stop deadline, before another copy could take the lease; thawed, it exits 1."""
    cm(api, namespace, "a", "1")
    pidfile = tmp_path / "pid"
    timings = ["--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "250ms"]
    on = OnProcess(
        sandbox.kubeconfig_path,
        *["configmaps", "-n", namespace, "--elect", "on-frozen", *timings],
        *["--", "sh", "-c", f"echo $$ > {pidfile}; echo started; exec sleep 60"],
    )
    try:
        on.out.has("started")
        child = int(pidfile.read_text())
        os.kill(on.proc.pid, signal.SIGSTOP)
        assert _state(on.proc.pid) == "T"
        assert _gone(child), "the run outlived its frozen copy's lease"
        assert _state(on.proc.pid) == "T"  # kpy was frozen throughout: the guard stopped it
    finally:
        os.kill(on.proc.pid, signal.SIGCONT)
    assert on.proc.wait(30) == 1
    on.err.has("lost lease")
