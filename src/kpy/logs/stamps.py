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


_RFC3339 = "2006-01-02T15:04:05Z07:00"
_RFC3339_ELEMS = ("2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", "Z07:00")
_RANGES = {"01": (1, 12, "month"), "02": (1, 31, "day"), "15": (0, 23, "hour"), "04": (0, 59, "minute")}


def since_time_error(value: str) -> str | None:
    """Go's time.Parse(time.RFC3339, value) error text (the query conversion of ``sinceTime``), None if ok."""
    head = f"parsing time {_go_quote(value)}"
    rest = value
    for elem in _RFC3339_ELEMS:
        fail = f'{head} as "{_RFC3339}": cannot parse {_go_quote(rest)} as {_go_quote(elem)}'
        if elem in ("2006", "01", "02", "15", "04", "05"):
            width = 4 if elem == "2006" else 2
            digits = rest[:width]
            if len(digits) < width or not (digits.isascii() and digits.isdigit()):
                return fail
            low, high, what = _RANGES.get(elem, (0, 59, "second"))
            if elem != "2006" and not low <= int(digits) <= high:
                return f"{head}: {what} out of range"
            rest = rest[width:]
            if elem == "05" and rest[:1] in (".", ","):
                frac = rest[1:]
                n = len(frac) - len(frac.lstrip("0123456789"))
                if n == 0:
                    return f'{head} as "{_RFC3339}": cannot parse {_go_quote(rest)} as "Z07:00"'
                rest = frac[n:]
        elif elem == "Z07:00":
            if rest[:1] == "Z":
                rest = rest[1:]
            elif (
                len(rest) >= 6
                and rest[0] in "+-"
                and rest[1:3].isdigit()
                and rest[3] == ":"
                and rest[4:6].isdigit()
            ):
                rest = rest[6:]
            else:
                return fail
        elif rest[:1] != elem:
            return fail
        else:
            rest = rest[1:]
    if rest:
        return f"{head}: extra text: {_go_quote(rest)}"
    return None


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
