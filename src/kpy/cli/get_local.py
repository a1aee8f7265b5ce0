"""``kpy get --raw PATH`` and ``kpy get -f FILE --local``: the paths that do not list or get resources."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO

from kpy.cli.get_args import OpenClient, as_list
from kpy.errors import UsageError
from kpy.printers.table import TableOptions, TablePrinter

if TYPE_CHECKING:
    from kpy.cli.get import GetOptions

_MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")


def _validate_raw(options: GetOptions) -> None:
    if options.args:
        raise UsageError("arguments may not be passed when --raw is specified")
    if options.watch or options.selector:
        raise UsageError(
            "--raw may not be specified with other flags that filter the server request or alter the output"
        )
    if options.output:
        raise UsageError("--raw and --output are mutually exclusive")
    if not options.raw.startswith("/"):
        raise UsageError(f'--raw must be a valid URL path: parse "{options.raw}": invalid URI for request')


async def _raw(options: GetOptions, open_client: OpenClient, out: TextIO) -> int:
    """``--raw PATH``: the server's answer, byte for byte (kubectl's RawGet)."""
    path, _, query = options.raw.partition("?")
    from urllib.parse import parse_qsl

    async with open_client(options.flags) as client:
        response = await client.request(
            "GET",
            path,
            params=parse_qsl(query, keep_blank_values=True) or None,
            accept="application/json, */*",
        )
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        buffer.write(response.body)
        buffer.flush()
    else:
        out.write(response.body.decode("utf-8", "replace"))
    return 0


def _manifest_paths(options: GetOptions) -> list[str]:
    """-f paths, with directories walked recursively for ``-R`` in ``filepath.Walk`` order (kubectl's
    FilenameOptions): entries sorted by name, a subdirectory's files where the subdirectory sorts."""
    if not options.recursive:
        return list(options.filename)

    def walk(directory: str) -> list[str]:
        found: list[str] = []
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if os.path.isdir(path):
                found.extend(walk(path))
            elif name.endswith(_MANIFEST_EXTENSIONS):
                found.append(path)
        return found

    paths: list[str] = []
    for path in options.filename:
        paths.extend(walk(path) if path != "-" and os.path.isdir(path) else [path])
    return paths


def _print_local(options: GetOptions, out: TextIO, printer: Any) -> int:
    from kpy import manifests

    loaded = manifests.load(_manifest_paths(options))
    # The decoded objects live until the process exits and hold no cycles: keep the cyclic GC from walking
    # millions of them again and again while they are printed (3x the CPU for 50,000 pods).
    import gc

    gc.freeze()
    objects = [obj for m in loaded for obj in m.objects]
    single = len(loaded) == 1 and loaded[0].single
    if printer is None:
        _print_local_table(objects, options, out)
        return 0
    printer.print_obj(objects[0] if single else as_list(objects), out)
    return 0


def _print_local_table(objects: list[dict[str, Any]], options: GetOptions, out: TextIO) -> None:
    """Without a server there is no Table: kubectl's client-side default is NAME (and AGE, which needs a clock)."""
    from kpy.printers.structured import kind_name

    kinds = {str(o.get("kind")) for o in objects}
    table = {
        "columnDefinitions": [{"name": "Name", "priority": 0}],
        "rows": [
            {
                "cells": [kind_name(o).split("/", 1)[1] if len(kinds) == 1 else kind_name(o)],
                "object": {"metadata": o.get("metadata") or {}},
            }
            for o in objects
        ],
    }
    TablePrinter(
        out, TableOptions(no_headers=options.no_headers, show_labels=options.show_labels)
    ).print_table(table)
