"""The engines behind ``kpy events tail`` and ``kpy events record`` (options → complete → validate → run).

Kept out of ``kpy.cli.events`` so ``kpy --help`` never imports them. Diagnostics go to ``err``; results to
``out``. Library errors are raised as ``kpy.errors`` types for the CLI root to report.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from kpy.errors import UsageError
from kpy.events.recorder import EVENT_TYPES
from kpy.events.tail import TailOptions, parse_types
from kpy.gocompat.duration import parse_flag_seconds

if TYPE_CHECKING:
    from kpy.config.flags import ConnectionFlags


def parse_duration(value: str, flag: str) -> float:
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


# -- tail ----------------------------------------------------------------------------------------------------
async def run_tail(
    flags: ConnectionFlags,
    *,
    all_namespaces: bool,
    for_object: str | None,
    types: str | None,
    reason: str | None,
    since: str | None,
    watch: bool,
    output: str,
    no_headers: bool,
    chunk_size: int = 500,
    show_managed_fields: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    max_retry_time: str | None = None,
) -> int:
    from kpy.cli.common import open_client
    from kpy.events.tail import tail_events
    from kpy.rest.watchhealth import parse_retry_time, report_to

    out = out or sys.stdout
    err = err or sys.stderr
    options = TailOptions(
        for_object=for_object,
        types=parse_types(types),
        reason=reason or None,
        since=None if since is None else parse_duration(since, "--since"),
        watch=watch,
        output=output,
        no_headers=no_headers,
        chunk_size=chunk_size,
        color=use_color(out),
        show_managed_fields=show_managed_fields,
    )
    retry_time = parse_retry_time(max_retry_time)
    if for_object and "/" not in for_object:
        raise UsageError("--for must be in resource/name form")
    async with open_client(flags) as client:
        options.namespace = None if all_namespaces else client.config.namespace
        printed = await tail_events(
            client, options, out, reflector_kwargs={"on_health": report_to(err), "max_retry_time": retry_time}
        )
    if not watch and printed == 0:  # kubectl events says so whatever the output format
        err.write(
            "No events found.\n" if all_namespaces else f"No events found in {options.namespace} namespace.\n"
        )
    return 0


# -- record: kpy.events.record (re-exported here, where the CLI looks for its engines) ------------------------
from kpy.events.record import (  # noqa: E402
    FIELDS,
    RecordInput,
    RecordOptions,
    parse_line,
    record_all,
    run_record,
)

__all__ = [
    "EVENT_TYPES",
    "FIELDS",
    "RecordInput",
    "RecordOptions",
    "parse_duration",
    "parse_line",
    "record_all",
    "run_record",
    "run_tail",
    "use_color",
]
