"""kpy.gocompat: metav1 time forms, the Status body, and pflag's words for a bad duration flag (as kubectl 1.32
prints them: checked with /usr/bin/kubectl port-forward --pod-running-timeout=...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kpy.errors import UsageError
from kpy.gocompat.duration import parse_flag_seconds
from kpy.gocompat.metav1 import (
    format_micro_time,
    format_time,
    parse_epoch,
    parse_optional_time,
    parse_time,
    status_body,
)

T = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", 'invalid argument "5" for "--f" flag: time: missing unit in duration "5"'),
        ("5x", 'invalid argument "5x" for "--f" flag: time: unknown unit "x" in duration "5x"'),
        (" 1s", 'invalid argument " 1s" for "--f" flag: time: invalid duration " 1s"'),
    ],
)
def test_bad_duration_flags_are_worded_as_kubectl_words_them(value: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_flag_seconds("--f", value)
    assert str(caught.value) == message


def test_good_duration_flags_are_seconds() -> None:
    assert parse_flag_seconds("--f", "1m30s") == 90.0 and parse_flag_seconds("--f", "-250ms") == -0.25


def test_times_format_in_utc_as_metav1_writes_them() -> None:
    plus_two = T.astimezone(timezone(timedelta(hours=2)))
    assert format_time(plus_two) == "2024-05-06T07:08:09Z"  # seconds truncated, converted to UTC
    assert format_micro_time(plus_two) == "2024-05-06T07:08:09.123456Z"
    assert format_time(T.replace(tzinfo=None)) == "2024-05-06T07:08:09Z"  # naive is UTC
    assert format_time(T.timestamp()) == "2024-05-06T07:08:09Z"
    assert format_micro_time(T.timestamp()) == "2024-05-06T07:08:09.123456Z"


def test_times_parse_like_rfc3339_and_unset_or_bad_is_none() -> None:
    assert parse_time("2024-05-06T09:08:09.123456789+02:00") == T
    assert parse_optional_time("") is None and parse_optional_time(None) is None
    assert parse_optional_time("2024-05-06 07:08:09") is None  # not RFC 3339
    assert parse_epoch("2024-05-06T07:08:09Z") == T.replace(microsecond=0).timestamp()
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_status_body_has_the_apiservers_keys_in_order() -> None:
    body = status_body(404, "NotFound", 'pods "x" not found', {"name": "x", "kind": "pods"})
    assert list(body) == ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]
    assert list(status_body(500, "InternalError", "boom")) == [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "code",
    ]


def test_parse_epoch_is_the_datetime_timestamp_without_datetime() -> None:
    """``parse_epoch`` computes the seconds itself; they are ``parse_time(...).timestamp()`` to the bit, and
    None wherever ``parse_time`` refuses the text (dates that do not exist, hour 24, second 60 ...)."""
    import random

    from kpy.gocompat.metav1 import parse_epoch, parse_time

    rnd = random.Random(15)
    texts = [
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2000-02-29T12:00:00+05:30",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        " 2026-01-01t10:00:00.5z ",
        "1969-12-31T23:59:59.1-01:00",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:59:60Z",
    ]
    for _ in range(3000):
        texts.append(
            f"{rnd.randint(1, 9998):04d}-{rnd.randint(0, 13):02d}-{rnd.randint(0, 32):02d}"
            f"T{rnd.randint(0, 24):02d}:{rnd.randint(0, 60):02d}:{rnd.randint(0, 60):02d}"
            + rnd.choice(["", f".{rnd.randint(0, 999999999):09d}"[: rnd.randint(2, 10)]])
            + rnd.choice(["Z", f"+{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}", "-02:30"])
        )
    for text in texts:
        try:
            expected: float | None = parse_time(text).timestamp()
        except ValueError:
            expected = None
        assert parse_epoch(text) == expected, text
    assert parse_epoch("") is None and parse_epoch(None) is None and parse_epoch(5) is None
