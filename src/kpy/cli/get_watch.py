"""``kpy get --watch`` / ``--watch-only``, as kubectl's ``GetOptions.watch``.

Tables: one list (or one GET for a named object) and one watch, both asking for server-side Tables (the ``as``
parameter of the Accept header), so every event arrives as a ready row: no extra request per event, the row a
deleted object had when it was deleted, and the header printed with the first row even when the list was
empty. Widths are remembered across events as kubectl's tabwriter does. Unlike kubectl, a dropped watch is
resumed from the last resourceVersion seen, and a 410 Gone makes it list again and print what changed.

Other formats print objects from a client-go style ``Reflector`` (list, watch, resume, relist on 410);
``--output-watch-events`` wraps each in a ``{"type", "object"}`` watch event like kubectl.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from kpy.errors import ApiError, Gone, UsageError

if TYPE_CHECKING:
    from kpy.cli.get_run import Target, _Getter
    from kpy.printers.table import TablePrinter


async def watch(getter: _Getter, targets: list[Target]) -> int:
    if len(targets) != 1:
        raise UsageError("you may only specify a single resource type")
    target = targets[0]
    if getter.options.table:
        return await _TableWatch(getter, target).run()
    return await _ObjectWatch(getter, target).run()


def _key(meta: dict[str, Any]) -> str:
    return f"{meta.get('namespace', '') or ''}/{meta.get('name', '') or ''}"


def _row_meta(row: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = (row.get("object") or {}).get("metadata") or {}
    return meta


class _TableWatch:
    def __init__(self, getter: _Getter, target: Target) -> None:
        from kpy.cli.get_run import TABLE_ACCEPT
        from kpy.printers.table import TablePrinter

        self.getter = getter
        self.options = getter.options
        self.target = target
        self.accept = TABLE_ACCEPT
        self.printer: TablePrinter = TablePrinter(getter.out, getter.table_options(target.info, False))
        self.rv = ""
        #: the last row printed per object (namespace/name): its resourceVersion and the Table it came in
        self.known: dict[str, tuple[str, dict[str, Any]]] = {}
        self.columns: list[dict[str, Any]] = []

    def _print(self, table: dict[str, Any], event_type: str) -> None:
        self.printer.print_table(table, event_type=event_type if self.options.output_watch_events else "")
        self.getter.out.flush()

    def _remember(self, table: dict[str, Any], deleted: bool = False) -> None:
        if table.get("columnDefinitions"):
            self.columns = table["columnDefinitions"]
        for row in table.get("rows") or []:
            meta = _row_meta(row)
            if deleted:
                self.known.pop(_key(meta), None)
            else:
                self.known[_key(meta)] = (
                    str(meta.get("resourceVersion", "")),
                    {"columnDefinitions": self.columns, "rows": [row]},
                )
            if meta.get("resourceVersion"):
                self.rv = str(meta["resourceVersion"])

    async def _list(self) -> dict[str, Any] | None:
        tables, errors = await self.getter.table(self.target)
        if errors:
            raise errors[0]
        return tables[0] if tables else None

    async def run(self) -> int:
        target = self.target
        if len(target.names) > 1:  # kubectl prints the objects, then refuses to watch several
            tables, errors = await self.getter.table(target)
            for found in tables:
                self._print(found, "ADDED")
            self.getter.add_errors(errors)
            self.getter.errors.append(
                UsageError("you may only watch a single resource or type of resource at a time")
            )
            return self.getter.report()
        skip_first = False
        table: dict[str, Any] | None
        if target.names:
            table, error = await self.getter._get_one(
                target.info, target.namespace, target.names[0], self.accept
            )
            if error is not None:
                raise error
            assert table is not None
            from kpy.cli.get_run import as_table

            table = as_table(table)
            skip_first = True  # a watch from "0" starts with a synthetic ADDED for the object just printed
            rv = "0"
        else:
            table = await self._list()
            assert table is not None
            rv = str((table.get("metadata") or {}).get("resourceVersion", ""))
        if not self.options.watch_only:
            self._print(table, "ADDED")
        self._remember(table)
        self.rv = rv
        await self._follow(skip_first)
        return 0

    def _params(self) -> dict[str, str]:
        params = {"watch": "true"}
        if self.options.selector:
            params["labelSelector"] = self.options.selector
        fields = self.options.field_selector or ""
        if self.target.names:
            by_name = f"metadata.name={self.target.names[0]}"
            fields = f"{fields},{by_name}" if fields else by_name
        if fields:
            params["fieldSelector"] = fields
        if self.rv:
            params["resourceVersion"] = self.rv
        return params

    async def _follow(self, skip_first: bool) -> None:
        """Watch from ``self.rv``; a broken stream resumes, a 410 relists, an outage is reported on stderr and
        retried (with ``--max-retry-time`` as the bound) like the reflector's."""
        import asyncio
        import time

        from kpy.flowcontrol import ExponentialBackoffManager
        from kpy.rest import watch as reflector
        from kpy.rest.watchhealth import ReconnectTracker, report_to

        client = self.getter.client
        backoff = ExponentialBackoffManager(
            reflector.RECONNECT_INITIAL, reflector.RECONNECT_MAX, jitter=reflector.RECONNECT_JITTER
        )
        health = ReconnectTracker(time.monotonic, report_to(self.getter.err), self.options.retry_seconds)
        path = self.target.info.path(self.target.namespace)
        while True:
            opened = False

            def on_open() -> None:
                nonlocal opened
                opened = True
                health.succeeded()

            try:
                stream = client.stream_lines(
                    path,
                    self._params(),
                    accept=self.accept,
                    on_open=on_open,
                    header_timeout=reflector.RECONNECT_TIMEOUT,
                )
                async with contextlib.aclosing(stream):
                    async for line in stream:
                        event = json.loads(line)
                        if not isinstance(event, dict):
                            continue
                        if skip_first:
                            skip_first = False
                            self._remember(event.get("object") or {})
                            continue
                        self._event(event)
            except (Gone, _Relist):
                await self._relist()
                continue
            except (*reflector.RETRYABLE, ValueError) as exc:
                if not opened:  # the reconnect itself failed: an outage, reported once and bounded
                    delay = health.clamp(backoff.next_delay())
                    health.failed(exc, delay)
                    await asyncio.sleep(delay)
                    continue
                health.dropped()
            await asyncio.sleep(backoff.next_delay())

    def _event(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type", ""))
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise _Relist
            raise ApiError(
                str(obj.get("message", "")),
                code=obj.get("code"),
                reason=str(obj.get("reason", "")),
                status=obj,
            )
        if kind not in ("ADDED", "MODIFIED", "DELETED") or obj.get("kind") != "Table":
            return
        self._print(obj, kind)
        self._remember(obj, deleted=kind == "DELETED")

    async def _relist(self) -> None:
        """After a 410: list again, print the rows that changed and the last row of those that went away."""
        table = await self._list()
        if table is None:
            return
        if table.get("columnDefinitions"):
            self.columns = table["columnDefinitions"]
        fresh = {_key(_row_meta(row)): row for row in table.get("rows") or []}
        for key, (_, old) in list(self.known.items()):
            if key not in fresh:
                self._print(old, "DELETED")
                del self.known[key]
        for key, row in fresh.items():
            rv = str(_row_meta(row).get("resourceVersion", ""))
            known = self.known.get(key)
            if known is None or known[0] != rv:
                single = {"columnDefinitions": self.columns, "rows": [row]}
                self._print(single, "MODIFIED" if known else "ADDED")
                self.known[key] = (rv, single)
        self.rv = str((table.get("metadata") or {}).get("resourceVersion", "")) or self.rv


class _Relist(Exception):
    """Internal: an ERROR event with a 410 Status."""


class _ObjectWatch:
    def __init__(self, getter: _Getter, target: Target) -> None:
        self.getter = getter
        self.options = getter.options
        self.target = target
        self.format = self.options.output.partition("=")[0]

    def _print(self, obj: dict[str, Any], event_type: str) -> None:
        info = self.target.info
        obj.setdefault("apiVersion", info.group_version)
        obj.setdefault("kind", info.kind)
        out = self.getter.out
        if not self.options.output_watch_events or self.format == "name":
            self.getter.printer.print_obj(obj, out)
        elif self.format == "json":  # kubectl encodes a WatchEvent on one line, its fields in struct order
            from kpy.gocompat.jsonindent import go_json

            out.write(f'{{"type":{json.dumps(event_type)},"object":{go_json(obj, indent=None)}}}\n')
        else:
            self.getter.printer.print_obj({"type": event_type, "object": obj}, out)
        out.flush()

    async def run(self) -> int:
        from kpy.rest.watch import Reflector
        from kpy.rest.watchhealth import report_to

        target = self.target
        if len(target.names) > 1:
            found, errors = await self.getter.objects(target)
            for obj in found:
                self._print(obj, "ADDED")
            self.getter.add_errors(errors)
            self.getter.errors.append(
                UsageError("you may only watch a single resource or type of resource at a time")
            )
            return self.getter.report()
        field_selector = self.options.field_selector
        if target.names:
            _, error = await self.getter._get_one(target.info, target.namespace, target.names[0])
            if error is not None:
                raise error
            by_name = f"metadata.name={target.names[0]}"
            field_selector = f"{field_selector},{by_name}" if field_selector else by_name
        reflector = Reflector(
            self.getter.client,
            target.info,
            target.namespace,
            label_selector=self.options.selector,
            field_selector=field_selector,
            chunk_size=self.options.chunk_size,
            on_health=report_to(self.getter.err),
            max_retry_time=self.options.retry_seconds,
        )
        async for event in reflector:
            if event.type == "SYNCED":
                continue
            if event.initial and self.options.watch_only:
                continue
            self._print(event.object, event.type)
        return 0
