"""The clock the elector reads: monotonic seconds for decisions, wall time for the Lease, and sleep.

Injectable so tests drive time instead of sleeping (``FakeClock``).

The real clock's "monotonic" seconds are ``CLOCK_BOOTTIME`` where the system has it (Linux): monotonic, one
clock for every process of the machine (so kpy can hand a deadline to its guard process), and, unlike
CLOCK_MONOTONIC, it keeps counting while the machine is suspended, so a laptop that wakes up after the lease
ran out knows at once that it did. Elsewhere ``CLOCK_MONOTONIC``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall(self) -> datetime: ...

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


#: the ``time.clock_gettime`` clock of ``RealClock.monotonic`` and of the guard's deadlines
DEADLINE_CLOCK_ID = _deadline_clock_id() if hasattr(time, "clock_gettime") else -1


class RealClock:
    def monotonic(self) -> float:
        if DEADLINE_CLOCK_ID < 0:
            return time.monotonic()
        return time.clock_gettime(DEADLINE_CLOCK_ID)

    def wall(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to (``advance``) or when someone sleeps on it."""

    def __init__(self, start: float = 1000.0, wall: datetime | None = None) -> None:
        self.now = start
        self._start = start
        self._wall0 = wall or datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.now - self._start)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)
