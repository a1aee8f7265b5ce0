"""A fan-out of items to watchers with per-watcher bounded queues (apimachinery ``watch.Broadcaster``).

The delivery mode is chosen once for the broadcaster:

- ``drop`` (at-most-once, client-go's ``DropIfChannelFull``): a watcher whose queue is full misses the item and
  its ``dropped`` counter goes up; the producer never waits.
- ``block`` (``WaitIfChannelFull``): ``action`` waits until every watcher has room, so every watcher receives
  every item.

Either way each watcher sees items in the order ``action`` was called (one lock orders the distribution), and
``shutdown`` lets every watcher drain what it already holds before its iteration ends.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class DeliveryMode(StrEnum):
    DROP = "drop"
    BLOCK = "block"


class BroadcasterStopped(Exception):
    """``action`` after ``shutdown``."""


class Watcher(Generic[T]):
    """One subscriber: an async iterator over the items broadcast after it subscribed."""

    def __init__(self, broadcaster: Broadcaster[T], queue_length: int) -> None:
        if queue_length < 1:
            raise ValueError("queue length must be at least 1")
        self._broadcaster = broadcaster
        self.queue_length = queue_length
        self._items: deque[T] = deque()
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._closed = False
        self._stopped = False
        self.delivered = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.queue_length

    def _try_put(self, item: T) -> bool:
        if self._stopped:
            return False
        if self.full:
            self.dropped += 1
            return False
        self._items.append(item)
        self._readable.set()
        return True

    async def _put(self, item: T) -> bool:
        while self.full and not self._stopped:
            self._space.clear()
            await self._space.wait()
        if self._stopped:
            return False
        self._items.append(item)
        self._readable.set()
        return True

    def _close(self) -> None:
        self._closed = True
        self._readable.set()

    def stop(self) -> None:
        """Unsubscribe now: items not yet read are discarded and the iteration ends."""
        self._stopped = True
        self._items.clear()
        self._broadcaster._remove(self)
        self._close()
        self._space.set()

    async def get(self) -> T:
        """The next item; raises ``StopAsyncIteration`` once the broadcaster shut down and this queue is empty."""
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._readable.clear()
            await self._readable.wait()
        item = self._items.popleft()
        self.delivered += 1
        self._space.set()
        return item

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self.get()


class Broadcaster(Generic[T]):
    def __init__(self, queue_length: int = 1000, mode: DeliveryMode | str = DeliveryMode.DROP) -> None:
        self.queue_length = queue_length
        self.mode = DeliveryMode(mode)
        self._watchers: list[Watcher[T]] = []
        self._lock = asyncio.Lock()
        self._stopped = False
        #: items ``action_or_drop`` refused because a watcher was full (block mode)
        self.refused = 0

    @property
    def watchers(self) -> list[Watcher[T]]:
        return list(self._watchers)

    @property
    def dropped(self) -> int:
        """Items lost across all watchers (drop mode), plus refused ``action_or_drop`` calls."""
        return sum(w.dropped for w in self._watchers) + self.refused

    def watch(self, queue_length: int | None = None) -> Watcher[T]:
        if self._stopped:
            raise BroadcasterStopped("broadcaster already stopped")
        watcher: Watcher[T] = Watcher(self, queue_length or self.queue_length)
        self._watchers.append(watcher)
        return watcher

    def _remove(self, watcher: Watcher[T]) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    async def action(self, item: T) -> int:
        """Distribute ``item``; returns how many watchers received it."""
        if self._stopped:
            raise BroadcasterStopped("broadcaster already stopped")
        async with self._lock:
            if self.mode is DeliveryMode.DROP:
                return sum(1 for w in list(self._watchers) if w._try_put(item))
            delivered = 0
            for w in list(self._watchers):
                delivered += await w._put(item)
            return delivered

    def action_or_drop(self, item: T) -> bool:
        """Never waits. Drop mode: like ``action``. Block mode: all or nothing — refused if any watcher is full."""
        if self._stopped:
            raise BroadcasterStopped("broadcaster already stopped")
        watchers = list(self._watchers)
        if self.mode is DeliveryMode.BLOCK:
            if self._lock.locked() or any(w.full for w in watchers):
                self.refused += 1
                return False
            for w in watchers:
                w._try_put(item)
            return True
        return any([w._try_put(item) for w in watchers])

    async def shutdown(self) -> None:
        """Stop accepting items; every watcher drains what it holds and then its iteration ends."""
        self._stopped = True
        async with self._lock:
            for w in list(self._watchers):
                w._close()
