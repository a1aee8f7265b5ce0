"""The queue's semantics (client-go queue_test.go / delaying_queue_test.go cases), on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from kpy.workqueue import (
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    Queue,
    QueueEmpty,
    RateLimitingQueue,
    ShutDown,
    default_controller_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("ops", "handed_out"),
    [
        # a key added twice before it is handed out is handed out once
        (["add a", "add a", "get", "get"], ["a"]),
        # FIFO order
        (["add a", "add b", "add c", "get", "get", "get"], ["a", "b", "c"]),
        # added while processing: not handed out again until done
        (["add a", "get", "add a", "get", "done a", "get"], ["a", "a"]),
        # done without a re-add: gone
        (["add a", "get", "done a", "get"], ["a"]),
        # shut down: queued keys still come out, new adds are ignored
        (["add a", "shutdown", "add b", "get", "get"], ["a", "<shutdown>"]),
        # added during processing then shut down: done still re-queues what was dirty
        (["add a", "get", "add a", "shutdown", "done a", "get", "get"], ["a", "a", "<shutdown>"]),
    ],
)
def test_queue_semantics(ops: list[str], handed_out: list[str]) -> None:
    q: Queue[str] = Queue()
    got: list[str] = []
    for op in ops:
        verb, _, item = op.partition(" ")
        if verb == "add":
            q.add(item)
        elif verb == "done":
            q.done(item)
        elif verb == "shutdown":
            q.shut_down()
        else:
            try:
                got.append(q.get_nowait())
            except QueueEmpty:
                pass
            except ShutDown:
                got.append("<shutdown>")
    assert got == handed_out


def test_metrics_count_adds_depth_and_durations_on_the_clock() -> None:
    clock = FakeClock()
    q: Queue[str] = Queue(clock=clock)
    q.add("a")
    q.add("a")
    q.add("b")
    clock.now = 2.0
    q.get_nowait()
    clock.now = 5.0
    assert q.metrics.longest_running_processor_seconds() == 3.0
    q.done("a")
    m = q.metrics
    assert (m.adds, m.depth, m.queue_duration.count, m.queue_duration.sum) == (2, 1, 1, 2.0)
    assert (m.work_duration.count, m.work_duration.sum) == (1, 3.0)
    assert m.unfinished_work_seconds() == 0.0


def test_delaying_queue_hands_out_keys_when_due_keeping_the_earliest_time() -> None:
    clock = FakeClock()
    q: DelayingQueue[str] = DelayingQueue(clock=clock)
    q.add_after("a", 5.0)
    q.add_after("b", 1.0)
    q.add_after("a", 2.0)  # earlier: replaces 5 s
    q.add_after("b", 9.0)  # later: ignored
    q.add_after("c", 0)  # now
    assert (len(q), q.waiting) == (1, 2)
    assert q.pump() == 1.0
    clock.now = 1.0
    assert q.pump() == 2.0
    clock.now = 2.5
    assert q.pump() is None
    assert [q.get_nowait() for _ in range(3)] == ["c", "b", "a"]
    clock.now = 10.0
    q.pump()
    assert len(q) == 0  # the superseded 5 s entry does not add "a" again


def test_rate_limited_requeue_backs_off_exponentially_and_forget_resets() -> None:
    clock = FakeClock()
    q: RateLimitingQueue[str] = RateLimitingQueue(ItemExponentialFailureRateLimiter(0.005, 1.0), clock=clock)
    assert [q.add_rate_limited("a") for _ in range(9)] == [0.005 * 2**i for i in range(8)] + [1.0]
    assert q.num_requeues("a") == 9
    q.forget("a")
    assert q.num_requeues("a") == 0
    assert q.add_rate_limited("a") == 0.005
    assert q.metrics.retries == 10


def test_default_controller_limiter_is_the_max_of_backoff_and_the_overall_bucket() -> None:
    clock = FakeClock()
    limiter = default_controller_rate_limiter(qps=10.0, burst=2, clock=clock)
    # two tokens in the bucket: the per-item back-off decides; then the bucket's debt does (1 token / 100 ms)
    assert [round(limiter.when(k), 6) for k in "abcd"] == [0.005, 0.005, 0.1, 0.2]


async def test_get_waits_for_an_add_and_workers_never_share_a_key() -> None:
    q: Queue[str] = Queue()
    waiter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    q.add("a")
    assert await asyncio.wait_for(waiter, 5) == "a"
    q.add("a")  # while "a" is processing
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not second.done()
    q.done("a")
    assert await asyncio.wait_for(second, 5) == "a"


async def test_shutdown_releases_waiting_workers_and_drain_waits_for_done() -> None:
    q: Queue[str] = Queue()
    q.add("a")
    assert await q.get() == "a"
    idle = asyncio.create_task(q.get())
    drain = asyncio.create_task(q.shut_down_with_drain())
    with pytest.raises(ShutDown):
        await asyncio.wait_for(idle, 5)
    await asyncio.sleep(0)
    assert not drain.done()
    q.done("a")
    await asyncio.wait_for(drain, 5)


async def test_delaying_queue_run_delivers_a_short_delay() -> None:
    q: DelayingQueue[str] = DelayingQueue()
    runner = asyncio.create_task(q.run())
    q.add_after("a", 0.01)
    assert await asyncio.wait_for(q.get(), 5) == "a"
    q.shut_down()
    await asyncio.wait_for(runner, 5)
