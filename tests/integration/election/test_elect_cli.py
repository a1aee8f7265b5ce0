"""``kpy elect`` processes competing for one Lease on the emulator; children journal their lifetimes.

Children append ``start``/``beat``/``stop`` lines with ``time.monotonic()`` (CLOCK_MONOTONIC is machine-wide
on Linux, so times from different processes compare) and the tests assert that lifetimes never overlap.
Durations are short (lease 3s, renew 2s, retry 0.3s, grace 0.3s) so the module stays fast.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, Api, kpy
from tests.integration.election.electhelpers import LINUX_ONLY, PATIENCE, last_lease_write

pytestmark = LINUX_ONLY

LEASE, RENEW, RETRY, GRACE = 3.0, 2.0, 0.3, 0.3  # see electhelpers for why 3 s
TIMINGS = [
    "--lease-duration",
    "3s",
    "--renew-deadline",
    "2s",
    "--retry-period",
    "300ms",
    "--grace-period",
    "300ms",
]

CHILD = r"""
import os, signal, sys, time
journal, ident = sys.argv[1], sys.argv[2]
def log(kind):
    with open(journal, "a") as f:
        f.write(f"{ident} {kind} {time.monotonic():.6f} {os.environ.get('KPY_LEASE_TRANSITIONS')}\n")
def bye(signum, frame):
    log("stop"); sys.exit(0)
signal.signal(signal.SIGTERM, bye)
log("start")
mode = sys.argv[3] if len(sys.argv) > 3 else "run"
if mode == "exit":
    time.sleep(0.5); log("stop"); sys.exit(3)
while True:
    log("beat"); time.sleep(0.05)
"""


class Elector:
    def __init__(self, proc: subprocess.Popen[str], ident: str, err: Path) -> None:
        self.proc, self.ident, self.err = proc, ident, err

    def stderr(self) -> str:
        return self.err.read_text()


@pytest.fixture
def lease_name() -> str:
    return f"l-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def spawn(emu: Any, tmp_path: Path, lease_name: str) -> Iterator[Any]:
    procs: list[Elector] = []
    journal = tmp_path / "journal"
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    def start(ident: str, *extra: str, mode: str = "run") -> Elector:
        err = tmp_path / f"{ident}.err"
        env = {**os.environ, "KUBECONFIG": str(emu.kubeconfig_path)}
        argv = [
            KPY,
            "elect",
            "--lease",
            lease_name,
            "--identity",
            ident,
            *TIMINGS,
            *extra,
            "--",
            sys.executable,
            str(script),
            str(journal),
            ident,
            mode,
        ]
        proc = subprocess.Popen(argv, env=env, stderr=err.open("w"), stdout=subprocess.DEVNULL, text=True)
        e = Elector(proc, ident, err)
        procs.append(e)
        return e

    start.journal = journal  # type: ignore[attr-defined]
    yield start
    for e in procs:
        if e.proc.poll() is None:
            e.proc.send_signal(signal.SIGTERM)
    for e in procs:
        try:
            e.proc.wait(10)
        except subprocess.TimeoutExpired:
            e.proc.kill()
            e.proc.wait()


def read_journal(path: Path) -> list[tuple[str, str, float]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((parts[0], parts[1], float(parts[2])))
    return out


def lifetimes(path: Path) -> list[tuple[str, float, float]]:
    """(identity, start, last sign of life) per child run, in start order."""
    runs: dict[str, list[float]] = {}
    order: list[str] = []
    for ident, kind, t in read_journal(path):
        if kind == "start":
            runs[ident] = [t, t]
            order.append(ident)
        elif ident in runs:
            runs[ident][1] = max(runs[ident][1], t)
    return [(i, runs[i][0], runs[i][1]) for i in order]


def assert_no_overlap(path: Path) -> None:
    lives = sorted(lifetimes(path), key=lambda x: x[1])
    for (a, _, a_end), (b, b_start, _) in itertools.pairwise(lives):
        assert a_end < b_start, f"{a} was still alive at {a_end} when {b} started at {b_start}"


def wait_until(cond: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def starts(path: Path) -> list[tuple[str, float]]:
    return [(i, t) for i, kind, t in read_journal(path) if kind == "start"]


def lease_spec(emu: Any, namespace: str, name: str) -> dict[str, Any]:
    api = Api(emu.emulator.url, emu.emulator.ca_pem, emu.emulator.token)
    code, body = api.call("GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}")
    assert code == 200, body
    return dict(body["spec"])


def test_two_electors_run_exactly_one_child(emu: Any, spawn: Any, lease_name: str) -> None:
    a, b = spawn("a"), spawn("b")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a child to start")
    # a follower that ignored the leader's renewals would take over within LeaseDuration + 2.2 × RetryPeriod
    time.sleep(LEASE + 2.2 * RETRY + 0.5)
    assert len(starts(spawn.journal)) == 1
    leader = starts(spawn.journal)[0][0]
    spec = lease_spec(emu, "default", lease_name)
    assert spec["holderIdentity"] == leader
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", spec["renewTime"])
    assert spec["leaseDurationSeconds"] == 3
    leader_proc = a if leader == "a" else b
    assert leader_proc.stderr().startswith(f"acquired lease default/{lease_name} as {leader}\n")
    follower = b if leader == "a" else a
    assert f"new leader: {leader}" in follower.stderr()


def test_sigkill_of_the_leader_fails_over_no_sooner_than_the_lease_allows(
    emu: Any, spawn: Any, lease_name: str
) -> None:
    electors = {i: spawn(i) for i in ("a", "b", "c")}
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a child to start")
    first = starts(spawn.journal)[0][0]
    time.sleep(1.0)
    killed_at = time.monotonic()
    electors[first].proc.send_signal(signal.SIGKILL)
    wait_until(
        lambda: len(starts(spawn.journal)) >= 2, LEASE + 2.2 * RETRY + PATIENCE, "a new leader's child"
    )
    second, started = starts(spawn.journal)[1]
    assert second != first
    # not before a lease duration after the old leader's last renewal reached the server (how soon after
    # that is a speed, measured by bench/elect.py)
    assert started >= last_lease_write(emu, lease_name, killed_at) + LEASE
    assert_no_overlap(spawn.journal)


def test_graceful_exit_releases_and_hands_over(emu: Any, spawn: Any, lease_name: str) -> None:
    a = spawn("a", mode="exit")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a's child")
    b = spawn("b")
    assert a.proc.wait(PATIENCE) == 3  # the child's exit code
    assert f"released lease default/{lease_name}" in a.stderr()
    # b takes over at its next try, well before the released lease (1 s) would have expired by itself; how
    # soon is a speed, measured by bench/elect.py
    wait_until(lambda: any(i == "b" for i, _ in starts(spawn.journal)), PATIENCE, "b's child")
    assert_no_overlap(spawn.journal)
    spec = lease_spec(emu, "default", lease_name)
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    del b


def test_renewal_failure_stops_the_child_before_the_lease_could_pass(emu: Any, spawn: Any) -> None:
    a = spawn("a")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a's child")
    time.sleep(0.5)
    emu.call(emu.emulator.faults.pause)
    paused_at = time.monotonic()
    try:
        assert a.proc.wait(3 * LEASE + PATIENCE) == 1
    finally:
        emu.call(emu.emulator.faults.resume)
    stops = [t for i, kind, t in read_journal(spawn.journal) if kind == "stop"]
    assert stops, "the child was not told to stop"
    # the last renewal was sent before the pause; 0.9 × lease after it the child must be gone
    assert stops[0] < paused_at + 0.9 * LEASE
    assert "lost lease" in a.stderr()


def test_status_shows_holder_and_transitions_as_json(emu: Any, spawn: Any, lease_name: str) -> None:
    spawn("a")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a's child")
    res = kpy("elect", "status", "--lease", lease_name, "-o", "json", kubeconfig=emu.kubeconfig_path)
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["holderIdentity"] == "a"
    assert data["expired"] is False
    assert data["leaseTransitions"] == 0
    text = kpy("elect", "status", "--lease", lease_name, kubeconfig=emu.kubeconfig_path)
    assert "Holder:         a\n" in text.out


def test_status_takes_flags_given_before_the_subcommand(emu: Any, spawn: Any, lease_name: str) -> None:
    """`kpy elect --lease x status` as kubectl reads flags: those before the subcommand apply to it."""
    spawn("a")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a's child")
    res = kpy("elect", "--lease", lease_name, "status", "-o", "json", kubeconfig=emu.kubeconfig_path)
    assert res.code == 0, res.err
    assert json.loads(res.out)["holderIdentity"] == "a"
    # a namespace before the subcommand counts too (the lease is in "default", not in kube-system)
    res = kpy("elect", "-n", "kube-system", "--lease", lease_name, "status", kubeconfig=emu.kubeconfig_path)
    assert res.code == 1
    assert (
        res.err.strip()
        == f'Error from server (NotFound): leases.coordination.k8s.io "{lease_name}" not found'
    )
    # and the subcommand's own flags win
    res = kpy(
        "elect",
        "-n",
        "kube-system",
        "--lease",
        "nope",
        "status",
        "-n",
        "default",
        "--lease",
        lease_name,
        kubeconfig=emu.kubeconfig_path,
    )
    assert res.code == 0, res.err
    assert "Holder:         a\n" in res.out


def test_status_of_a_missing_lease_is_a_not_found_error(emu: Any) -> None:
    res = kpy("elect", "status", "--lease", "nope-nope", kubeconfig=emu.kubeconfig_path)
    assert res.code == 1
    assert res.err.strip() == 'Error from server (NotFound): leases.coordination.k8s.io "nope-nope" not found'


def test_unknown_namespace_is_one_line_and_no_child(emu: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    res = kpy(
        "elect",
        "--lease",
        "x",
        "-n",
        "no-such-ns",
        *TIMINGS,
        "--",
        sys.executable,
        "-c",
        f"open({str(marker)!r}, 'w')",
        kubeconfig=emu.kubeconfig_path,
        timeout=20,
    )
    assert res.code == 1
    assert len(res.err.strip().splitlines()) == 1
    assert "no-such-ns" in res.err
    assert not marker.exists()


def test_missing_command_exits_127(emu: Any) -> None:
    res = kpy("elect", "--lease", "x", *TIMINGS, "--", "kpy-no-such-cmd", kubeconfig=emu.kubeconfig_path)
    assert res.code == 127
    assert "executable file not found in $PATH" in res.err


def test_kubectl_reads_the_lease_kpy_writes(emu: Any, spawn: Any, lease_name: str) -> None:
    import shutil

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed")
    spawn("a")
    wait_until(lambda: starts(spawn.journal), PATIENCE, "a's child")
    res = subprocess.run(
        [
            "kubectl",
            "get",
            "lease",
            lease_name,
            "-o",
            "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds} {.spec.leaseTransitions}",
        ],
        env={**os.environ, "KUBECONFIG": str(emu.kubeconfig_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == "a 3 0"
