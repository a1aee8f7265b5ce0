"""The run guard: a tiny process beside ``kpy on`` that kills the process groups of its runs when kpy dies.

Why: a run must not outlive kpy, even when kpy is killed by SIGKILL or the OOM killer. The kernel's
``PR_SET_PDEATHSIG`` would need code between fork and exec of every run (a Python ``preexec_fn`` makes each
spawn a full fork, or an extra exec of ``setpriv`` per run), and it only covers the direct child, not what
the run started. The guard covers each run's whole process group instead, at no cost per run beyond one
short write.

It is run as ``python -I -S runguard.py TOKEN CLOCK_ID`` and uses the standard library only (it is not imported as
part of kpy when it runs). Input, one line each on stdin:

``+N``
    a run started as the leader of process group N.
``-N``
    the run's group N is gone (or was killed): forget it, so a reused number is never signalled.
``until T``
    (``kpy on --elect``) runs may go on until T, seconds on clock ``CLOCK_ID``, kpy's stop deadline after its
    last successful lease renewal; each line replaces the previous one. When T passes without a newer one,
    the guard kills every run as below, even while kpy itself is frozen (SIGSTOP, a debugger, swapping), so
    no run goes on once another copy could take the lease. Later ``until`` lines are then ignored.
``done``
    kpy is stopping cleanly with no run left: exit without touching anything.
EOF without ``done``
    kpy died: SIGKILL every group still known, and every process whose environment carries
    ``KPY_ON_GUARD=TOKEN`` (a run spawned in the few microseconds between its start and kpy's ``+N`` line,
    or a process of a run that left its group), then exit.

A guard killed on its own (``kill -9`` of the guard alone) protects nothing afterwards; kpy's own shutdown
still stops every run it knows.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time

ENV = "KPY_ON_GUARD"


def marked(token: str) -> list[int]:
    """Processes whose environment has ``KPY_ON_GUARD=token`` (Linux: /proc; elsewhere none)."""
    needle = f"{ENV}={token}".encode()
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(int(name))
            except OSError:
                continue
    return found


def kill_all(groups: set[int], token: str) -> None:
    for pgid in groups:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    for pid in marked(token):
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class State:
    def __init__(self) -> None:
        self.groups: set[int] = set()
        self.until: float | None = None
        self.expired = False

    def feed(self, line: bytes) -> bool:
        """Apply one input line; False when the guard should exit (``done``)."""
        if line == b"done":
            return False
        if line[:1] in (b"+", b"-") and line[1:].isdigit():
            pgid = int(line[1:])
            if line[:1] == b"+":
                self.groups.add(pgid)
            else:
                self.groups.discard(pgid)
        elif line.startswith(b"until ") and not self.expired:
            with contextlib.suppress(ValueError):
                self.until = float(line[6:])
        return True


def main(argv: list[str]) -> int:
    token, clock_id = argv[1], int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only EOF or "done" ends the guard
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    state = State()
    buf = b""
    while True:
        timeout = None
        if state.until is not None and not state.expired:
            timeout = state.until - time.clock_gettime(clock_id)
            if timeout <= 0:  # the deadline passed (also: this guard was frozen past it)
                state.expired = True
                kill_all(state.groups, token)
                continue
        if not select.select([0], [], [], timeout)[0]:
            continue
        try:
            data = os.read(0, 65536)
        except InterruptedError:
            continue
        if not data:
            kill_all(state.groups, token)
            return 0
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if not state.feed(line.strip()):
                return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
