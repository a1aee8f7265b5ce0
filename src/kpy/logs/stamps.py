"""The kubelet's log timestamps: RFC3339 with nine fraction digits in UTC (``timestamps=true`` prefixes).

Times are integers (nanoseconds since the epoch) so equal timestamps compare exactly.
"""

from __future__ import annotations

import calendar
import datetime as dt

NS = 1_000_000_000


def format_ts(ns: int) -> str:
    """RFC3339NanoFixed in UTC (``2026-12-03T09:24:27.213191202Z``)."""
    seconds, frac = divmod(ns, NS)
    base = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:09d}Z"


def format_seconds(ns: int) -> str:
    """RFC3339 to the second (rounded down): how a ``sinceTime`` reaches the kubelet anyway."""
    return dt.datetime.fromtimestamp(ns // NS, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> int:
    """An RFC3339 time (any fraction, ``Z`` or an offset) → nanoseconds; ValueError when it does not parse."""
    date, sep, rest = text.partition("T")
    if not sep or len(date) != 10:
        raise ValueError(text)
    offset = 0
    if rest.endswith(("Z", "z")):
        clock = rest[:-1]
    else:
        sign = max(rest.rfind("+"), rest.rfind("-"))
        if sign < 0:
            raise ValueError(text)
        clock, tz = rest[:sign], rest[sign:]
        hours, colon, minutes = tz[1:].partition(":")
        if not colon or not (hours.isdigit() and minutes.isdigit()):
            raise ValueError(text)
        offset = (int(hours) * 60 + int(minutes)) * 60 * (1 if tz[0] == "+" else -1)
    whole, _, frac = clock.partition(".")
    if frac and not (frac.isascii() and frac.isdigit()):
        raise ValueError(text)
    parsed = dt.datetime.strptime(f"{date}T{whole}", "%Y-%m-%dT%H:%M:%S")
    seconds = calendar.timegm(parsed.timetuple()) - offset
    return seconds * NS + int((frac + "000000000")[:9])


def split_stamp(line: bytes) -> tuple[int | None, bytes]:
    """``b"<RFC3339> text"`` → (time in ns, text); (None, line) when the line has no timestamp."""
    space = line.find(b" ", 0, 40)
    if space < 20:
        return None, line
    try:
        return parse_rfc3339(line[:space].decode("ascii")), line[space + 1 :]
    except (ValueError, UnicodeDecodeError):
        return None, line
