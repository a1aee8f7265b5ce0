"""client-go's recording pipeline as one object: Recorder → Broadcaster → Correlator → BufferedSink.

Every input is accounted for exactly once in ``RecordStats``: created, patched (deduplicated into an existing
event), aggregated (folded into a "(combined from similar events)" event), spam-filtered, dropped (a full
broadcaster queue or sink buffer) or failed (bad input, or a write the server rejected or never accepted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kpy.events.broadcaster import Broadcaster, DeliveryMode, Watcher
from kpy.events.clock import NanoTime
from kpy.events.correlator import Correlator, CorrelatorOptions
from kpy.events.recorder import EventSource, ObjectRef, Recorder
from kpy.events.sink import BufferedSink, EventWrite, EventWriter, Outcome, SinkOptions
from kpy.gocompat.clock import Clock, RealClock

Event = dict[str, Any]


@dataclass
class RecordStats:
    read: int = 0
    created: int = 0
    patched: int = 0
    aggregated: int = 0
    spam_filtered: int = 0
    dropped: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)
    #: after an interrupt: inputs read whose write was never confirmed (None: the run was not interrupted)
    not_written: int | None = None

    @property
    def accounted(self) -> int:
        return self.created + self.patched + self.aggregated + self.spam_filtered + self.dropped + self.failed

    @property
    def written(self) -> int:
        """Inputs whose event the server has stored (created, or folded into a stored one)."""
        return self.created + self.patched + self.aggregated

    def summary(self) -> str:
        text = (
            f"read {self.read}, created {self.created}, patched {self.patched}, aggregated {self.aggregated}, "
            f"spam-filtered {self.spam_filtered}, dropped {self.dropped}, failed {self.failed}"
        )
        return text if self.not_written is None else f"{text}, not written {self.not_written}"


class RecordPipeline:
    """``async with RecordPipeline(writer) as p: await p.record(ref, "Normal", "Reason", "message")``."""

    def __init__(
        self,
        writer: EventWriter,
        *,
        correlator_options: CorrelatorOptions | None = None,
        sink_options: SinkOptions | None = None,
        delivery: DeliveryMode | str = DeliveryMode.BLOCK,
        queue_length: int = 1000,
        source: EventSource | None = None,
        clock: Clock | None = None,
        sink_clock: Clock | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        self.delivery = DeliveryMode(delivery)
        self.clock: Clock = clock or RealClock()
        nanotime = NanoTime(self.clock)
        self.broadcaster: Broadcaster[Event] = Broadcaster(queue_length, self.delivery)
        self.recorder = Recorder(self.broadcaster, source, clock=self.clock, nanotime=nanotime)
        self.correlator = Correlator(correlator_options, clock=self.clock, nanotime=nanotime)
        options = sink_options or SinkOptions()
        if self.delivery is DeliveryMode.BLOCK and not options.block_when_full:
            from dataclasses import replace

            options = replace(options, block_when_full=True)
        kwargs: dict[str, Any] = {} if rand is None else {"rand": rand}
        self.sink = BufferedSink(
            writer, options, clock=sink_clock or RealClock(), on_written=self._written, **kwargs
        )
        self._stats = RecordStats()
        self._watcher: Watcher[Event] | None = None
        self._consumer: asyncio.Task[None] | None = None
        #: events the correlator has handled so far (tests wait on it to step a fake clock in lockstep)
        self.correlated = 0

    async def __aenter__(self) -> RecordPipeline:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        if self._consumer is None:
            self.sink.start()
            self._watcher = self.broadcaster.watch()
            self._consumer = asyncio.create_task(self._consume(self._watcher))

    async def record(
        self,
        ref: ObjectRef,
        event_type: str,
        reason: str,
        message: str,
        *,
        action: str = "",
        related: ObjectRef | None = None,
    ) -> None:
        """One input event (raises ``UsageError`` for an invalid type/reason: count it with ``failed``)."""
        self.start()
        event = self.recorder.make(ref, event_type, reason, message, action=action, related=related)
        self._stats.read += 1
        if self.delivery is DeliveryMode.BLOCK:
            await self.broadcaster.action(event)
        else:
            self.broadcaster.action_or_drop(event)
            await asyncio.sleep(0)  # let the consumer run between inputs

    def failed(self, message: str) -> None:
        """An input that could not become an event (bad line, unknown kind)."""
        self._stats.read += 1
        self._stats.failed += 1
        if len(self._stats.errors) < 100:
            self._stats.errors.append(message)

    async def _consume(self, watcher: Watcher[Event]) -> None:
        async for event in watcher:
            result = self.correlator.correlate(event)
            self.correlated += 1
            if result.skip or result.event is None:
                self._stats.spam_filtered += 1
                continue
            outcome = (
                Outcome.AGGREGATED
                if result.aggregated
                else Outcome.PATCHED
                if result.patch is not None
                else Outcome.CREATED
            )
            await self.sink.put(EventWrite(result.event, result.patch, result.key, [outcome]))

    def _written(self, write: EventWrite, stored: Event) -> None:
        self.correlator.update_state(stored)

    async def close(self) -> RecordStats:
        """Drain everything: broadcaster, correlator, sink (which flushes its buffer), then final stats."""
        self.start()
        await self.broadcaster.shutdown()
        assert self._consumer is not None
        try:
            await self._consumer
        finally:
            await self.sink.close()
        return self.stats

    async def abort(self) -> None:
        """Stop now, writing nothing more: inputs not yet written stay unaccounted (``read - accounted``).

        A write whose request was already on its way may still have been stored by the server."""
        self.start()
        assert self._consumer is not None
        self._consumer.cancel()
        await asyncio.gather(self._consumer, return_exceptions=True)
        await self.sink.abort()

    @property
    def stats(self) -> RecordStats:
        s = self.sink.stats
        base = self._stats
        return RecordStats(
            read=base.read,
            created=s.created,
            patched=s.patched,
            aggregated=s.aggregated,
            spam_filtered=base.spam_filtered,
            dropped=self.broadcaster.dropped + s.dropped,
            failed=base.failed + s.failed,
            requests=s.requests,
            retries=s.retries,
            batches=s.batches,
            errors=[*base.errors, *s.errors],
        )
