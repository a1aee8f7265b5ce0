"""Helpers for tests that run several ``kpy elect`` processes on one Lease and check mutual exclusion.

Every child started by kpy runs :data:`CHILD`. It appends lines to a shared journal (one ``os.write`` on an
``O_APPEND`` descriptor per line, so lines from different processes never interleave)::

    IDENT PID KIND MONOTONIC TRANSITIONS

with KIND ``start``, ``beat`` (every 50 ms), ``stop`` (on SIGTERM or a graceful exit) or ``overlap``.
``time.monotonic()`` is CLOCK_MONOTONIC, one clock for the whole machine on Linux, so times from different
processes compare.

Why the overlap check is sound even when a child is SIGKILLed (PDEATHSIG when its kpy is killed) and so
cannot write its own ``stop``: at start every child takes ``flock(LOCK_EX | LOCK_NB)`` on a shared lock file
and holds it until it dies. The kernel releases a flock only when the holder's descriptors are closed, i.e.
when the process has really stopped running, so a child that fails to take the lock has proof that an
earlier child was still alive at its start, and journals ``overlap``. The heartbeat intervals (start to last
sign of life) are checked too: they must be disjoint, in start order.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY

#: the election tests need process groups, PR_SET_PDEATHSIG and /proc
LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="needs Linux process semantics (process groups, PR_SET_PDEATHSIG, /proc); runs on Linux",
)

#: the multi-process tests' short timings: lease duration, renew deadline, retry period, grace period. A leader
#: loses the lease when it cannot run for about 0.9 × LEASE − GRACE − RETRY (2.2 s here): long enough for a
#: machine whose two cores are busy with something else
LEASE, RENEW, RETRY, GRACE = 3.0, 2.0, 0.25, 0.25
TIMINGS = [
    "--lease-duration",
    "3s",
    "--renew-deadline",
    "2s",
    "--retry-period",
    "250ms",
    "--grace-period",
    "250ms",
]

CHILD = r"""
import fcntl, os, signal, sys, time
journal, lockfile, ident = sys.argv[1], sys.argv[2], sys.argv[3]
mode = sys.argv[4] if len(sys.argv) > 4 else "run"
fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
def log(kind):
    line = f"{ident} {os.getpid()} {kind} {time.monotonic():.6f} {os.environ.get('KPY_LEASE_TRANSITIONS')}\n"
    os.write(fd, line.encode())
lock = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o644)
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    held = True
except BlockingIOError:
    held = False
log("start")
if not held:
    log("overlap")
def bye(signum, frame):
    log("stop")
    os._exit(0)
signal.signal(signal.SIGTERM, bye)
if mode == "identity":
    with open(journal + ".identity", "w") as f:
        f.write(os.environ.get("KPY_IDENTITY", ""))
while True:
    log("beat")
    time.sleep(0.05)
"""


@dataclass
class Run:
    """One child's life as journaled: ``end`` is its last sign of life (last beat or stop)."""

    ident: str
    pid: int
    start: float
    end: float
    stopped: bool = False
    overlap: bool = False


def read_runs(journal: Path) -> list[Run]:
    """Children in start order."""
    if not journal.exists():
        return []
    runs: dict[int, Run] = {}
    for line in journal.read_text().splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue  # a line being written right now
        ident, pid, kind, t = parts[0], int(parts[1]), parts[2], float(parts[3])
        if kind == "start":
            runs[pid] = Run(ident, pid, t, t)
            continue
        run = runs.get(pid)
        if run is None:
            continue
        run.end = max(run.end, t)
        if kind == "stop":
            run.stopped = True
        elif kind == "overlap":
            run.overlap = True
    return sorted(runs.values(), key=lambda r: r.start)


def assert_exclusive(journal: Path) -> list[Run]:
    """No child ever started while another was alive; returns the runs."""
    runs = read_runs(journal)
    overlapping = [r.ident for r in runs if r.overlap]
    assert not overlapping, f"children started while another child was still alive: {overlapping}"
    for a, b in itertools.pairwise(runs):
        assert a.end < b.start, f"{a.ident} was alive at {a.end:.3f} when {b.ident} started at {b.start:.3f}"
    return runs


def wait_until(cond: Callable[[], Any], timeout: float, what: str, step: float = 0.02) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(step)


#: how long a test waits for something that takes a second or two on an idle machine: only a hang exhausts it
PATIENCE = 60.0


def last_lease_write(emu: Any, lease: str, before: float) -> float:
    """When the emulator received the last write (PUT/POST) of Lease ``lease`` before ``before`` (monotonic,
    the test process's clock). A follower can take over no sooner than a lease duration after that."""
    times = [
        r.started
        for r in list(emu.emulator.requests)
        if r.method in ("PUT", "POST") and r.path.endswith(f"/leases/{lease}") and r.started <= before
    ]
    assert times, f"no write of lease {lease} seen"
    return max(times)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (children of kpy are reaped by kpy, not by us)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


class Elector:
    def __init__(self, proc: subprocess.Popen[bytes], ident: str, err: Path) -> None:
        self.proc, self.ident, self.err = proc, ident, err

    def stderr(self) -> str:
        return self.err.read_text() if self.err.exists() else ""

    def alive(self) -> bool:
        return self.proc.poll() is None


class Pool:
    """``kpy elect`` processes on one lease, all journaling to ``dir/journal``; ``close()`` stops them all."""

    def __init__(self, kubeconfig: Path, directory: Path, lease: str, timings: list[str]) -> None:
        self.kubeconfig = kubeconfig
        self.dir = directory
        self.lease = lease
        self.timings = timings
        self.journal = directory / "journal"
        self.lockfile = directory / "child.lock"
        self.script = directory / "child.py"
        self.script.write_text(CHILD)
        self.electors: list[Elector] = []

    def spawn(self, ident: str | None, *extra: str, mode: str = "run", name: str | None = None) -> Elector:
        label = name or ident or f"anon{len(self.electors)}"
        err = self.dir / f"{label}.err"
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        argv = [KPY, "elect", "--lease", self.lease]
        if ident is not None:
            argv += ["--identity", ident]
        argv += [
            *self.timings,
            *extra,
            "--",
            sys.executable,
            str(self.script),
            str(self.journal),
            str(self.lockfile),
            label,
            mode,
        ]
        with err.open("w") as errf:
            proc = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf
            )
        elector = Elector(proc, label, err)
        self.electors.append(elector)
        return elector

    def by_ident(self, ident: str) -> Elector:
        return next(e for e in self.electors if e.ident == ident)

    def runs(self) -> list[Run]:
        return read_runs(self.journal)

    def live(self) -> list[Elector]:
        return [e for e in self.electors if e.alive()]

    def close(self) -> None:
        for e in self.electors:
            if e.alive():
                e.proc.send_signal(signal.SIGTERM)
        for e in self.electors:
            try:
                e.proc.wait(10)
            except subprocess.TimeoutExpired:
                e.proc.kill()
                e.proc.wait()
