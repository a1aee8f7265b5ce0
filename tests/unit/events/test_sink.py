from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kpy.errors import (
    AlreadyExists,
    BadRequest,
    ConnectionFailed,
    Invalid,
    NotFound,
    ServerError,
    TooManyRequests,
)
from kpy.events.sink import BufferedSink, EventWrite, Outcome, SinkOptions
from kpy.gocompat.clock import FakeClock

from .helpers import until


class FakeWriter:
    """An in-memory event store that can fail on purpose and hold writes until released."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.failures: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    async def _enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.failures:
                raise self.failures.pop(0)
        finally:
            self.in_flight -= 1

    async def create(self, namespace: str, event: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("create", event["metadata"]["name"], event.get("count")))
        await self._enter()
        key = (namespace, event["metadata"]["name"])
        if key in self.store:
            raise AlreadyExists("exists", reason="AlreadyExists")
        self.store[key] = dict(event)
        return event

    async def patch(
        self, namespace: str, name: str, patch: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls.append(("patch", name, patch.get("count")))
        await self._enter()
        if (namespace, name) not in self.store:
            raise NotFound("not found", reason="NotFound")
        self.store[(namespace, name)].update(patch)
        return self.store[(namespace, name)]


def write(name: str, count: int = 1, outcome: Outcome | None = None) -> EventWrite:
    event = {"metadata": {"name": name, "namespace": "default"}, "count": count, "message": f"{name}#{count}"}
    patch = None if count == 1 else {"count": count, "message": f"{name}#{count}"}
    return EventWrite(event, patch, name, [outcome or (Outcome.CREATED if count == 1 else Outcome.PATCHED)])


def opts(**kw: Any) -> SinkOptions:
    base: dict[str, Any] = {
        "max_batch_size": 3,
        "max_batch_wait": 30.0,
        "throttle_qps": 0,
        "retry_sleep": 10.0,
    }
    base.update(kw)
    return SinkOptions(**base)


async def test_batch_closes_when_it_reaches_max_batch_size() -> None:
    clock = FakeClock()  # manual: the batch-wait ticker never fires
    w = FakeWriter()
    sink = BufferedSink(w, opts(), clock=clock)
    sink.start()
    for i in range(7):
        sink.submit(write(f"e{i}"))
    await until(lambda: len(w.store) == 6)
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(w.store) == 6 and sink.stats.batches == 2  # the 7th waits for more or the timer
    await sink.close()
    assert len(w.store) == 7 and sink.stats.batches == 3


async def test_batch_closes_when_max_batch_wait_passes() -> None:
    clock = FakeClock()
    w = FakeWriter()
    sink = BufferedSink(w, opts(max_batch_size=100), clock=clock)
    sink.start()
    sink.submit(write("a"))
    sink.submit(write("b"))
    await until(lambda: clock.waiting == 1)
    for _ in range(10):
        await asyncio.sleep(0)
    assert w.store == {}
    clock.advance(29.9)
    for _ in range(10):
        await asyncio.sleep(0)
    assert w.store == {}
    clock.advance(0.1)
    await until(lambda: len(w.store) == 2)
    assert sink.stats.batches == 1 and sink.stats.largest_batch == 2
    await sink.close()


async def test_close_flushes_everything_buffered() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(max_batch_size=400), clock=FakeClock())
    async with sink:
        for i in range(1000):
            assert sink.submit(write(f"e{i}"))
    assert len(w.store) == 1000
    assert sink.stats.created == 1000 and sink.stats.batches == 3


async def test_full_buffer_drops_and_counts() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(buffer_size=5), clock=FakeClock())
    results = [sink.submit(write(f"e{i}")) for i in range(8)]  # not started: nothing drains the buffer
    assert results == [True] * 5 + [False] * 3
    assert sink.stats.dropped == 3 and "event buffer full" in sink.stats.errors
    await sink.close()
    assert sink.stats.created == 5
    assert not sink.submit(write("late")) and sink.stats.dropped == 4


async def test_block_when_full_waits_for_room_instead_of_dropping() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(buffer_size=2, block_when_full=True, max_batch_size=2), clock=FakeClock())
    sink.start()
    for i in range(50):
        assert await sink.put(write(f"e{i}"))
    await sink.close()
    assert len(w.store) == 50 and sink.stats.dropped == 0


async def test_throttle_spaces_batches_at_qps_after_the_burst() -> None:
    clock = FakeClock(0.0, auto_advance=True, auto_limit=100)  # sleeping advances virtual time
    w = FakeWriter()
    sink = BufferedSink(
        w, opts(max_batch_size=1, throttle_qps=2.0, throttle_burst=3, max_batch_wait=1e9), clock=clock
    )
    for i in range(6):
        sink.submit(write(f"e{i}"))
    await sink.close()
    throttle_sleeps = [s for s in clock.sleeps if s != 1e9]
    assert throttle_sleeps == pytest.approx([0.5, 0.5, 0.5])  # burst of 3, then one batch per 1/qps
    assert sink.stats.batches == 6


async def test_async_delegate_collects_the_next_batch_while_one_is_in_flight() -> None:
    w = FakeWriter()
    w.gate = asyncio.Event()
    sink = BufferedSink(w, opts(max_batch_size=2, async_delegate=True), clock=FakeClock())
    sink.start()
    for i in range(6):
        sink.submit(write(f"e{i}"))
    await until(lambda: w.in_flight == 6)  # all three batches handed over though none finished
    assert w.store == {} and sink.stats.batches == 3
    w.gate.set()
    await sink.close()
    assert len(w.store) == 6


async def test_sync_delegate_waits_for_each_batch() -> None:
    w = FakeWriter()
    w.gate = asyncio.Event()
    sink = BufferedSink(w, opts(max_batch_size=2, async_delegate=False), clock=FakeClock())
    sink.start()
    for i in range(6):
        sink.submit(write(f"e{i}"))
    await until(lambda: w.in_flight == 2)
    for _ in range(20):
        await asyncio.sleep(0)
    assert sink.stats.batches == 1 and w.in_flight == 2
    w.gate.set()
    await sink.close()
    assert sink.stats.batches == 3 and len(w.store) == 6


async def test_max_in_flight_bounds_concurrent_writes() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(max_batch_size=50, max_in_flight=4), clock=FakeClock())
    w.gate = asyncio.Event()
    async with sink:
        for i in range(50):
            sink.submit(write(f"e{i}"))
        await until(lambda: w.in_flight == 4)
        w.gate.set()
    assert w.max_in_flight == 4 and len(w.store) == 50


async def test_writes_to_one_event_fold_together_while_buffered() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(), clock=FakeClock())
    sink.submit(write("a", 1))
    sink.submit(write("a", 2))
    sink.submit(write("a", 3))
    sink.submit(write("b", 1))
    await sink.close()
    assert w.calls == [("create", "a", 3), ("create", "b", 1)]
    assert w.store[("default", "a")]["count"] == 3
    assert (sink.stats.created, sink.stats.patched, sink.stats.coalesced, sink.stats.requests) == (2, 2, 2, 2)


async def test_a_repeat_folds_into_a_delivered_write_until_its_request_starts() -> None:
    w = FakeWriter()
    w.gate = asyncio.Event()
    sink = BufferedSink(w, opts(max_batch_size=2, max_in_flight=1), clock=FakeClock())
    sink.start()
    sink.submit(write("a", 1))
    sink.submit(write("b", 1))
    await until(lambda: sink.stats.batches == 1 and w.in_flight == 1)  # a is in flight, b waits for a slot
    sink.submit(write("b", 2))  # b has not started: it becomes one create with count 2
    sink.submit(write("a", 2))  # a has: a PATCH after it
    w.gate.set()
    await sink.close()
    assert w.calls == [("create", "a", 1), ("create", "b", 2), ("patch", "a", 2)]
    assert w.store[("default", "b")]["count"] == 2 and w.store[("default", "a")]["count"] == 2
    assert (sink.stats.created, sink.stats.patched, sink.stats.coalesced, sink.stats.requests) == (2, 2, 1, 3)


async def test_writes_to_one_event_stay_in_order_across_async_batches() -> None:
    w = FakeWriter()
    w.gate = asyncio.Event()
    sink = BufferedSink(w, opts(max_batch_size=1, coalesce=False), clock=FakeClock())
    sink.start()
    for count in range(1, 6):
        sink.submit(write("a", count))
    await until(lambda: sink.stats.batches == 5 and w.in_flight == 1)
    for _ in range(20):
        await asyncio.sleep(0)
    assert w.calls == [("create", "a", 1)]  # the rest wait for the one before them
    w.gate.set()
    await sink.close()
    assert w.calls == [("create", "a", 1)] + [("patch", "a", c) for c in range(2, 6)]
    assert w.store[("default", "a")]["count"] == 5


async def test_transport_errors_and_5xx_are_retried_with_a_randomized_first_sleep() -> None:
    clock = FakeClock(auto_advance=True, auto_limit=100)
    w = FakeWriter()
    w.failures = [
        ConnectionFailed("refused"),
        ServerError("boom", reason="InternalError"),
        TooManyRequests("slow"),
    ]
    sink = BufferedSink(w, opts(max_batch_wait=1e9), clock=clock, rand=lambda: 0.25)
    sink.submit(write("a"))
    await sink.close()
    assert [s for s in clock.sleeps if s != 1e9] == [2.5, 10.0, 10.0]
    assert sink.stats.retries == 3 and sink.stats.created == 1 and sink.stats.requests == 4


async def test_gives_up_after_12_tries() -> None:
    clock = FakeClock(auto_advance=True, auto_limit=100)
    w = FakeWriter()
    w.failures = [ServerError("boom")] * 20
    sink = BufferedSink(w, opts(max_batch_wait=1e9), clock=clock, rand=lambda: 0.5)
    sink.submit(write("a"))
    await sink.close()
    assert sink.stats.requests == 12 and sink.stats.retries == 11 and sink.stats.failed == 1
    assert "retry limit exceeded" in sink.stats.errors[0]


@pytest.mark.parametrize("error", [BadRequest("bad"), Invalid("invalid"), NotFound("ns gone")])
async def test_rejected_events_are_not_retried(error: Exception) -> None:
    clock = FakeClock(auto_advance=True, auto_limit=100)
    w = FakeWriter()
    w.failures = [error]
    sink = BufferedSink(w, opts(max_batch_wait=1e9), clock=clock)
    sink.submit(write("a"))
    await sink.close()
    assert sink.stats.requests == 1 and sink.stats.failed == 1 and sink.stats.retries == 0
    assert "will not retry" in sink.stats.errors[0]


async def test_repeat_of_an_event_never_written_is_created_directly() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(), clock=FakeClock())
    sink.submit(write("a", 4))
    await sink.close()
    assert w.calls == [("create", "a", 4)]
    assert sink.stats.patched == 1 and sink.stats.requests == 1


async def test_patch_of_an_event_that_vanished_creates_it_again() -> None:
    w = FakeWriter()
    sink = BufferedSink(w, opts(max_batch_size=1, coalesce=False), clock=FakeClock())
    sink.start()
    sink.submit(write("a", 1))
    await until(lambda: ("default", "a") in w.store)
    del w.store[("default", "a")]  # expired (events have a TTL)
    sink.submit(write("a", 2))
    await sink.close()
    assert w.calls == [("create", "a", 1), ("patch", "a", 2), ("create", "a", 2)]
    assert w.store[("default", "a")]["count"] == 2


async def test_repeat_of_an_existing_but_forgotten_event_is_patched() -> None:
    w = FakeWriter()
    w.store[("default", "a")] = {"count": 1}
    sink = BufferedSink(w, opts(), clock=FakeClock())
    sink.submit(write("a", 3))
    await sink.close()
    assert w.calls == [("create", "a", 3), ("patch", "a", 3)]
    assert w.store[("default", "a")]["count"] == 3


async def test_already_exists_counts_as_written() -> None:
    w = FakeWriter()
    w.store[("default", "a")] = {"count": 1}
    sink = BufferedSink(w, opts(), clock=FakeClock())
    sink.submit(write("a", 1))
    await sink.close()
    assert sink.stats.created == 1 and sink.stats.failed == 0


async def test_on_written_sees_the_stored_event() -> None:
    seen: list[tuple[str, int]] = []
    w = FakeWriter()
    sink = BufferedSink(
        w, opts(), clock=FakeClock(), on_written=lambda wr, ev: seen.append((wr.key, ev["count"]))
    )
    sink.submit(write("a", 1))
    await sink.close()
    assert seen == [("a", 1)]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError):
        SinkOptions(max_batch_size=0).validate()
    with pytest.raises(ValueError):
        SinkOptions(max_batch_wait=0).validate()
    with pytest.raises(ValueError):
        SinkOptions(max_tries=0).validate()
