"""The engine behind ``kpy get``: options → complete (resolve types, namespace) → validate → run.

Split from ``get.py`` so ``kpy --help`` does not import it. Output follows kubectl's ``get``: a server-side Table
by default (one table per resource type, kind prefixes when several types answered); for every other ``-o`` the
object itself when one named object was asked for, otherwise a ``List`` (empty when nothing was found, so
``-o json`` prints an empty List and ``-o custom-columns`` its header). Errors are collected like kubectl's
``ContinueOnError`` builder and reported together after the output. ``--watch`` lives in ``get_watch``.
"""

from __future__ import annotations

import sys

from kpy.cli.get_args import (
    TABLE_ACCEPT,
    OpenClient,
    Request,
    Target,
    as_list,
    as_table,
    enhance_list_error,
    format_errors,
    group_resource,
    parse_args,
)
from kpy.cli.get_getter import _Getter
from kpy.errors import UsageError
from kpy.printers import make_printer

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from kpy.cli.get import GetOptions

__all__ = [
    "TABLE_ACCEPT",
    "OpenClient",
    "Request",
    "Target",
    "_Getter",
    "as_list",
    "as_table",
    "enhance_list_error",
    "format_errors",
    "group_resource",
    "parse_args",
    "run_get",
    "run_get_local",
    "validate",
]


async def run_get(
    options: GetOptions, open_client: OpenClient, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run a validated ``get``: ``open_client`` is the engine seam (``RunContext.client``)."""
    out = out or sys.stdout
    err = err or sys.stderr
    flags = options.flags
    if options.raw:
        from kpy.cli.get_local import _raw

        return await _raw(options, open_client, out)
    printer = _validate(options, err)
    if options.filename and options.local:
        from kpy.cli.get_local import _print_local

        return _print_local(options, out, printer)
    requests = [] if options.filename else parse_args(options.args, options.prog)
    async with open_client(flags) as client:
        getter = _Getter(client, options, out, err, printer)
        targets = await getter.targets(requests)
        if options.watch:
            from kpy.cli.get_watch import watch

            return await watch(getter, targets)
        return await getter.run(targets)


def run_get_local(options: GetOptions, out: TextIO | None = None) -> int:
    """``get -f FILE --local`` without an event loop (no asyncio import); same checks and output as ``run_get``."""
    printer = _validate(options, sys.stderr)
    from kpy.cli.get_local import _print_local

    return _print_local(options, out or sys.stdout, printer)


def validate(options: GetOptions) -> None:
    """The flag checks every ``get`` starts with (kubectl's Validate), before anything is printed."""
    if options.raw:
        from kpy.cli.get_local import _validate_raw

        _validate_raw(options)
        return
    if options.local and not options.filename:
        raise UsageError("--local requires -f/--filename: there is no server to read from")
    if options.filename and options.args:
        raise UsageError("when paths (-f) are given, resource types and names cannot be given too")
    if options.show_labels and not options.table:
        raise UsageError(f"--show-labels option cannot be used with {options.output} printer")
    if options.output_watch_events and not options.watch:
        raise UsageError("--output-watch-events option can only be used with --watch or --watch-only")


def _validate(options: GetOptions, err: TextIO) -> Any:
    """The checks that come with output (a warning, kubectl's hint before an error); returns the printer (None
    for tables)."""
    if options.sort_by and options.watch:
        which = (
            "--watch-only requested, --sort-by will be ignored"
            if options.watch_only
            else "--watch requested, --sort-by will be ignored for watch events received"
        )
        err.write(f"warning: {which}\n")
    if not options.args and not options.filename and options.watch:
        raise UsageError(
            "You must provide one or more resources by argument or filename.\nExample resource "
            "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   "
            "'<resource> <name>'\n   '<resource>'"
        )
    if not options.args and not options.filename:
        err.write(
            'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list '
            "of supported resources.\n\n"
        )
        parse_args([], options.prog)
    if options.table:
        return None
    return make_printer(
        options.output or "go-template",
        no_headers=options.no_headers,
        allow_missing_template_keys=options.allow_missing_template_keys,
        template=options.template,
        show_managed_fields=options.show_managed_fields,
    )
