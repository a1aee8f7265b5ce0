from __future__ import annotations

import asyncio
import time
from typing import Any

from kpy.errors import NotFound
from kpy.events.correlator import CorrelatorOptions
from kpy.events.pipeline import RecordPipeline
from kpy.events.recorder import ObjectRef, make_event
from kpy.events.sink import SinkOptions
from kpy.gocompat.clock import FakeClock

from .helpers import SOURCE, predict, stored_view, until, workload


class StoreWriter:
    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.requests = 0

    async def create(self, namespace: str, event: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        self.store[event["metadata"]["name"]] = dict(event)
        return event

    async def patch(
        self, namespace: str, name: str, patch: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        self.requests += 1
        if name not in self.store:
            raise NotFound(f'events "{name}" not found', reason="NotFound")
        self.store[name].update(patch)
        return self.store[name]


FAST = SinkOptions(max_batch_wait=3600.0, throttle_qps=0)


async def run(
    inputs: list[tuple[float, str, str, str, str]], options: CorrelatorOptions, sink: SinkOptions = FAST
) -> tuple[StoreWriter, RecordPipeline, list[tuple[float, dict[str, Any]]]]:
    clock = FakeClock(0.0)
    writer = StoreWriter()
    pipeline = RecordPipeline(
        writer,
        correlator_options=options,
        sink_options=sink,
        source=SOURCE,
        clock=clock,
        sink_clock=FakeClock(),
    )
    made: list[tuple[float, dict[str, Any]]] = []
    async with pipeline:
        for at, obj, type_, reason, message in inputs:
            clock.t = at
            ref = ObjectRef("Pod", obj, "default", uid=f"uid-{obj}")
            await pipeline.record(ref, type_, reason, message)
            await until(lambda: pipeline.correlated == pipeline.stats.read)
            made.append(
                (at, make_event(ref, type_, reason, message, source=SOURCE, now=at, nanotime=len(made) + 1))
            )
    return writer, pipeline, made


async def test_hand_worked_small_input() -> None:
    """Burst 3; aggregate after 3 distinct messages; spam refills one token per 100 s.

    t=0 a → create a(1); t=0 a → patch a(2); t=0 b → create b(1) (bucket now empty);
    t=0 c → 3 distinct: combined (count 1) but filtered, and the oldest message (a) leaves the set;
    t=101 a → one token back (at t=100 not quite: the rate is float32(0.01), as in client-go); {b, c} + a =
    3 distinct → combined again, its second observation → a PATCH to
    count 2 of an event that was never written → 404 → created with count 2.
    """
    inputs = [
        (0.0, "web", "Normal", "R", "a"),
        (0.0, "web", "Normal", "R", "a"),
        (0.0, "web", "Normal", "R", "b"),
        (0.0, "web", "Normal", "R", "c"),
        (101.0, "web", "Normal", "R", "a"),
    ]
    options = CorrelatorOptions(spam_burst=3, spam_qps=0.01, aggregate_max_events=3)
    writer, pipeline, _ = await run(inputs, options)
    assert sorted(stored_view(e) for e in writer.store.values()) == [
        ("web", "Normal", "R", "(combined from similar events): a", 2),
        ("web", "Normal", "R", "a", 2),
        ("web", "Normal", "R", "b", 1),
    ]
    s = pipeline.stats
    assert (s.read, s.created, s.patched, s.aggregated, s.spam_filtered, s.dropped, s.failed) == (
        5,
        2,
        1,
        1,
        1,
        0,
        0,
    )
    assert s.accounted == s.read


async def test_ten_thousand_events_store_what_the_pure_correlator_predicts() -> None:
    inputs = workload(10_000)
    options = CorrelatorOptions()
    started = time.perf_counter()
    writer, pipeline, made = await run(inputs, options)
    elapsed = time.perf_counter() - started
    assert sorted(stored_view(e) for e in writer.store.values()) == predict(made, options)
    s = pipeline.stats
    assert s.read == 10_000 and s.accounted == s.read and s.spam_filtered > 0 and s.aggregated > 0
    assert s.patched > 0 and s.dropped == 0 and s.failed == 0
    assert writer.requests <= s.created + s.patched + s.aggregated
    assert elapsed < 20


async def test_drop_delivery_counts_what_a_full_queue_loses() -> None:
    writer = StoreWriter()
    pipeline = RecordPipeline(
        writer,
        sink_options=FAST,
        delivery="drop",
        queue_length=5,
        source=SOURCE,
        correlator_options=CorrelatorOptions(spam_filter=False, aggregate_max_events=10**6),
    )
    async with pipeline:
        for i in range(50):
            pipeline.recorder.broadcaster.action_or_drop(
                pipeline.recorder.make(ObjectRef("Pod", "web", "default"), "Normal", "R", f"m{i}")
            )
            pipeline._stats.read += 1
    s = pipeline.stats
    assert s.dropped == 45 and s.created == 5 and s.accounted == s.read == 50


async def test_failed_inputs_are_counted() -> None:
    writer = StoreWriter()
    async with RecordPipeline(writer, sink_options=FAST, source=SOURCE) as pipeline:
        pipeline.failed("line 3: invalid JSON")
        await pipeline.record(ObjectRef("Pod", "web", "default"), "Normal", "R", "m")
    s = pipeline.stats
    assert (s.read, s.failed, s.created) == (2, 1, 1) and s.errors == ["line 3: invalid JSON"]


async def test_close_flushes_a_partial_batch() -> None:
    writer = StoreWriter()
    pipeline = RecordPipeline(
        writer,
        sink_options=SinkOptions(max_batch_wait=3600, max_batch_size=400),
        source=SOURCE,
        sink_clock=FakeClock(),
    )
    async with pipeline:
        for i in range(3):
            await pipeline.record(ObjectRef("Pod", f"p{i}", "default"), "Normal", "R", "m")
        await asyncio.sleep(0)
        assert writer.store == {}
    assert len(writer.store) == 3
