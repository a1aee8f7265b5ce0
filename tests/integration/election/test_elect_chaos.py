"""Bounded chaos: ``kpy elect`` candidates on one Lease through leader SIGKILLs, graceful exits, API latency
spikes that make the leader lose the lease, a frozen (SIGSTOPped) leader, and injected 500/429 answers. The one hard property:
no two children are ever alive at the same time (see electhelpers for why the check is sound), and the
failovers really happened.

Deterministic enough for a loaded 2-core machine: the random choices come from a fixed seed, every wait is
a condition with a deadline derived from LeaseDuration (never a tight timing), and what is asserted (mutual
exclusion, a failover count) does not depend on how fast the machine is. Each kind of failover runs once
here; ``bench/elect.py --failovers 100`` is the long run (README "Benchmarks").
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.election.electhelpers import (
    CHILD,
    LEASE,
    LINUX_ONLY,
    PATIENCE,
    RENEW,
    RETRY,
    TIMINGS,
    Pool,
    Run,
    assert_exclusive,
    pid_alive,
    read_runs,
    wait_until,
)

pytestmark = LINUX_ONLY

CANDIDATES = 4
ACTIONS = ("kill", "exit", "latency", "stop")
FAILOVERS = len(ACTIONS)
BUDGET = 300.0  # hard stop for the whole test, only a hang reaches it; it normally takes ~15 s
# after the leader goes away (killed or lost the lease) someone must lead within this: the lease must expire
# (LeaseDuration after the last renewal a follower saw) plus a jittered retry, plus generous slack
FAILOVER_DEADLINE = 3 * LEASE + 2.2 * RETRY + PATIENCE


@pytest.fixture
def pool(emu: Any, tmp_path: Path) -> Iterator[Pool]:
    p = Pool(emu.kubeconfig_path, tmp_path, f"chaos-{uuid.uuid4().hex[:8]}", TIMINGS)
    try:
        yield p
    finally:
        emu.call(emu.emulator.faults.clear)
        p.close()


def test_the_overlap_detector_catches_two_live_children(tmp_path: Path) -> None:
    """The chaos test's check is only worth something if it fails when two children do overlap."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    journal, lock = tmp_path / "journal", tmp_path / "lock"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(journal), str(lock), name]) for name in ("x", "y")
    ]
    try:
        wait_until(lambda: len(read_runs(journal)) == 2, 10, "both children")
        time.sleep(0.2)  # let both beat a few times
    finally:
        for p in procs:
            p.kill()
            p.wait()
    runs = read_runs(journal)
    assert [r.overlap for r in runs] == [False, True]
    with pytest.raises(AssertionError, match="still alive"):
        assert_exclusive(journal)


def test_chaos_failovers_never_run_two_children_at_once(emu: Any, pool: Pool) -> None:
    faults = emu.emulator.faults
    rng = random.Random(20240611)
    started = time.monotonic()
    serial = 0

    def replenish() -> None:
        nonlocal serial
        while len(pool.live()) < CANDIDATES:
            pool.spawn(f"c{serial:02d}")
            serial += 1

    def current() -> Run:
        """The child that runs now (the last one started), once its start is journaled."""
        runs = wait_until(lambda: pool.runs(), FAILOVER_DEADLINE, "a child to start")
        return runs[-1]

    def next_start(after: int) -> Run:
        return wait_until(lambda: pool.runs()[after:], FAILOVER_DEADLINE, f"child #{after + 1} to start")[0]

    replenish()
    leader = current()
    actions: list[str] = []
    timings: list[str] = []
    while len(pool.runs()) - 1 < FAILOVERS:
        assert time.monotonic() - started < BUDGET, f"only {len(pool.runs()) - 1} failovers in {BUDGET}s"
        n = len(pool.runs())
        # background noise on the lease: failed requests (retried by kpy) and short latency spikes
        if rng.random() < 0.6:
            emu.call(
                faults.fail_next, rng.randint(1, 3), rng.choice([500, 429]), match=f"/leases/{pool.lease}"
            )
        if rng.random() < 0.4:
            emu.call(faults.set_latency, rng.uniform(0.05, 0.4), match=f"/leases/{pool.lease}")
        time.sleep(rng.uniform(0.0, 2 * RETRY))  # let the leader renew through it (or not)
        action = ACTIONS[len(actions) % len(ACTIONS)]
        actions.append(action)
        t_action = time.monotonic()
        leader_kpy = pool.by_ident(leader.ident)
        leader_pid = leader.pid
        if action == "kill":  # SIGKILL the leader's kpy; its child dies with it
            leader_kpy.proc.send_signal(signal.SIGKILL)
        elif (
            action == "stop"
        ):  # freeze the leader's kpy; its guard must stop the child before anyone takes over
            leader_kpy.proc.send_signal(signal.SIGSTOP)
        elif action == "exit":  # the command exits by itself; kpy releases the lease
            with contextlib.suppress(ProcessLookupError):  # it may have lost the lease to the noise
                os.kill(leader.pid, signal.SIGTERM)
        else:  # every lease request now outlives the renew deadline: the leader must stop its child
            emu.call(faults.set_latency, RENEW + 0.3, match=f"/leases/{pool.lease}")
            wait_until(lambda k=leader_kpy: not k.alive(), RENEW + LEASE + PATIENCE, "the leader to give up")
            stderr = leader_kpy.stderr()
            # a spike may also have been slow enough to lose the lease already (then a new leader shows up
            # below as usual)
            assert "lost lease" in stderr or "released lease" in stderr, stderr
        emu.call(faults.clear)
        if action == "stop":
            try:
                leader = next_start(n)
                assert not pid_alive(leader_pid), (
                    "the frozen leader's command was alive when the next started"
                )
            finally:
                leader_kpy.proc.send_signal(signal.SIGCONT)
            assert leader_kpy.proc.wait(PATIENCE) == 1
        replenish()
        leader = next_start(n)
        timings.append(f"{action}:{time.monotonic() - t_action:.1f}")
        # the previous leader's kpy is gone (killed, or exited after its child stopped)
        wait_until(lambda k=leader_kpy: not k.alive(), PATIENCE, "the previous leader's kpy to exit")
        replenish()

    runs = assert_exclusive(pool.journal)
    failovers = len(runs) - 1
    assert failovers >= FAILOVERS
    assert len({r.ident for r in runs}) == len(runs), "a kpy ran its command twice"
    # graceful exits and lost leases journal their stop; killed children cannot (PDEATHSIG), but the flock
    # check covers them
    assert set(ACTIONS) <= set(actions), actions
    print(f"{failovers} failovers in {time.monotonic() - started:.1f}s: {timings}")
