"""apimachinery's ``metav1`` wire forms kpy reads and writes: ``Time`` (RFC 3339, seconds, UTC, ``Z``),
``MicroTime`` (six fractional digits) and the ``Status`` body of a failed (or successful) request.

Parsing accepts what Go's ``time.Parse(time.RFC3339, ...)`` accepts, whatever the precision (``Time`` or
``MicroTime``): ``2006-01-02T15:04:05Z``, ``...05.123456789Z``, ``...05+02:00``. Times are aware UTC datetimes;
a naive datetime is taken as UTC. ``format_*`` also take epoch seconds (a float), as the event engines keep them.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

#: how Go prints the zero ``time.Time`` (an unset metav1.Time in a table cell)
ZERO_TIME = "0001-01-01T00:00:00Z"

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def _utc(when: datetime | float) -> datetime:
    from datetime import UTC, datetime

    if isinstance(when, datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return datetime.fromtimestamp(when, UTC)


def format_time(when: datetime | float) -> str:
    """metav1.Time's JSON form: UTC, whole seconds (truncated), ``2006-01-02T15:04:05Z``."""
    from datetime import datetime

    if not isinstance(when, datetime):
        when = int(when // 1)
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(when: datetime | float) -> str:
    """metav1.MicroTime's JSON form: UTC, ``2006-01-02T15:04:05.000000Z``."""
    from datetime import UTC, datetime

    if isinstance(when, datetime):
        return _utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    micros = round(when * 1e6)
    return (
        datetime.fromtimestamp(micros // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        + f".{micros % 1_000_000:06d}Z"
    )


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (any number of fractional digits, kept to the microsecond) as an aware UTC datetime.
    Raises ``ValueError``."""
    from datetime import UTC, datetime, timedelta

    m = _TIME.match(text.strip())
    if m is None:
        raise ValueError(f"invalid time {text!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(6, "0")[:6]
    t = datetime(year, month, day, hour, minute, second, int(frac), tzinfo=UTC)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        t = t - offset if m.group(9) == "+" else t + offset
    return t


def parse_optional_time(value: object) -> datetime | None:
    """:func:`parse_time` of a field that may be unset (None, "", not a string) or bad: None then."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def parse_epoch(value: object) -> float | None:
    """:func:`parse_optional_time` as epoch seconds: the same float as its ``timestamp()``, computed without
    ``datetime`` (``kpy events tail`` reads thousands of times and need not import it)."""
    if not isinstance(value, str) or not value:
        return None
    m = _TIME.match(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (year >= 1 and 1 <= month <= 12 and hour < 24 and minute < 60 and second < 60):
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= (29 if leap and month == 2 else _MONTH_DAYS[month]):
        return None
    seconds = _days_since_epoch(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    if m.group(9):
        offset = int(m.group(10)) * 3600 + int(m.group(11)) * 60
        seconds = seconds - offset if m.group(9) == "+" else seconds + offset
    micros = int((m.group(7) or "").ljust(6, "0")[:6])
    return (seconds * 10**6 + micros) / 10**6  # timedelta.total_seconds()'s own arithmetic


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_since_epoch(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's ``days_from_civil``)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``metav1.Status`` with ``status: Failure``, its keys in the order the apiserver writes them."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def success_body(details: dict[str, Any]) -> dict[str, Any]:
    """A ``metav1.Status`` with ``status: Success`` (what DELETE answers for most types)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
