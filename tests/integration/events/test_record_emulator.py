"""The recording pipeline against the API emulator: what gets stored is what the pure correlator predicts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.unit.events.helpers import SOURCE, predict, stored_view, until, workload

from kpy.events.api import CORE_EVENTS, ApiEventWriter
from kpy.events.correlator import CorrelatorOptions
from kpy.events.pipeline import RecordPipeline
from kpy.events.recorder import ObjectRef, make_event
from kpy.events.sink import SinkOptions
from kpy.gocompat.clock import FakeClock
from kpy.rest import RestClient
from kpy.rest.watch import list_all

FAST = SinkOptions(max_batch_wait=3600.0, throttle_qps=0, max_in_flight=32, retry_sleep=0.01)


async def record(
    client: RestClient,
    inputs: list[tuple[float, str, str, str, str]],
    options: CorrelatorOptions,
    sink: SinkOptions = FAST,
    api: str = "v1",
) -> tuple[RecordPipeline, list[tuple[float, Any]]]:
    clock = FakeClock(0.0)
    pipeline = RecordPipeline(
        ApiEventWriter(client, api), correlator_options=options, sink_options=sink, source=SOURCE, clock=clock
    )
    made: list[tuple[float, Any]] = []
    async with pipeline:
        for at, obj, type_, reason, message in inputs:
            clock.t = at
            ref = ObjectRef("Pod", obj, "default", uid=f"uid-{obj}")
            await pipeline.record(ref, type_, reason, message)
            await until(lambda: pipeline.correlated == pipeline.stats.read)
            made.append(
                (at, make_event(ref, type_, reason, message, source=SOURCE, now=at, nanotime=len(made) + 1))
            )
    return pipeline, made


async def stored(client: RestClient) -> list[Any]:
    return sorted(stored_view(e) for e in (await list_all(client, CORE_EVENTS, "default")).items)


async def test_hand_worked_repeats_and_aggregation_are_stored(client: RestClient) -> None:
    inputs = [
        (0.0, "web", "Normal", "R", "a"),
        (1.0, "web", "Normal", "R", "a"),
        (2.0, "web", "Normal", "R", "b"),
        (3.0, "web", "Warning", "X", "boom"),
        (4.0, "web", "Normal", "R", "c"),
        (5.0, "web", "Normal", "R", "d"),
    ]
    pipeline, _ = await record(client, inputs, CorrelatorOptions(aggregate_max_events=3))
    # a → create; a → PATCH count 2; b → create; boom (another reason) → create; c is the 3rd distinct message
    # → combined event created; d → {b, c} + d → combined again → PATCH of the combined event to count 2
    assert await stored(client) == [
        ("web", "Normal", "R", "(combined from similar events): d", 2),
        ("web", "Normal", "R", "a", 2),
        ("web", "Normal", "R", "b", 1),
        ("web", "Warning", "X", "boom", 1),
    ]
    s = pipeline.stats
    assert (s.created, s.patched, s.aggregated, s.spam_filtered, s.failed) == (3, 1, 2, 0, 0)


async def test_ten_thousand_events_with_repeats_and_bursts(client: RestClient) -> None:
    inputs = workload(10_000)
    options = CorrelatorOptions()
    started = time.perf_counter()
    pipeline, made = await record(client, inputs, options)
    elapsed = time.perf_counter() - started
    assert await stored(client) == predict(made, options)
    s = pipeline.stats
    assert s.read == s.accounted == 10_000 and s.failed == 0 and s.dropped == 0
    assert s.requests <= s.created + s.patched + s.aggregated
    # Speed is bench/events.py's job (a ratio measured in one run); a wall-clock bound here fails on a busy machine.
    print(f"10,000 events in {elapsed:.2f}s, {s.requests} requests, {s.summary()}")


async def test_server_errors_and_429_are_retried_and_4xx_are_not(emulator: Any, client: RestClient) -> None:
    options = CorrelatorOptions()
    emulator.faults.fail_next(3, status=500, match="/events")
    pipeline, _ = await record(client, [(0.0, "web", "Normal", "R", "first")], options)
    assert pipeline.stats.created == 1 and pipeline.stats.retries >= 1
    emulator.faults.fail_next(2, status=429, retry_after=0, match="/events")
    pipeline, _ = await record(client, [(0.0, "db", "Normal", "R", "second")], options)
    assert pipeline.stats.created == 1
    emulator.faults.fail_next(1, status=422, match="/events")
    pipeline, _ = await record(client, [(0.0, "cache", "Normal", "R", "third")], options)
    s = pipeline.stats
    assert (s.failed, s.created, s.retries, s.requests) == (1, 0, 0, 1)
    assert "will not retry" in s.errors[0]


async def test_events_k8s_io_series(client: RestClient) -> None:
    inputs = [
        (0.0, "web", "Normal", "R", "same"),
        (1.0, "web", "Normal", "R", "same"),
        (2.0, "web", "Normal", "R", "same"),
    ]
    sink = SinkOptions(max_batch_wait=3600.0, throttle_qps=0, max_batch_size=1, coalesce=False)
    pipeline, _ = await record(client, inputs, CorrelatorOptions(), sink=sink, api="events.k8s.io/v1")
    from kpy.events.api import EVENTS_V1

    items = (await list_all(client, EVENTS_V1, "default")).items
    assert len(items) == 1
    assert items[0]["series"]["count"] == 3 and items[0]["note"] == "same"
    assert items[0]["regarding"]["name"] == "web"
    assert pipeline.stats.patched == 2


async def test_events_k8s_io_create_is_refused_with_deprecated_fields_like_the_real_server(
    client: RestClient,
) -> None:
    """The emulator answers like kube-apiserver 1.36 (checked by hand): the strict events.k8s.io/v1 rules."""
    from kpy.errors import Invalid

    body = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.aaa1", "namespace": "default"},
        "eventTime": "2026-12-03T10:00:00.000000Z",
        "reportingController": "kpy",
        "reportingInstance": "h",
        "action": "A",
        "reason": "R",
        "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
        "note": "n",
        "type": "Normal",
        "deprecatedSource": {"component": "kpy", "host": "h"},
    }
    path = "/apis/events.k8s.io/v1/namespaces/default/events"
    with pytest.raises(Invalid) as one:
        await client.request("POST", path, json=body)
    assert one.value.format() == (
        'Error from server (Invalid): Event "web.aaa1" is invalid: source: Invalid value: "": needs to be unset'
    )
    many = {
        **body,
        "deprecatedCount": 3,
        "deprecatedFirstTimestamp": "2026-12-03T10:00:00Z",
        "series": {"count": 1, "lastObservedTime": "2026-12-03T10:00:00.000000Z"},
    }
    with pytest.raises(Invalid) as several:
        await client.request("POST", path, json=many)
    assert str(several.value) == (
        'Event "web.aaa1" is invalid: [series.count: Invalid value: "": should be at least 2, firstTimestamp: '
        'Invalid value: "": needs to be unset, count: Invalid value: "": needs to be unset, source: Invalid '
        'value: "": needs to be unset]'
    )
    del body["deprecatedSource"]
    assert (await client.request("POST", path, json=body)).status == 201


async def test_record_through_events_k8s_io_is_accepted(client: RestClient) -> None:
    """What kpy writes through events.k8s.io/v1 passes the server's create validation (it failed before)."""
    pipeline, _ = await record(
        client,
        [(0.0, "web", "Warning", "Checked", "via events.k8s.io")],
        CorrelatorOptions(),
        api="events.k8s.io/v1",
    )
    assert (pipeline.stats.created, pipeline.stats.failed) == (1, 0), pipeline.stats.errors
    from kpy.events.api import EVENTS_V1

    [item] = [e for e in (await list_all(client, EVENTS_V1, "default")).items if e["reason"] == "Checked"]
    assert item["reportingController"] == "kpy-test" and item["reportingInstance"] == "host-1"
    assert item["deprecatedSource"] == {} and item["action"] == "Checked"
