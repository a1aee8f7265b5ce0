"""What ``kpy events tail`` and ``kpy events record`` share with scripts: flag-value parsing, colour choice, and
the record engine (``kpy.events.record``, re-exported). The commands themselves are ``kpy.cli.events``.

Library errors are raised as ``kpy.errors`` types for the CLI root to report.
"""

from __future__ import annotations

import os

from kpy.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TextIO


def parse_duration(value: str, flag: str) -> float:
    from kpy.gocompat.duration import parse_flag_seconds  # only when a duration is given

    seconds = parse_flag_seconds(flag, value)
    if seconds < 0:
        raise UsageError(f"{flag} must not be negative")
    return seconds


def use_color(out: TextIO, env: dict[str, str] | None = None) -> bool:
    """Highlight only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    env = dict(os.environ) if env is None else env
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


# -- record: kpy.events.record (re-exported here, where the CLI looks for its engines) ------------------------
# loaded on first use: ``kpy events tail`` needs only the two functions above, not the record pipeline (asyncio)
if TYPE_CHECKING:
    from kpy.events.record import FIELDS, RecordInput, RecordOptions, parse_line, record_all, run_record
    from kpy.events.recorder import EVENT_TYPES

_RECORD_NAMES = ("FIELDS", "RecordInput", "RecordOptions", "parse_line", "record_all", "run_record")


def __getattr__(name: str) -> Any:
    if name == "EVENT_TYPES":
        from kpy.events.recorder import EVENT_TYPES

        return EVENT_TYPES
    if name in _RECORD_NAMES:
        from kpy.events import record

        return getattr(record, name)
    raise AttributeError(f"module 'kpy.events.commands' has no attribute {name!r}")


__all__ = [
    "EVENT_TYPES",
    "FIELDS",
    "RecordInput",
    "RecordOptions",
    "parse_duration",
    "parse_line",
    "record_all",
    "run_record",
    "use_color",
]
