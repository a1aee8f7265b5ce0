"""client-go's delaying and rate-limiting queues: ``add_after`` and ``add_rate_limited`` on top of ``Queue``.

Keys wait in a heap ordered by when they are ready; a key already waiting keeps the earlier of its two ready
times (client-go's ``knownEntries``). ``pump`` moves ready keys into the queue and is pure (tests call it with
a fake clock); ``run`` is the asyncio loop that calls it whenever the next key is due or a new one arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from kpy.workqueue.queue import Queue
from kpy.workqueue.ratelimiter import RateLimiter, default_controller_rate_limiter

T = TypeVar("T", bound=Hashable)


class DelayingQueue(Queue[T]):
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self._heap: list[tuple[float, int, T]] = []
        self._ready_at: dict[T, float] = {}
        self._seq = itertools.count()
        self._changed = asyncio.Event()

    def add_after(self, item: T, delay: float) -> None:
        """Add ``item`` once ``delay`` seconds have passed (now if ``delay <= 0``)."""
        if self.shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        ready = self.clock() + delay
        known = self._ready_at.get(item)
        if known is not None and known <= ready:
            return
        self._ready_at[item] = ready
        heapq.heappush(self._heap, (ready, next(self._seq), item))
        self._changed.set()

    @property
    def waiting(self) -> int:
        """Keys waiting for their delay to pass."""
        return len(self._ready_at)

    def pump(self) -> float | None:
        """Queue every key whose time has come; the time the next one is due (None: nothing waiting)."""
        now = self.clock()
        while self._heap:
            ready, _, item = self._heap[0]
            if self._ready_at.get(item) != ready:
                heapq.heappop(self._heap)  # superseded by an earlier ready time
                continue
            if ready > now:
                return ready
            heapq.heappop(self._heap)
            del self._ready_at[item]
            self.add(item)
        return None

    async def run(self) -> None:
        """Move keys into the queue when they are due, until the queue shuts down."""
        while not self.shutting_down:
            self._changed.clear()
            due = self.pump()
            timeout = None if due is None else max(0.0, due - self.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def shut_down(self) -> None:
        super().shut_down()
        self._changed.set()


class RateLimitingQueue(DelayingQueue[T]):
    """``workqueue.TypedRateLimitingQueue``: ``add_rate_limited`` waits ``rate_limiter.when(item)``."""

    def __init__(
        self, rate_limiter: RateLimiter | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock=clock)
        self.rate_limiter = (
            rate_limiter if rate_limiter is not None else default_controller_rate_limiter(clock=clock)
        )

    def add_rate_limited(self, item: T) -> float:
        """Re-queue ``item`` after its back-off; returns the delay chosen."""
        delay = self.rate_limiter.when(item)
        self.metrics.retry()
        self.add_after(item, delay)
        return delay

    def forget(self, item: T) -> None:
        """``item`` succeeded: clear its failure history."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)
