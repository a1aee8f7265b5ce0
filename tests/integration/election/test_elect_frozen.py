"""A frozen ``kpy elect`` (SIGSTOP: what a debugger, heavy swapping or a paused VM look like to a process).

kpy's own stop deadline lives in its event loop, which a frozen kpy does not run; the guard process enforces
it instead. These tests freeze the leading kpy and check, with the children's own journal and flock (see
electhelpers), that no two children ever run at once; then freeze kpy *and* its guard, which nothing on the
machine can make safe, and check what is promised for that case (README, ``kpy elect``): once they run
again, the command is stopped at once and the lease is not renewed.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import Api
from tests.integration.election.electhelpers import (
    GRACE,
    LEASE,
    LINUX_ONLY,
    RETRY,
    TIMINGS,
    Pool,
    assert_exclusive,
    pid_alive,
    wait_until,
)

pytestmark = LINUX_ONLY

#: generous: these bound waits for things that happen within a lease or two on an idle machine
SLACK = 30.0


@pytest.fixture
def pool(emu: Any, tmp_path: Path) -> Iterator[Pool]:
    p = Pool(emu.kubeconfig_path, tmp_path, f"frozen-{uuid.uuid4().hex[:8]}", TIMINGS)
    try:
        yield p
    finally:
        for e in p.electors:  # never leave a stopped process behind
            if e.alive():
                for pid in (e.proc.pid, *guards_of(e.proc.pid)):
                    os.kill(pid, signal.SIGCONT)
        p.close()


def guards_of(pid: int) -> list[int]:
    """The guard processes started by kpy ``pid`` (its children run as ``python -I -S ...``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        if ppid == pid and b"\0-I\0-S\0" in cmdline:
            found.append(int(entry.name))
    return found


def state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat[stat.rfind(")") + 2 :].split()[0]


def lease_requests_since(emu: Any, lease: str, since: float, *, writes: bool = False) -> list[str]:
    """Methods of the requests on the lease received since ``since``; ``writes``: only successful ones."""
    return [
        r.method
        for r in list(emu.emulator.requests)
        if r.started >= since
        and r.path.endswith(f"/leases/{lease}")
        and (not writes or (r.status is not None and r.status < 300))
    ]


def lease_spec(emu: Any, name: str) -> dict[str, Any]:
    api = Api(emu.emulator.url, emu.emulator.ca_pem, emu.emulator.token)
    code, body = api.call("GET", f"/apis/coordination.k8s.io/v1/namespaces/default/leases/{name}")
    assert code == 200, body
    return dict(body["spec"])


def test_a_frozen_leader_s_command_is_stopped_before_another_candidate_starts_its_own(
    emu: Any, pool: Pool
) -> None:
    a, b = pool.spawn("a"), pool.spawn("b")
    first = wait_until(lambda: pool.runs(), SLACK, "the first child")[0]
    leader, follower = (a, b) if first.ident == "a" else (b, a)
    wait_until(
        lambda: f"new leader: {leader.ident}" in follower.stderr(), SLACK, "the follower to see the leader"
    )

    leader.proc.send_signal(signal.SIGSTOP)
    wait_until(lambda: state(leader.proc.pid) == "T", SLACK, "the leader's kpy to be stopped")
    try:
        # the follower takes over once the lease expires; by then the frozen leader's child must be gone
        second = wait_until(lambda: pool.runs()[1:], LEASE + 2.2 * RETRY + SLACK, "the follower's child")[0]
        assert second.ident == follower.ident
        assert not pid_alive(first.pid), f"the frozen leader's child is {state(first.pid)}"
        assert state(leader.proc.pid) == "T", "kpy ran again before the check: the test proves nothing"
    finally:
        leader.proc.send_signal(signal.SIGCONT)
    runs = assert_exclusive(pool.journal)  # zero overlap, as the children themselves measured it
    assert runs[0].stopped, "the command was not given SIGTERM first"

    # once it runs again, the stale leader finds out it lost, like after any loss: says so and exits 1
    assert leader.proc.wait(SLACK) == 1
    assert f"lost lease default/{pool.lease}: renewal overdue" in leader.stderr()
    assert lease_spec(emu, pool.lease)["holderIdentity"] == follower.ident
    assert [r.ident for r in pool.runs()] == [first.ident, second.ident]  # and it started nothing again


@pytest.mark.parametrize("first_to_run", ["kpy", "guard"])
def test_kpy_and_its_guard_frozen_together_stop_the_command_at_once_without_renewing(
    emu: Any, pool: Pool, first_to_run: str
) -> None:
    solo = pool.spawn("solo")
    child = wait_until(lambda: pool.runs(), SLACK, "the child")[0]
    guard = wait_until(lambda: guards_of(solo.proc.pid), SLACK, "the guard process")[0]

    for pid in (guard, solo.proc.pid):
        os.kill(pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    wait_until(lambda: state(guard) == state(solo.proc.pid) == "T", SLACK, "kpy and its guard to be stopped")
    # what cannot be promised: with both frozen, nothing stops the command while the lease runs out
    wait_until(lambda: time.monotonic() > frozen_at + LEASE + 2 * RETRY, SLACK, "the lease to run out")
    assert pid_alive(child.pid)

    resumed_at = time.monotonic()
    order = (solo.proc.pid, guard) if first_to_run == "kpy" else (guard, solo.proc.pid)
    for pid in order:
        os.kill(pid, signal.SIGCONT)
    # what is promised: the command is stopped at once (no renewal first), kpy reports the loss and exits 1
    assert solo.proc.wait(SLACK) == 1
    assert not pid_alive(child.pid)
    assert f"lost lease default/{pool.lease}: renewal overdue" in solo.stderr()
    # the only write after the thaw is the release (holderIdentity ""): no renewal was sent. (A renewal kpy
    # sent just before the freeze may land meanwhile without kpy seeing its answer; the release then meets a
    # 409 with its stale copy, reads the lease again and releases: PUT 409, GET, PUT.)
    assert lease_requests_since(emu, pool.lease, resumed_at, writes=True).count("PUT") == 1
    spec = lease_spec(emu, pool.lease)
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"]) == ("", 1)
    run = pool.runs()[0]
    # its last sign of life is within the grace period of the thaw (the bound is loose: it only catches a
    # command that ran on until something else happened)
    assert run.end - resumed_at < GRACE + 15


def test_the_guard_alone_frozen_changes_nothing(emu: Any, pool: Pool) -> None:
    """kpy still enforces the deadline itself: a frozen guard must not stop a healthy leader's command."""
    solo = pool.spawn("solo")
    child = wait_until(lambda: pool.runs(), SLACK, "the child")[0]
    guard = wait_until(lambda: guards_of(solo.proc.pid), SLACK, "the guard process")[0]
    os.kill(guard, signal.SIGSTOP)
    try:
        frozen_at = time.monotonic()
        wait_until(lambda: time.monotonic() > frozen_at + 2 * LEASE, SLACK, "two lease durations")
        assert pid_alive(child.pid) and solo.alive()
    finally:
        os.kill(guard, signal.SIGCONT)
    # renewals went on meanwhile, so the thawed guard has a deadline in the future and stops nothing
    wait_until(
        lambda: lease_requests_since(emu, pool.lease, time.monotonic() - LEASE).count("PUT") >= 2,
        SLACK,
        "renewals",
    )
    assert pid_alive(child.pid) and solo.alive()
