"""client-go's ``util/workqueue`` queue: a FIFO of keys with a dirty set and a processing set.

* a key is queued at most once (``add`` of a key already waiting does nothing),
* a key is never handed to two workers at once: ``add`` while it is being processed only marks it dirty, and
  ``done`` puts it back in the queue then,
* after ``shut_down`` new keys are ignored; workers still get what is queued, then ``ShutDown``.

The state machine is synchronous (``get_nowait``); ``get`` is the asyncio wait around it. Metrics follow
client-go's workqueue metrics (``QueueMetrics``) and read an injectable clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kpy.workqueue.metrics import QueueMetrics

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """The queue is shutting down and empty: the worker should stop."""


class QueueEmpty(Exception):
    """``get_nowait`` on a queue with nothing ready."""


class Queue(Generic[T]):
    """``workqueue.Typed``: ``add``, ``get``, ``done``, ``shut_down``, ``shut_down_with_drain``."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, metrics: QueueMetrics | None = None
    ) -> None:
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._shutting_down = False
        self._drain = False
        self.clock = clock
        self.metrics = metrics if metrics is not None else QueueMetrics(clock)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._idle: list[asyncio.Future[None]] = []

    # -- state machine ------------------------------------------------------------------------------
    def add(self, item: T) -> None:
        """Mark ``item`` as needing processing (ignored while shutting down)."""
        if self._shutting_down or item in self._dirty:
            return
        self.metrics.add(item)
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._wake_one()

    def __len__(self) -> int:
        """Keys waiting to be handed out (not those being processed)."""
        return len(self._queue)

    def get_nowait(self) -> T:
        """The next key, now marked processing; ``QueueEmpty`` if none is ready, ``ShutDown`` if none will be."""
        if not self._queue:
            if self._shutting_down:
                raise ShutDown
            raise QueueEmpty
        item = self._queue.popleft()
        self.metrics.get(item)
        self._processing.add(item)
        self._dirty.discard(item)
        return item

    def done(self, item: T) -> None:
        """``item`` is finished; if it was added meanwhile it is queued again now."""
        self.metrics.done(item)
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._wake_one()
        elif not self._processing:
            for fut in self._idle:
                if not fut.done():
                    fut.set_result(None)
            self._idle.clear()

    def shut_down(self) -> None:
        """Ignore new keys; workers drain what is queued and then get ``ShutDown``."""
        self._drain = False
        self._shutting_down = True
        self._wake_all()
        for fut in self._idle:
            if not fut.done():
                fut.set_result(None)
        self._idle.clear()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def processing(self) -> frozenset[T]:
        return frozenset(self._processing)

    def is_dirty(self, item: T) -> bool:
        return item in self._dirty

    # -- asyncio ------------------------------------------------------------------------------------
    async def get(self) -> T:
        """Wait for a key (client-go ``Get``); raises ``ShutDown`` once shutting down and empty."""
        while not self._queue and not self._shutting_down:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake_one()  # the wake-up meant for us goes to the next worker
                raise
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)
        return self.get_nowait()

    async def shut_down_with_drain(self) -> None:
        """``shut_down``, then wait until every key being processed is ``done`` (client-go
        ``ShutDownWithDrain``); a later ``shut_down`` stops the wait."""
        self._shutting_down = True
        self._drain = True
        self._wake_all()
        while self._processing and self._drain:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(fut)
            await fut

    def _wake_one(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def _wake_all(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
