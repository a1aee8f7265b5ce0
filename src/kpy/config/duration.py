"""``--request-timeout`` values, parsed the way kubectl does (a bare integer is seconds, else a Go duration)."""

from __future__ import annotations

import re

from kpy.errors import UsageError

INVALID_TIMEOUT = (
    "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a "
    "corresponding time unit (e.g. 1s | 2m | 3h)"
)

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``"1h30m"``, ``"1.5s"``, ``"300ms"``, ``"-2m"``, ``"0"``), in seconds."""
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(text)
    total = 0.0
    pos = 0
    while pos < len(s):
        match = _PART.match(s, pos)
        if match is None:
            raise ValueError(text)
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def parse_request_timeout(value: str | None) -> float | None:
    """Seconds to wait for one request, ``None`` for no timeout (unset, ``"0"``, ``"0s"``).

    Negative values are refused with kubectl's message (kubectl passes them on and every request then fails).
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(int(text)) if re.fullmatch(r"[+-]?\d+", text) else parse_go_duration(text)
    except ValueError:
        raise UsageError(INVALID_TIMEOUT) from None
    if seconds < 0:
        raise UsageError(INVALID_TIMEOUT)
    return seconds or None
