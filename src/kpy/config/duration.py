"""``--request-timeout`` values, parsed the way kubectl does (a bare integer is seconds, else a Go duration)."""

from __future__ import annotations

import re

from kpy.errors import UsageError
from kpy.gocompat.duration import parse_duration

INVALID_TIMEOUT = (
    "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a "
    "corresponding time unit (e.g. 1s | 2m | 3h)"
)


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` in seconds, surrounding blanks ignored (kubectl trims ``--request-timeout``)."""
    return parse_duration(text.strip())


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
