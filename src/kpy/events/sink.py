"""A buffered, batching event sink with k8s.io/apiserver's audit ``buffered`` backend semantics.

- ``submit`` puts a write into a bounded buffer (``buffer_size``); a full buffer drops it and counts it (audit's
  "buffer queue blocked"), unless ``block_when_full`` makes ``put`` wait for room instead.
- One loop collects batches: a batch closes when it holds ``max_batch_size`` writes or when the
  ``max_batch_wait`` ticker fires; each batch first takes a token from the throttle (``throttle_qps`` /
  ``throttle_burst``; qps <= 0 disables it) and is then handed to the delegate, in the loop (sync) or in a task
  of its own (``async_delegate``) so the next batch can be collected meanwhile.
- ``close`` stops collection, hands everything still buffered to the delegate and waits for every delivery.

Events have no batch API, so delivering a batch means one create/PATCH per write, concurrently (at most
``max_in_flight``), with writes to the same event name strictly in order across batches. Until a write's request
starts (in the buffer, in a batch being collected, or delivered but waiting for a free slot or for the write
before it), later writes to the same event fold into it (``coalesce``): a create followed by three count PATCHes
becomes one create with the last count, which stores exactly what the writes in sequence would have stored.

Each write is retried like client-go's ``recordToSink``: up to ``max_tries`` (12) attempts, ``retry_sleep``
(10 s) apart with the first sleep randomized, for transport errors, 5xx and 429; any other 4xx is a rejected
event and is not retried. AlreadyExists counts as written (client-go does the same), and a PATCH of an event
that no longer exists becomes a create.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from kpy.errors import AlreadyExists, ApiError, ConnectionFailed, NotFound
from kpy.flowcontrol.tokenbucket import TokenBucket
from kpy.gocompat.clock import Clock, RealClock

log = logging.getLogger("kpy.events")

Event = dict[str, Any]

#: how many written event names the sink remembers (a forgotten one costs one extra request, never correctness)
KNOWN_NAMES = 65536


class Outcome(StrEnum):
    """What became of one input event whose write succeeded."""

    CREATED = "created"
    PATCHED = "patched"
    AGGREGATED = "aggregated"


@dataclass(frozen=True)
class SinkOptions:
    buffer_size: int = 10000
    max_batch_size: int = 400
    max_batch_wait: float = 30.0
    throttle_qps: float = 10.0
    throttle_burst: int = 15
    async_delegate: bool = True
    block_when_full: bool = False
    coalesce: bool = True
    max_tries: int = 12
    retry_sleep: float = 10.0
    max_in_flight: int = 16

    def validate(self) -> None:
        if self.buffer_size < 1 or self.max_batch_size < 1 or self.max_in_flight < 1:
            raise ValueError("buffer size, max batch size and max in flight must be at least 1")
        if self.max_batch_wait <= 0:
            raise ValueError("max batch wait must be positive")
        if self.throttle_qps > 0 and self.throttle_burst < 1:
            raise ValueError("throttle burst must be at least 1 when the throttle is on")
        if self.max_tries < 1 or self.retry_sleep < 0:
            raise ValueError("max tries must be at least 1 and retry sleep not negative")


class EventWriter(Protocol):
    """Where writes go (the API server, or a test double)."""

    async def create(self, namespace: str, event: Event) -> Event: ...

    async def patch(self, namespace: str, name: str, patch: dict[str, Any], event: Event) -> Event: ...


@dataclass
class EventWrite:
    """One create (``patch`` None) or PATCH of an event, carrying the outcomes of the inputs it stands for."""

    event: Event
    patch: dict[str, Any] | None
    key: str = ""
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str((self.event.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.event.get("metadata") or {}).get("namespace", ""))

    def absorb(self, later: EventWrite) -> None:
        """Fold a later write to the same event into this one (the later body carries the latest state)."""
        self.event = later.event
        if self.patch is not None and later.patch is not None:
            self.patch = later.patch
        else:
            self.patch = None
            (self.event.get("metadata") or {}).pop("resourceVersion", None)
        self.key = later.key
        self.outcomes.extend(later.outcomes)


@dataclass
class SinkStats:
    """Per input event: dropped, failed, or one of the outcomes; per write and batch: the work done."""

    accepted: int = 0
    dropped: int = 0
    failed: int = 0
    created: int = 0
    patched: int = 0
    aggregated: int = 0
    coalesced: int = 0
    writes: int = 0
    requests: int = 0
    retries: int = 0
    batches: int = 0
    largest_batch: int = 0
    errors: list[str] = field(default_factory=list)

    def outcome(self, outcome: Outcome, n: int = 1) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + n)

    def error(self, message: str) -> None:
        if len(self.errors) < 100:
            self.errors.append(message)


def is_retryable(exc: BaseException) -> bool:
    """Transport errors, 5xx and 429 are worth another try; other API errors mean the event was rejected."""
    if isinstance(exc, ApiError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (ConnectionFailed, OSError, asyncio.TimeoutError)) or type(
        exc
    ).__module__.startswith("aiohttp")


class BufferedSink:
    def __init__(
        self,
        writer: EventWriter,
        options: SinkOptions | None = None,
        *,
        clock: Clock | None = None,
        rand: Callable[[], float] = random.random,
        on_written: Callable[[EventWrite, Event], None] | None = None,
    ) -> None:
        self.writer = writer
        self.options = options or SinkOptions()
        self.options.validate()
        self.clock: Clock = clock or RealClock()
        self.rand = rand
        self.on_written = on_written
        self.stats = SinkStats()
        self._buffer: deque[EventWrite] = deque()
        self._pending: dict[tuple[str, str], EventWrite] = {}
        self._wakeup = asyncio.Event()
        self._space = asyncio.Event()
        self._tick = False
        self._stopping = False
        self._closed = False
        self._tails: dict[tuple[str, str], asyncio.Future[None]] = {}
        self._deliveries: set[asyncio.Task[None]] = set()
        self._gathers: set[asyncio.Future[list[None]]] = set()
        self._in_flight = asyncio.Semaphore(self.options.max_in_flight)
        #: client-go's token bucket (flowcontrol.NewTokenBucketRateLimiterWithClock) on this sink's clock
        self._bucket = TokenBucket(
            self.options.throttle_qps,
            self.options.throttle_burst,
            clock=self.clock.now,
            sleep=self.clock.sleep,
        )
        #: events this sink has written: a repeat of one is a PATCH, of any other a create (no doomed PATCH)
        self._known: set[tuple[str, str]] = set()
        self._run_task: asyncio.Task[None] | None = None
        self._ticker_task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._run_task is None:
            self._ticker_task = asyncio.create_task(self._ticker())
            self._run_task = asyncio.create_task(self._run())

    async def __aenter__(self) -> BufferedSink:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Deliver everything buffered, wait for every write, then stop."""
        if self._closed:
            return
        self.start()
        self._stopping = True
        self._wakeup.set()
        self._space.set()
        assert self._run_task is not None and self._ticker_task is not None
        try:
            await self._run_task
        finally:
            self._ticker_task.cancel()
            await asyncio.gather(self._ticker_task, return_exceptions=True)
            self._closed = True

    async def abort(self) -> None:
        """Stop at once: cancel collection and every delivery; what is buffered or in flight is abandoned."""
        self._stopping = True
        self._closed = True
        self._space.set()
        tasks: list[asyncio.Future[Any]] = [
            t for t in (self._run_task, self._ticker_task, *self._deliveries, *self._gathers) if t is not None
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- input -------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._buffer)

    def submit(self, write: EventWrite) -> bool:
        """Buffer a write without waiting; False (and counted as dropped) when the buffer is full or closed."""
        n = len(write.outcomes) or 1
        if self._stopping:
            self.stats.dropped += n
            self.stats.error("event sink shut down")
            return False
        if self._coalesce(write):
            return True
        if len(self._buffer) >= self.options.buffer_size:
            self.stats.dropped += n
            self.stats.error("event buffer full")
            return False
        self._enqueue(write)
        return True

    async def put(self, write: EventWrite) -> bool:
        """``submit``, but with ``block_when_full`` wait for room instead of dropping."""
        if self.options.block_when_full:
            while (
                not self._stopping
                and len(self._buffer) >= self.options.buffer_size
                and not self._can_coalesce(write)
            ):
                self._space.clear()
                await self._space.wait()
        return self.submit(write)

    def _can_coalesce(self, write: EventWrite) -> bool:
        return self.options.coalesce and (write.namespace, write.name) in self._pending

    def _coalesce(self, write: EventWrite) -> bool:
        if not self._can_coalesce(write):
            return False
        self._pending[(write.namespace, write.name)].absorb(write)
        self.stats.accepted += len(write.outcomes)
        self.stats.coalesced += 1
        return True

    def _enqueue(self, write: EventWrite) -> None:
        self._buffer.append(write)
        if self.options.coalesce:
            self._pending[(write.namespace, write.name)] = write
        self.stats.accepted += len(write.outcomes)
        self._wakeup.set()

    def _take(self) -> EventWrite:
        # it stays in _pending: until its request starts (``_started``) later writes still fold into it
        write = self._buffer.popleft()
        self._space.set()
        return write

    def _started(self, write: EventWrite) -> None:
        """The write's first request is about to go out: from now on it is final, later writes queue behind it."""
        key = (write.namespace, write.name)
        if self._pending.get(key) is write:
            del self._pending[key]

    # -- the batching loop ------------------------------------------------------------------------------------
    async def _ticker(self) -> None:
        while True:
            await self.clock.sleep(self.options.max_batch_wait)
            self._tick = True
            self._wakeup.set()

    async def _collect(self) -> list[EventWrite]:
        batch: list[EventWrite] = []
        while len(batch) < self.options.max_batch_size:
            if self._buffer:
                batch.append(self._take())
                continue
            if self._stopping:
                break
            if self._tick:
                self._tick = False
                break
            self._wakeup.clear()
            await self._wakeup.wait()
        return batch

    async def _run(self) -> None:
        while not self._stopping:
            await self._process(await self._collect())
        while self._buffer:  # after stop: everything that is left, in batches
            batch = [self._take() for _ in range(min(len(self._buffer), self.options.max_batch_size))]
            await self._process(batch)
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def _throttle(self) -> None:
        await self._bucket.wait()  # qps <= 0: no throttle

    async def _process(self, batch: list[EventWrite]) -> None:
        if not batch:
            return
        await self._throttle()
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        # order per event name is fixed here, synchronously, before any write of this batch starts
        delivery = asyncio.gather(*[self._chained(w) for w in batch])
        self._gathers.add(delivery)
        delivery.add_done_callback(self._gathers.discard)
        if self.options.async_delegate:
            task: asyncio.Task[None] = asyncio.ensure_future(self._await(delivery))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        else:
            await delivery

    @staticmethod
    async def _await(aw: Awaitable[Any]) -> None:
        await aw

    def _chained(self, write: EventWrite) -> Awaitable[None]:
        key = (write.namespace, write.name)
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        return self._write_after(previous, done, key, write)

    async def _write_after(
        self,
        previous: asyncio.Future[None] | None,
        done: asyncio.Future[None],
        key: tuple[str, str],
        write: EventWrite,
    ) -> None:
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._in_flight:
                self._started(write)
                await self._write(write)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    # -- one write, with client-go's retries ------------------------------------------------------------------
    async def _write(self, write: EventWrite) -> None:
        tries = 0
        self.stats.writes += 1
        while True:
            try:
                result = await self._attempt(write)
            except AlreadyExists:
                result = write.event
            except Exception as exc:  # every failure is counted; none escapes a background task unseen
                tries += 1
                if not is_retryable(exc):
                    self._fail(
                        write,
                        f"server rejected event {write.namespace}/{write.name} (will not retry): "
                        f"{_describe(exc)}",
                    )
                    return
                if tries >= self.options.max_tries:
                    self._fail(
                        write,
                        f"unable to write event {write.namespace}/{write.name} (retry limit "
                        f"exceeded): {_describe(exc)}",
                    )
                    return
                delay = self.options.retry_sleep
                if tries == 1:
                    delay *= self.rand()  # so many clients do not retry in lockstep
                self.stats.retries += 1
                log.debug(
                    "unable to write event %s/%s (may retry after %.3fs): %s",
                    write.namespace,
                    write.name,
                    delay,
                    _describe(exc),
                )
                await self.clock.sleep(delay)
                continue
            self._remember((write.namespace, write.name))
            for outcome in write.outcomes:
                self.stats.outcome(outcome)
            if self.on_written is not None:
                self.on_written(write, result)
            return

    async def _attempt(self, write: EventWrite) -> Event:
        key = (write.namespace, write.name)
        if write.patch is not None and key in self._known:
            try:
                self.stats.requests += 1
                return await self.writer.patch(write.namespace, write.name, write.patch, write.event)
            except NotFound:
                self._known.discard(key)  # the event expired or was deleted: create it again
        # a create never carries a resourceVersion; the writer only reads the body, so a shallow copy will do
        meta = {k: v for k, v in (write.event.get("metadata") or {}).items() if k != "resourceVersion"}
        body = {**write.event, "metadata": meta}
        self.stats.requests += 1
        try:
            stored = await self.writer.create(write.namespace, body)
        except AlreadyExists:
            if write.patch is None:
                raise
            # written before (by an earlier write this sink no longer remembers): update it instead
            self.stats.requests += 1
            stored = await self.writer.patch(write.namespace, write.name, write.patch, write.event)
        self._remember(key)
        return stored

    def _remember(self, key: tuple[str, str]) -> None:
        self._known.add(key)
        if len(self._known) > KNOWN_NAMES:
            self._known.pop()

    def _fail(self, write: EventWrite, message: str) -> None:
        self.stats.failed += len(write.outcomes)
        self.stats.error(message)
        log.debug("%s", message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return exc.format()
    return str(exc) or type(exc).__name__
