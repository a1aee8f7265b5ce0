"""TokenBucket: client-go (x/time/rate) semantics on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from kpy.flowcontrol import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_bucket_starts_full_and_allows_a_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(5, 10, clock=t.clock, sleep=t.sleep)
    assert [bucket.try_accept() for _ in range(10)] == [True] * 10
    assert bucket.try_accept() is False


def test_tokens_refill_at_qps_up_to_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(2, 3, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        assert bucket.try_accept()
    t.now += 0.5  # one token at 2 qps
    assert bucket.try_accept()
    assert not bucket.try_accept()
    t.now += 100  # never more than burst
    assert bucket.tokens() == pytest.approx(3.0)


async def test_waiters_beyond_the_burst_wait_their_turn_in_order() -> None:
    t = FakeTime()
    bucket = TokenBucket(5, 2, clock=t.clock, sleep=t.sleep)
    # reservations are taken at call time: 2 free, then 0.2 s, 0.4 s, 0.6 s (clock does not move meanwhile)
    delays = [bucket.reserve() for _ in range(5)]
    assert delays == pytest.approx([0.0, 0.0, 0.2, 0.4, 0.6])


async def test_wait_sleeps_the_reserved_delay_and_reports_it() -> None:
    t = FakeTime()
    bucket = TokenBucket(1, 1, clock=t.clock, sleep=t.sleep)
    assert await bucket.wait() == 0.0
    assert await bucket.wait() == pytest.approx(1.0)
    assert t.sleeps == pytest.approx([1.0])


async def test_cancelled_waiter_gives_its_token_back() -> None:
    started = asyncio.Event()

    async def blocked_sleep(seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    t = FakeTime()
    bucket = TokenBucket(1, 1, clock=t.clock, sleep=blocked_sleep)
    assert bucket.try_accept()
    task = asyncio.create_task(bucket.wait())
    await asyncio.wait_for(started.wait(), 5)
    assert bucket.tokens() == pytest.approx(-1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert bucket.tokens() == pytest.approx(0.0)


@pytest.mark.parametrize("qps", [0, -1])
async def test_non_positive_qps_disables_throttling(qps: float) -> None:
    t = FakeTime()
    bucket = TokenBucket(qps, 1, clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        assert await bucket.wait() == 0.0
    assert bucket.try_accept()
    assert t.sleeps == []


def test_clock_going_backwards_does_not_add_tokens() -> None:
    t = FakeTime()
    bucket = TokenBucket(1, 1, clock=t.clock, sleep=t.sleep)
    assert bucket.try_accept()
    t.now -= 10
    assert not bucket.try_accept()
