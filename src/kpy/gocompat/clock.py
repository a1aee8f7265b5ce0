"""The one clock every engine reads (events, leader election, flow control), real or fake.

:class:`Clock` has wall time (``now``/``now_ns``/``wall``: timestamps, Lease times, spam-filter windows),
monotonic time (``monotonic``: deadlines and decisions) and ``sleep``. Engines take one so tests drive time
instead of sleeping.

The real clock's monotonic seconds are ``CLOCK_BOOTTIME`` where the system has it (Linux): monotonic, one clock
for every process of the machine (so the elector can hand a deadline to its guard process) and, unlike
CLOCK_MONOTONIC, it keeps counting while the machine is suspended, so a laptop that wakes up after a lease ran
out knows at once that it did. Elsewhere ``CLOCK_MONOTONIC``.

:class:`FakeClock` either advances itself when slept on (``auto_advance=True``: throttles, retries and election
loops run instantly in virtual time) or holds sleepers until a test calls ``advance`` (timers a test wants to
fire on purpose). Its monotonic seconds start at ``start``; its wall time starts at ``wall`` (default: the
same instant as ``start`` read as epoch seconds) and moves with it.
"""

from __future__ import annotations

import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # asyncio loads when something sleeps: one-shot commands (kpy.cli.quick) never do
    import asyncio


class Clock(Protocol):
    def now(self) -> float:
        """Wall time, epoch seconds."""
        ...

    def now_ns(self) -> int:
        """The same instant as integer nanoseconds since the epoch (event names and the correlator's windows
        need all nine digits; a float of epoch seconds keeps only about seven)."""
        ...

    def wall(self) -> datetime:
        """Wall time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for deadlines and durations)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


def _deadline_clock_id() -> int:
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            time.clock_gettime(boottime)
            return int(boottime)
        except OSError:
            pass
    return int(time.CLOCK_MONOTONIC)


#: the ``time.clock_gettime`` clock of ``RealClock.monotonic`` (and of the election guard's deadlines)
DEADLINE_CLOCK_ID = _deadline_clock_id() if hasattr(time, "clock_gettime") else -1


class RealClock:
    def now(self) -> float:
        return time.time()

    def now_ns(self) -> int:
        return time.time_ns()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        if DEADLINE_CLOCK_ID < 0:
            return time.monotonic()
        return time.clock_gettime(DEADLINE_CLOCK_ID)

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Virtual time. ``sleeps`` records every requested sleep, in order."""

    def __init__(
        self,
        start: float = 1_700_000_000.0,
        *,
        wall: datetime | None = None,
        auto_advance: bool = False,
        auto_limit: float = float("inf"),
    ) -> None:
        self._ns = round(start * 1e9)
        #: wall nanoseconds minus monotonic nanoseconds
        self._wall_offset = 0 if wall is None else round(wall.timestamp() * 1e9) - self._ns
        self.auto_advance = auto_advance
        #: with auto_advance, sleeps longer than this still park until ``advance`` (e.g. a batch-wait ticker)
        self.auto_limit = auto_limit
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def t(self) -> float:
        """Virtual seconds (settable; kept as integer nanoseconds inside)."""
        return self._ns / 1e9

    @t.setter
    def t(self, value: float) -> None:
        self._ns = round(value * 1e9)

    def now(self) -> float:
        return (self._ns + self._wall_offset) / 1e9

    def now_ns(self) -> int:
        return self._ns + self._wall_offset

    def wall(self) -> datetime:
        seconds, ns = divmod(self._ns + self._wall_offset, 1_000_000_000)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1000)

    def monotonic(self) -> float:
        return self.t

    def set_ns(self, ns: int) -> None:
        """Jump to an exact instant (no sleeper is woken)."""
        self._ns = ns

    @property
    def waiting(self) -> int:
        """How many sleepers are parked (manual mode)."""
        return sum(1 for _, _, f in self._waiters if not f.done())

    def advance(self, seconds: float) -> None:
        self._ns += round(seconds * 1e9)
        while self._waiters and self._waiters[0][0] <= self.t:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.auto_advance and seconds <= self.auto_limit:
            self.advance(seconds)
            import asyncio

            await asyncio.sleep(0)
            return
        import asyncio

        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.t + seconds, next(self._seq), fut))
        if seconds == 0:
            self.advance(0)
        await fut
