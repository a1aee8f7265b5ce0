"""The clock the event pipeline reads: wall seconds (timestamps, spam filter, aggregation windows) and sleep.

Injectable so tests drive time instead of sleeping. ``FakeClock`` either advances itself when slept on
(``auto_advance=True``: throttles and retries run instantly in virtual time) or holds sleepers until a test
calls ``advance`` (batch-wait timers a test wants to fire on purpose).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncio


class Clock(Protocol):
    def now(self) -> float: ...

    def now_ns(self) -> int:
        """The same instant as integer nanoseconds since the epoch (event names and the correlator's windows
        need all nine digits; a float of epoch seconds keeps only about seven)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def now_ns(self) -> int:
        return time.time_ns()

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Virtual time. ``sleeps`` records every requested sleep, in order."""

    def __init__(
        self, start: float = 1_700_000_000.0, *, auto_advance: bool = False, auto_limit: float = float("inf")
    ) -> None:
        self._ns = round(start * 1e9)
        self.auto_advance = auto_advance
        #: with auto_advance, sleeps longer than this still park until ``advance`` (e.g. a batch-wait ticker)
        self.auto_limit = auto_limit
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def t(self) -> float:
        """Virtual epoch seconds (settable; kept as integer nanoseconds inside)."""
        return self._ns / 1e9

    @t.setter
    def t(self, value: float) -> None:
        self._ns = round(value * 1e9)

    def now(self) -> float:
        return self.t

    def now_ns(self) -> int:
        return self._ns

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


class NanoTime:
    """Strictly increasing nanosecond stamps for event names (``<object>.<hex nanotime>``).

    client-go names events with ``time.Now().UnixNano()`` and relies on the clock never repeating; a fake clock
    (or a coarse one) would repeat, and a repeated name is an AlreadyExists the recorder silently treats as
    written. So each stamp is at least one nanosecond after the previous one. Stamps are the clock's integer
    nanoseconds (``now_ns``), never a float: all nine digits are kept.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last = 0

    def __call__(self) -> int:
        return self.unique(self.clock.now_ns())

    def unique(self, ns: int) -> int:
        """``ns`` itself, or one nanosecond after the last stamp handed out when it would repeat."""
        if ns <= self.last:
            ns = self.last + 1
        self.last = ns
        return ns


def format_time(ts: float) -> str:
    """metav1.Time: RFC 3339, seconds precision, UTC."""
    return datetime.fromtimestamp(int(ts // 1), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(ts: float) -> str:
    """metav1.MicroTime: RFC 3339 with microseconds, UTC."""
    micros = round(ts * 1e6)
    dt = datetime.fromtimestamp(micros // 1_000_000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros % 1_000_000:06d}Z"


def parse_time(value: object) -> float | None:
    """A metav1.Time / MicroTime string to epoch seconds; None (or unparsable) → None."""
    if not isinstance(value, str) or not value:
        return None
    return _parse_time_text(value)


@functools.lru_cache(maxsize=8192)  # events of one list share many timestamps (seconds precision)
def _parse_time_text(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.strip()).timestamp()  # Python >= 3.11 reads the trailing Z
    except ValueError:
        return None
