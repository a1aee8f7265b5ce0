"""wait.Backoff, the reflector's backoff manager and the work-queue rate limiters (fake clock/random)."""

from __future__ import annotations

import pytest

from kpy.flowcontrol import (
    Backoff,
    ExponentialBackoffManager,
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
