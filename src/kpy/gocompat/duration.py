"""Go's ``time.Duration``: ``time.ParseDuration`` with its error texts (``500ms``, ``0.5s``, ``1h30m``, ``-2m``,
``0``), ``Duration.String()``, and pflag's wording when a duration flag's value is not one
(``invalid argument "5x" for "--pod-running-timeout" flag: time: unknown unit "x" in duration "5x"``, as kubectl
1.32 prints it).

Durations are whole nanoseconds, like Go's, so that rules compare exactly what client-go compares
(``1.2 × 250ms`` is 300ms, not 0.30000000000000004 s).
"""

from __future__ import annotations

import re

from kpy.errors import UsageError

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "µs": MICROSECOND,
    "μs": MICROSECOND,
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")


def parse_duration_ns(text: str) -> int:
    """Go's ``time.ParseDuration`` in nanoseconds. Raises ``ValueError`` with Go's message."""
    orig = text
    s = text
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f'time: invalid duration "{orig}"')
    total = 0
    pos = 0
    while pos < len(s):
        match = _PART.match(s, pos)
        if match is None or (not match.group(1) and not match.group(2)):
            if match is None and re.match(r"[\d.]+$", s[pos:]):
                raise ValueError(f'time: missing unit in duration "{orig}"')
            if match is None and re.match(r"[\d.]+", s[pos:]):
                raise ValueError(
                    f'time: unknown unit "{re.sub(r"^[0-9.]+", "", s[pos:])}" in duration "{orig}"'
                )
            raise ValueError(f'time: invalid duration "{orig}"')
        whole, frac, unit = match.group(1) or "0", match.group(2) or "", _UNITS[match.group(3)]
        value = int(whole) * unit
        if frac:
            value += int(frac) * unit // (10 ** len(frac))
        total += value
        pos = match.end()
    if total > 2**63 - 1:
        raise ValueError(f'time: invalid duration "{orig}"')
    return -total if neg else total


def parse_duration(text: str) -> float:
    """Go duration text to seconds (float)."""
    return parse_duration_ns(text) / SECOND


def parse_flag_duration(flag: str, text: str) -> int:
    """A duration flag value in nanoseconds, or a ``UsageError`` worded like pflag's."""
    try:
        return parse_duration_ns(text)
    except ValueError as exc:
        raise UsageError(flag_error(flag, text, exc)) from None


def parse_flag_seconds(flag: str, text: str) -> float:
    """:func:`parse_flag_duration` in (float) seconds."""
    return parse_flag_duration(flag, text) / SECOND


def flag_error(flag: str, text: str, problem: object) -> str:
    """pflag's words for a flag value it could not parse: ``invalid argument "x" for "--f" flag: <problem>``."""
    return f'invalid argument "{text}" for "{flag}" flag: {problem}'


def format_duration(ns: int) -> str:
    """Go's ``Duration.String()``: ``2s``, ``1.5s``, ``500ms``, ``1m30s``, ``1h0m0s``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < SECOND:
        for unit, size in (("ms", MILLISECOND), ("µs", MICROSECOND), ("ns", NANOSECOND)):
            if u >= size:
                return sign + _frac(u, size) + unit
    hours, rest = divmod(u, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    secs = _frac(rest, SECOND) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return sign + secs


def _frac(value: int, size: int) -> str:
    whole, rest = divmod(value, size)
    if not rest:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}." + f"{rest:0{digits}d}".rstrip("0")
