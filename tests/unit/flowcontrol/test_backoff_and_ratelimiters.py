"""wait.Backoff, the reflector's backoff manager and the work-queue rate limiters (fake clock/random)."""

from __future__ import annotations

import pytest

from kpy.flowcontrol import (
    Backoff,
    BackoffExhausted,
    BucketRateLimiter,
    ExponentialBackoffManager,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
    exponential_backoff,
    jitter,
)


def test_backoff_grows_by_factor_for_its_steps_then_stays() -> None:
    b = Backoff(duration=1.0, factor=2.0, steps=3)
    assert [b.step() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_backoff_cap_stops_growth_and_zeroes_steps() -> None:
    b = Backoff(duration=1.0, factor=3.0, steps=10, cap=5.0)
    assert [b.step() for _ in range(4)] == [1.0, 3.0, 5.0, 5.0]
    assert b.steps == 0


def test_backoff_jitter_adds_up_to_jitter_times_duration() -> None:
    b = Backoff(duration=1.0, factor=2.0, jitter=0.5, steps=2, rand=lambda: 1.0)
    assert b.step() == pytest.approx(1.5)
    assert b.step() == pytest.approx(3.0)
    low = Backoff(duration=1.0, jitter=0.5, steps=1, rand=lambda: 0.0)
    assert low.step() == pytest.approx(1.0)


def test_jitter_with_non_positive_factor_means_up_to_double() -> None:
    assert jitter(2.0, 0, rand=lambda: 1.0) == pytest.approx(4.0)
    assert jitter(2.0, 0.1, rand=lambda: 0.5) == pytest.approx(2.1)


async def test_exponential_backoff_retries_until_the_condition_holds() -> None:
    sleeps: list[float] = []
    calls = 0

    async def sleep(d: float) -> None:
        sleeps.append(d)

    async def condition() -> bool:
        nonlocal calls
        calls += 1
        return calls == 3

    await exponential_backoff(Backoff(0.1, 2.0, steps=5), condition, sleep=sleep)
    assert calls == 3
    assert sleeps == pytest.approx([0.1, 0.2])


async def test_exponential_backoff_gives_up_after_steps_without_a_final_sleep() -> None:
    sleeps: list[float] = []

    async def sleep(d: float) -> None:
        sleeps.append(d)

    async def never() -> bool:
        return False

    with pytest.raises(BackoffExhausted):
        await exponential_backoff(Backoff(1.0, 2.0, steps=3), never, sleep=sleep)
    assert sleeps == [1.0, 2.0]


def test_backoff_manager_doubles_to_the_max_and_resets_after_quiet_period() -> None:
    now = [0.0]
    m = ExponentialBackoffManager(0.8, 30.0, 120.0, 2.0, 1.0, clock=lambda: now[0], rand=lambda: 0.0)
    delays = [m.next_delay() for _ in range(8)]
    assert delays == pytest.approx([0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0])
    now[0] += 121
    assert m.next_delay() == pytest.approx(0.8)


def test_backoff_manager_jitter_is_up_to_100_percent_like_the_reflector() -> None:
    m = ExponentialBackoffManager(clock=lambda: 0.0, rand=lambda: 1.0)
    assert m.next_delay() == pytest.approx(1.6)


def test_item_exponential_doubles_per_item_and_caps() -> None:
    r = ItemExponentialFailureRateLimiter(0.005, 0.02)
    assert [r.when("a") for _ in range(4)] == pytest.approx([0.005, 0.01, 0.02, 0.02])
    assert r.when("b") == pytest.approx(0.005)
    assert r.num_requeues("a") == 4
    r.forget("a")
    assert r.num_requeues("a") == 0
    assert r.when("a") == pytest.approx(0.005)


def test_item_exponential_survives_huge_failure_counts() -> None:
    r = ItemExponentialFailureRateLimiter(1.0, 1000.0)
    for _ in range(2000):
        delay = r.when("x")
    assert delay == 1000.0


def test_fast_slow_limiter() -> None:
    r = ItemFastSlowRateLimiter(0.1, 5.0, 2)
    assert [r.when("a") for _ in range(3)] == [0.1, 0.1, 5.0]
    r.forget("a")
    assert r.when("a") == 0.1


def test_bucket_limiter_delays_beyond_the_burst() -> None:
    now = [0.0]
    r = BucketRateLimiter(10.0, 2, clock=lambda: now[0])
    assert [r.when(i) for i in range(4)] == pytest.approx([0.0, 0.0, 0.1, 0.2])


def test_max_of_takes_the_longest_delay_and_forgets_everywhere() -> None:
    a = ItemExponentialFailureRateLimiter(1.0, 100.0)
    b = ItemFastSlowRateLimiter(3.0, 50.0, 1)
    m = MaxOfRateLimiter(a, b)
    assert m.when("x") == 3.0
    assert m.when("x") == 50.0
    assert m.num_requeues("x") == 2
    m.forget("x")
    assert a.num_requeues("x") == 0 and b.num_requeues("x") == 0


def test_default_controller_rate_limiter_matches_client_go() -> None:
    now = [0.0]
    r = default_controller_rate_limiter(clock=lambda: now[0])
    assert r.when("item") == pytest.approx(0.005)
    assert r.when("item") == pytest.approx(0.01)
