"""The engine behind ``kpy get``: options → complete (resolve types, namespace) → validate → run.

Split from ``get.py`` so ``kpy --help`` does not import it. Output follows kubectl: a server-side Table by
default; for ``-o json|yaml|name|jsonpath|custom-columns`` the object itself when one named object was asked for,
otherwise a ``List``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from kpy.cli.common import open_client
from kpy.config.flags import ConnectionFlags
from kpy.errors import ApiError, KpyError, UsageError
from kpy.printers import make_printer
from kpy.printers.table import TableOptions, TablePrinter

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.rest.discovery import Discovery, ResourceInfo

T = TypeVar("T")

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")


@dataclass
class GetOptions:
    args: list[str] = field(default_factory=list)
    output: str = ""
    selector: str | None = None
    field_selector: str | None = None
    all_namespaces: bool = False
    watch: bool = False
    watch_only: bool = False
    chunk_size: int = 500
    no_headers: bool = False
    show_labels: bool = False
    label_columns: tuple[str, ...] = ()
    filenames: list[str] = field(default_factory=list)
    local: bool = False
    allow_missing_template_keys: bool = True
    template: str | None = None

    @property
    def table(self) -> bool:
        return self.output in ("", "wide")


@dataclass(frozen=True)
class Request:
    """One TYPE with the names asked for (no names = list)."""

    type_arg: str
    names: tuple[str, ...]


def parse_args(args: list[str]) -> list[Request]:
    """kubectl's argument forms: ``TYPE [NAME...]``, ``TYPE1,TYPE2``, ``TYPE/NAME [TYPE/NAME...]``."""
    if not args:
        raise UsageError("Required resource not specified.\nUse \"kpy get -h\" for help and examples")
    if "/" in args[0]:
        grouped: dict[str, list[str]] = {}
        for arg in args:
            kind, sep, name = arg.partition("/")
            if not sep or not kind or not name:
                raise UsageError("there is no need to specify a resource type as a separate argument when "
                                 "passing arguments in resource/name form (e.g. 'kpy get resource/<resource_name>' "
                                 "instead of 'kpy get resource resource/<resource_name>'")
            grouped.setdefault(kind, []).append(name)
        return [Request(kind, tuple(names)) for kind, names in grouped.items()]
    types = [t for t in args[0].split(",") if t]
    names = tuple(args[1:])
    if any("/" in n for n in names):
        raise UsageError("there is no need to specify a resource type as a separate argument when passing "
                         "arguments in resource/name form (e.g. 'kpy get resource/<resource_name>' instead of "
                         "'kpy get resource resource/<resource_name>'")
    if names and len(types) > 1:
        pass  # kubectl allows `get pods,svc NAME` and looks the name up in each type
    return [Request(t, names) for t in types]


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


async def run_get(options: GetOptions, flags: ConnectionFlags, out: TextIO | None = None,
                  err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    printer = _validate(options)
    if options.filenames and options.local:
        return _print_local(options, out, printer)
    requests = [] if options.filenames else parse_args(options.args)
    async with open_client(flags) as client:
        return await _Getter(client, options, out, err, printer).run(requests)


def run_get_local(options: GetOptions, out: TextIO | None = None) -> int:
    """``get -f FILE --local`` without an event loop (no asyncio import); same checks and output as ``run_get``."""
    printer = _validate(options)
    return _print_local(options, out or sys.stdout, printer)


def _validate(options: GetOptions) -> Any:
    """The flag checks every ``get`` starts with; returns the printer (None for tables)."""
    if options.local and not options.filenames:
        raise UsageError("--local requires -f/--filename: there is no server to read from")
    if options.filenames and options.args:
        raise UsageError("when paths (-f) are given, resource types and names cannot be given too")
    return None if options.table else make_printer(
        options.output, no_headers=options.no_headers,
        allow_missing_template_keys=options.allow_missing_template_keys, template=options.template)


def _print_local(options: GetOptions, out: TextIO, printer: Any) -> int:
    from kpy import manifests

    loaded = manifests.load(options.filenames)
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
    table = {"columnDefinitions": [{"name": "Name", "priority": 0}],
             "rows": [{"cells": [kind_name(o).split("/", 1)[1] if len(kinds) == 1 else kind_name(o)],
                       "object": {"metadata": o.get("metadata") or {}}} for o in objects]}
    TablePrinter(out, TableOptions(no_headers=options.no_headers, show_labels=options.show_labels)).print_table(table)


class _Getter:
    def __init__(self, client: RestClient, options: GetOptions, out: TextIO, err: TextIO, printer: Any) -> None:
        from kpy.rest.discovery import Discovery

        self.client = client
        self.options = options
        self.out = out
        self.err = err
        self.printer = printer
        self.discovery: Discovery = Discovery(client, client.config.cache_dir)
        self.errors: list[KpyError] = []
        self._files_single = False

    def namespace_for(self, info: ResourceInfo) -> str | None:
        if not info.namespaced or self.options.all_namespaces:
            return None
        return self.client.config.namespace

    async def run(self, requests: list[Request]) -> int:
        if self.options.filenames:
            requests_info = await self._requests_from_files()
        else:
            infos = await _gather(*(self.discovery.resolve(r.type_arg) for r in requests))
            requests_info = list(zip(infos, [r.names for r in requests], strict=True))
        if self.options.watch:
            if len(requests_info) != 1:
                raise UsageError("you may only specify a single resource type")
            await self._watch(*requests_info[0])
            return 0
        single = self._files_single if self.options.filenames else (
            len(requests_info) == 1 and len(requests_info[0][1]) == 1)
        if self.options.table:
            await self._print_tables(requests_info)
        else:
            items: list[dict[str, Any]] = []
            for info, names in requests_info:
                items.extend(await self._objects(info, names))
            fmt = self.options.output.partition("=")[0]
            structured = fmt in ("json", "yaml")
            if single and len(items) == 1:
                self.printer.print_obj(items[0], self.out)
            elif not single and (items or structured or fmt.startswith("jsonpath")):
                self.printer.print_obj(as_list(items), self.out)
            if not items and not structured:
                self._no_resources(requests_info)
        for error in self.errors:
            self.err.write(error.format() + "\n")
        return 1 if self.errors else 0

    async def _requests_from_files(self) -> list[tuple[ResourceInfo, tuple[str, ...]]]:
        from kpy import manifests

        loaded = manifests.load(self.options.filenames)
        self._files_single = len(loaded) == 1 and loaded[0].single
        grouped: dict[tuple[str, str], list[str]] = {}
        for m in loaded:
            for obj in m.objects:
                api_version = str(obj.get("apiVersion", ""))
                grouped.setdefault((api_version, str(obj.get("kind", ""))), []).append(
                    str((obj.get("metadata") or {}).get("name", "")))
        out = []
        for (api_version, kind), names in grouped.items():
            group = api_version.rpartition("/")[0]
            info = await self.discovery.resolve(f"{kind}.{api_version.rpartition('/')[2]}.{group}" if group
                                                else kind)
            out.append((info, tuple(names)))
        return out

    def _no_resources(self, requests_info: list[tuple[ResourceInfo, tuple[str, ...]]]) -> None:
        if self.errors or any(names for _, names in requests_info):
            return
        namespaced = any(info.namespaced for info, _ in requests_info)
        if namespaced and not self.options.all_namespaces:
            self.err.write(f"No resources found in {self.client.config.namespace} namespace.\n")
        else:
            self.err.write("No resources found\n")

    async def _objects(self, info: ResourceInfo, names: tuple[str, ...]) -> list[dict[str, Any]]:
        from kpy.rest.watch import list_all

        ns = self.namespace_for(info)
        if names:
            results = await _gather(*(self._get_one(info, ns, n) for n in names))
            return [r for r in results if r is not None]
        result = await list_all(self.client, info, ns, label_selector=self.options.selector,
                                field_selector=self.options.field_selector, chunk_size=self.options.chunk_size)
        for item in result.items:
            item.setdefault("apiVersion", info.group_version)
            item.setdefault("kind", info.kind)
        return result.items

    async def _get_one(self, info: ResourceInfo, ns: str | None, name: str,
                       accept: str = "application/json") -> dict[str, Any] | None:
        try:
            response = await self.client.request("GET", info.path(ns, name), accept=accept)
        except ApiError as exc:
            self.errors.append(exc)
            return None
        obj: dict[str, Any] = response.json()
        return obj

    async def _table(self, info: ResourceInfo, names: tuple[str, ...]) -> dict[str, Any] | None:
        """One Table for a type: named objects merged into one, or the chunked list's pages merged."""
        ns = self.namespace_for(info)
        if names:
            tables = await _gather(*(self._get_one(info, ns, n, TABLE_ACCEPT) for n in names))
            found = [t for t in tables if t is not None]
            if not found:
                return None
            merged = dict(found[0])
            merged["rows"] = [row for t in found for row in t.get("rows") or []]
            return merged
        params: dict[str, str] = {}
        if self.options.selector:
            params["labelSelector"] = self.options.selector
        if self.options.field_selector:
            params["fieldSelector"] = self.options.field_selector
        if self.options.chunk_size > 0:
            params["limit"] = str(self.options.chunk_size)
        merged_table: dict[str, Any] | None = None
        while True:
            response = await self.client.request("GET", info.path(ns), params=params, accept=TABLE_ACCEPT)
            page: dict[str, Any] = response.json()
            if merged_table is None:
                merged_table = page
                merged_table["rows"] = list(page.get("rows") or [])
            else:
                merged_table["rows"].extend(page.get("rows") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return merged_table
            params["continue"] = token

    def _table_options(self, show_kind: bool) -> TableOptions:
        return TableOptions(wide=self.options.output == "wide", no_headers=self.options.no_headers,
                            with_namespace=self.options.all_namespaces, show_kind=show_kind,
                            show_labels=self.options.show_labels, label_columns=self.options.label_columns)

    async def _print_tables(self, requests_info: list[tuple[ResourceInfo, tuple[str, ...]]]) -> None:
        show_kind = len(requests_info) > 1
        tables = await _gather(*(self._table(info, names) for info, names in requests_info))
        printer = TablePrinter(self.out, self._table_options(show_kind))
        printed = 0
        for (info, _), table in zip(requests_info, tables, strict=True):
            if not table or not table.get("rows"):
                continue
            if printed:
                printer.new_section()
            prefix = _kind_prefix(info) if show_kind else ""
            printed += printer.print_table(table, prefix) or 0
        if not printed:
            self._no_resources(requests_info)

    async def _watch(self, info: ResourceInfo, names: tuple[str, ...]) -> None:
        """List then follow changes, resuming from the last resourceVersion and relisting on 410 (Reflector)."""
        from kpy.rest.watch import Reflector

        if len(names) > 1:
            raise UsageError("you may only specify a single name with --watch")
        field_selector = self.options.field_selector
        if names:
            by_name = f"metadata.name={names[0]}"
            field_selector = f"{field_selector},{by_name}" if field_selector else by_name
        reflector = Reflector(self.client, info, self.namespace_for(info), label_selector=self.options.selector,
                              field_selector=field_selector, chunk_size=self.options.chunk_size)
        table_printer = TablePrinter(self.out, self._table_options(False)) if self.options.table else None
        rows: dict[str, dict[str, Any]] = {}
        header: dict[str, Any] | None = None
        initial: list[dict[str, Any]] = []
        async for event in reflector:
            if event.type == "SYNCED":
                if not self.options.watch_only:
                    await self._emit_initial(info, initial, table_printer, rows)
                    header = None if table_printer is None else {}
                initial = []
                self.out.flush()
                continue
            obj = event.object
            if event.initial:
                initial.append(obj)
                continue
            obj.setdefault("apiVersion", info.group_version)
            obj.setdefault("kind", info.kind)
            if table_printer is None:
                self.printer.print_obj(obj, self.out)
            else:
                await self._emit_row(info, obj, event.type, table_printer, rows, header is None)
                header = {}
            self.out.flush()

    async def _emit_initial(self, info: ResourceInfo, initial: list[dict[str, Any]],
                            table_printer: TablePrinter | None, rows: dict[str, dict[str, Any]]) -> None:
        if table_printer is None:
            for obj in initial:
                obj.setdefault("apiVersion", info.group_version)
                obj.setdefault("kind", info.kind)
                self.printer.print_obj(obj, self.out)
            return
        if not initial:
            return
        table = await self._table(info, ())
        if table is None:
            return
        table_printer.print_table(table)
        for row in table.get("rows") or []:
            meta = (row.get("object") or {}).get("metadata") or {}
            rows[_key(meta)] = {"table": table, "row": row}

    async def _emit_row(self, info: ResourceInfo, obj: dict[str, Any], kind: str, printer: TablePrinter,
                        rows: dict[str, dict[str, Any]], header: bool) -> None:
        meta = obj.get("metadata") or {}
        key = _key(meta)
        table = None
        if kind != "DELETED":
            ns = meta.get("namespace") if info.namespaced else None
            try:
                response = await self.client.request("GET", info.path(ns, meta.get("name")), accept=TABLE_ACCEPT)
                table = response.json()
            except ApiError:
                table = None
        if table is None and key in rows:
            table = dict(rows[key]["table"])
            table["rows"] = [rows[key]["row"]]
        if table is None:
            return
        if table.get("rows"):
            rows[key] = {"table": table, "row": table["rows"][0]}
        printer.print_table(table, header=header)


def _gather(*aws: Awaitable[T]) -> Awaitable[list[T]]:
    """``asyncio.gather``, with asyncio imported only by the paths that talk to a server."""
    import asyncio

    return asyncio.gather(*aws)


def _key(meta: dict[str, Any]) -> str:
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _kind_prefix(info: ResourceInfo) -> str:
    kind = info.kind.lower()
    return f"{kind}.{info.group}" if info.group else kind
