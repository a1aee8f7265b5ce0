"""The guard: a tiny process beside ``kpy elect`` that stops the command's process group on its own.

Why a separate process: kpy's own stop deadline lives in its event loop, and a frozen kpy (SIGSTOP, a
debugger, heavy swapping) runs no event loop. The guard only sleeps in ``select`` until the next deadline, so
it stops the command even while kpy cannot. It is run as ``python -I -S guard.py CLOCK_ID GRACE`` and uses
the standard library only (it is not imported as part of kpy when it runs).

Input, one line each on stdin (written by kpy, except ``pgid``):

``pgid N``
    the command's process group. The child writes it itself between fork and exec, so even a kpy frozen
    right after the fork leaves the guard knowing what to stop (kpy writes it again after the spawn).
``until T``
    the command may run until T, seconds on clock ``CLOCK_ID`` (``time.clock_gettime``; one clock for every
    process of the machine). Each line replaces the previous deadline.
``term``
    kpy has sent SIGTERM to the group itself: do not send another one (a second SIGTERM means "quit now" to
    many programs), only enforce the SIGKILL.
``done``
    the group is gone: exit without touching anything.
EOF without ``done``
    kpy died (even by SIGKILL or the OOM killer): SIGKILL the group at once.

When the deadline T passes without a newer one, the guard sends SIGTERM at ``T + lag`` (``lag`` =
min(GRACE / 4, 0.25 s): kpy, when it runs, sends its own SIGTERM at T and says ``term`` first, so the command
is not signalled twice), writing ``expired`` on stdout just *before* it (so that kpy, when it sees its
command end, can tell "the guard stopped it" from "it ended by itself"), and SIGKILL at ``T + GRACE`` if
anything of the group still runs. The hard bound is the SIGKILL at ``T + GRACE``: kpy computes T so that this is before any other
candidate can take the lease (see ``kpy.election.runner``). A guard that was itself frozen past that time
signals at once when it runs again.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` still runs (zombies, which can do nothing, do not count)."""
    if sys.platform.startswith("linux") and os.path.isdir("/proc"):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) >= 3 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pgid: int | None, sig: int) -> None:
    if pgid is None or not group_alive(pgid):
        return
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)


class Guard:
    """The guard's state; ``feed`` takes input lines, ``tick`` acts on the clock, ``timeout`` says when next."""

    def __init__(self, grace: float) -> None:
        self.grace = max(0.0, grace)
        self.lag = min(self.grace / 4, 0.25)
        self.pgid: int | None = None
        self.until: float | None = None
        self.expired = False
        self.termed = False
        self.killed = False

    def feed(self, line: str) -> bool:
        """Apply one input line; False when the guard should exit (``done``)."""
        word, _, arg = line.strip().partition(" ")
        if word == "done":
            return False
        if word == "pgid" and arg.isdigit():
            self.pgid = int(arg)
        elif word == "until" and not self.expired:  # once the guard has signalled, it is too late
            with contextlib.suppress(ValueError):
                self.until = float(arg)
        elif word == "term":
            self.termed = True
        return True

    def tick(self, now: float, report: Callable[[], None] | None = None) -> None:
        """Do what the deadline asks at ``now``; ``report`` is called before the guard's own SIGTERM."""
        if self.pgid is None or self.until is None:
            return
        if not self.termed and now >= self.until + self.lag:
            self.termed = self.expired = True
            if report is not None:
                report()
            _signal(self.pgid, signal.SIGTERM)
        if not self.killed and now >= self.until + self.grace:
            self.killed = self.expired = True
            _signal(self.pgid, signal.SIGKILL)

    def timeout(self, now: float) -> float | None:
        """Seconds until the next thing to do (None: only input can change anything)."""
        if self.pgid is None or self.until is None or self.killed:
            return None
        times = [self.until + self.grace]
        if not self.termed:
            times.append(self.until + self.lag)
        return max(0.0, min(times) - now)


def main(argv: list[str]) -> int:
    clock_id, grace = int(argv[1]), float(argv[2])
    guard = Guard(grace)

    def report() -> None:
        with contextlib.suppress(OSError):
            os.write(1, b"expired\n")

    buf = b""
    while True:
        guard.tick(time.clock_gettime(clock_id), report)
        ready, _, _ = select.select([0], [], [], guard.timeout(time.clock_gettime(clock_id)))
        if not ready:
            continue
        try:
            data = os.read(0, 4096)
        except InterruptedError:
            continue
        if not data:  # kpy is gone without saying "done"
            _signal(guard.pgid, signal.SIGKILL)
            return 0
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if not guard.feed(line.decode("ascii", "replace")):
                return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
