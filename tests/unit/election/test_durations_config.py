from __future__ import annotations

import pytest

from kpy.election.config import ElectionConfig, jittered, validate_client_go
from kpy.errors import ElectionError, UsageError
from kpy.gocompat.duration import (
    MILLISECOND,
    SECOND,
    format_duration,
    parse_duration,
    parse_duration_ns,
    parse_flag_duration,
)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("500ms", 500 * MILLISECOND),
        ("0.5s", 500 * MILLISECOND),
        (".5s", 500 * MILLISECOND),
        ("2s", 2 * SECOND),
        ("1m", 60 * SECOND),
        ("1h30m", 5400 * SECOND),
        ("1.5h", 5400 * SECOND),
        ("0", 0),
        ("0s", 0),
        ("-2s", -2 * SECOND),
        ("+3s", 3 * SECOND),
        ("1m30s500ms", 90_500 * MILLISECOND),
        ("250us", 250_000),
        ("250µs", 250_000),
        ("7ns", 7),
        ("1.000000001s", SECOND + 1),
    ],
)
def test_go_durations_parse_to_exact_nanoseconds(text: str, ns: int) -> None:
    assert parse_duration_ns(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("5", 'time: missing unit in duration "5"'),
        ("5x", 'time: unknown unit "x" in duration "5x"'),
        ("abc", 'time: invalid duration "abc"'),
        (".s", 'time: invalid duration ".s"'),
        ("1s ", 'time: invalid duration "1s "'),
    ],
)
def test_bad_durations_give_gos_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.") + "$"):
        parse_duration_ns(text)


def test_flag_duration_error_is_worded_like_pflag() -> None:
    with pytest.raises(UsageError) as info:
        parse_flag_duration("--lease-duration", "15")
    assert str(info.value) == (
        'invalid argument "15" for "--lease-duration" flag: time: missing unit in duration "15"'
    )


def test_parse_duration_returns_seconds() -> None:
    assert parse_duration("1500ms") == 1.5


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (2 * SECOND, "2s"),
        (1500 * MILLISECOND, "1.5s"),
        (500 * MILLISECOND, "500ms"),
        (90 * SECOND, "1m30s"),
        (3600 * SECOND, "1h0m0s"),
        (250_000, "250µs"),
        (-2 * SECOND, "-2s"),
        (7, "7ns"),
        (300 * MILLISECOND, "300ms"),
    ],
)
def test_durations_format_like_go(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_defaults_are_client_gos_and_valid() -> None:
    cfg = ElectionConfig()
    assert (cfg.lease_duration, cfg.renew_deadline, cfg.retry_period, cfg.grace_period) == (15, 10, 2, 3)
    cfg.validate()
    assert cfg.request_timeout == 5.0
    assert cfg.lease_duration_seconds == 15


@pytest.mark.parametrize(
    ("ld", "rd", "rp", "message"),
    [
        (10, 10, 2, "leaseDuration must be greater than renewDeadline"),
        (5, 10, 2, "leaseDuration must be greater than renewDeadline"),
        (15, 2.4, 2, "renewDeadline must be greater than retryPeriod*JitterFactor"),
        (15, 2.3, 2, "renewDeadline must be greater than retryPeriod*JitterFactor"),
        (0, -1, 0, "renewDeadline must be greater than retryPeriod*JitterFactor"),
        (15, 10, 0, "retryPeriod must be greater than zero"),
        (15, 10, -1, "retryPeriod must be greater than zero"),
        (0, -2, -2, "leaseDuration must be greater than zero"),
        (1, -2, -2, "renewDeadline must be greater than zero"),
    ],
)
def test_client_go_validation_rules_and_messages_in_its_order(
    ld: float, rd: float, rp: float, message: str
) -> None:
    with pytest.raises(ElectionError, match="^" + message.replace("*", r"\*") + "$"):
        validate_client_go(round(ld * SECOND), round(rd * SECOND), round(rp * SECOND))


def test_renew_deadline_just_above_jittered_retry_is_accepted() -> None:
    validate_client_go(2 * SECOND, 300 * MILLISECOND + 1, 250 * MILLISECOND)
    with pytest.raises(ElectionError):
        validate_client_go(2 * SECOND, 300 * MILLISECOND, 250 * MILLISECOND)


def test_grace_period_must_fit_before_the_lease_can_pass() -> None:
    ElectionConfig(2 * SECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 300 * MILLISECOND).validate()
    with pytest.raises(ElectionError) as info:
        ElectionConfig(15 * SECOND, 10 * SECOND, 2 * SECOND, 4 * SECOND).validate()
    text = str(info.value)
    assert "--grace-period 4s is too long" in text
    assert "= 3.5s" in text
    assert "shorten --grace-period" in text


def test_renew_deadline_leaving_no_stop_time_names_the_flag() -> None:
    with pytest.raises(ElectionError, match=r"--renew-deadline 9\.5s leaves no time"):
        ElectionConfig(10 * SECOND, 9500 * MILLISECOND, 2 * SECOND, 0).validate()


def test_sub_second_lease_is_refused_because_leases_store_whole_seconds() -> None:
    with pytest.raises(ElectionError, match="at least 1s"):
        ElectionConfig(900 * MILLISECOND, 500 * MILLISECOND, 100 * MILLISECOND, 0).validate()


def test_fractional_lease_uses_truncated_seconds_for_safety() -> None:
    cfg = ElectionConfig(2900 * MILLISECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 300 * MILLISECOND)
    assert cfg.lease_duration_seconds == 2
    assert cfg.safe_hold == pytest.approx(1.8)
    cfg.validate()
    with pytest.raises(ElectionError):
        ElectionConfig(
            2900 * MILLISECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 400 * MILLISECOND
        ).validate()


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ElectionError, match="must not be negative"):
        ElectionConfig(grace_period_ns=-1).validate()


def test_request_timeout_is_half_the_renew_deadline_but_at_least_one_second() -> None:
    assert ElectionConfig(2 * SECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 0).request_timeout == 1.0
    assert ElectionConfig(60 * SECOND, 30 * SECOND, 2 * SECOND, 0).request_timeout == 15.0


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 2.0), (0.5, 3.2), (0.999, 2.0 + 0.999 * 2.4)])
def test_jitter_spans_one_to_two_point_two_retry_periods(rand: float, expected: float) -> None:
    assert jittered(2.0, rand) == pytest.approx(expected)
