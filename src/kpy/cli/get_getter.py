"""``kpy get``'s fetching and printing: resolving TYPEs and -f files to targets, getting or listing them
(as Tables by default), and printing the results and the errors collected on the way."""

from __future__ import annotations

from collections.abc import Awaitable

from kpy.cli.get_args import (
    TABLE_ACCEPT,
    Request,
    Target,
    as_list,
    as_table,
    enhance_list_error,
    format_errors,
)
from kpy.errors import ApiError, KpyError, NotFound, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TextIO, TypeVar

    from kpy.cli.get import GetOptions
    from kpy.printers.table import TableOptions, TablePrinter
    from kpy.rest import RestClient
    from kpy.rest.discovery import Discovery, ResourceInfo

    T = TypeVar("T")


class _Getter:
    def __init__(
        self, client: RestClient, options: GetOptions, out: TextIO, err: TextIO, printer: Any
    ) -> None:
        from kpy.rest.discovery import Discovery

        self.client = client
        self.options = options
        self.out = out
        self.err = err
        self.printer = printer
        self.discovery: Discovery = Discovery(client, client.config.cache_dir)
        self.errors: list[KpyError] = []
        self.single = False

    def namespace_for(self, info: ResourceInfo) -> str | None:
        if not info.namespaced or self.options.all_namespaces:
            return None
        return self.client.config.namespace

    # -- complete ---------------------------------------------------------------------------------------
    async def targets(self, requests: list[Request]) -> list[Target]:
        if self.options.filename:
            return await self._targets_from_files()
        if (self.options.selector or self.options.field_selector) and any(r.names for r in requests):
            raise UsageError(  # kubectl's Builder refuses names with selectors before it resolves anything
                "selectors and the all flag cannot be used when passing resource/name arguments"
                if "/" in self.options.args[0]
                else "name cannot be provided when a selector is specified"
            )
        if self.options.all_namespaces and any(r.names for r in requests):
            raise UsageError("a resource cannot be retrieved by name across all namespaces")
        out: list[Target] = []
        for request in requests:
            for info in await self._resolve(request.type_arg):
                out.append(Target(info, request.names, self.namespace_for(info)))
        self.single = len(requests) == 1 and len(requests[0].names) == 1 and len(out) == 1
        return out

    async def _resolve(self, type_arg: str) -> list[ResourceInfo]:
        """The type(s) an argument names: a resource, or a category such as ``all`` (kubectl's expanders)."""
        ordered = (await self.discovery.table()).ordered()
        in_category = [i for i in ordered if type_arg in i.categories]
        if in_category:  # kubectl expands categories before it looks for a resource of that name
            seen: set[tuple[str, str]] = set()
            infos = []
            for info in in_category:
                if (info.group, info.resource) not in seen:
                    seen.add((info.group, info.resource))
                    infos.append(info)
            return infos
        resource, dot, group = type_arg.lower().partition(".")
        exact = any(resource in (i.resource, i.singular) and (not dot or group == i.group) for i in ordered)
        try:
            info = await self.discovery.resolve(type_arg)
        except UsageError:  # kubectl names the resource part of a `resource.group` argument
            raise UsageError(
                f'the server doesn\'t have a resource type "{type_arg.partition(".")[0]}"'
            ) from None
        if not exact:
            self._warn_ambiguous_short_name(type_arg, ordered)
        return [info]

    def _warn_ambiguous_short_name(self, type_arg: str, ordered: list[ResourceInfo]) -> None:
        """client-go's shortcut expander warns when a short name matches several resources."""
        resource, dot, group = type_arg.partition(".")
        chosen: tuple[str, str] | None = None
        warned: set[tuple[str, str]] = set()
        for info in ordered:
            if dot and info.group != group:
                continue
            if resource not in info.short_names:
                continue
            key = (info.group, info.resource)
            if chosen is None:
                chosen = key
            elif key != chosen and key not in warned:
                warned.add(key)
                name = f"{info.resource}.{info.group}" if info.group else info.resource
                self.err.write(
                    f'Warning: short name "{resource}" could also match lower priority resource {name}\n'
                )

    async def _targets_from_files(self) -> list[Target]:
        """Each object of the files, looked up in its own namespace (the current one when it names none)."""
        from kpy import manifests
        from kpy.cli.get_local import _manifest_paths

        loaded = manifests.load(_manifest_paths(self.options))
        self.single = len(loaded) == 1 and loaded[0].single
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for m in loaded:
            for obj in m.objects:
                meta = obj.get("metadata") or {}
                key = (
                    str(obj.get("apiVersion", "")),
                    str(obj.get("kind", "")),
                    str(meta.get("namespace") or self.client.config.namespace),
                )
                grouped.setdefault(key, []).append(str(meta.get("name", "")))
        out = []
        for (api_version, kind, namespace), names in grouped.items():
            group = api_version.rpartition("/")[0]
            info = await self.discovery.resolve(
                f"{kind}.{api_version.rpartition('/')[2]}.{group}" if group else kind
            )
            out.append(Target(info, tuple(names), namespace if info.namespaced else None))
        return out

    # -- run --------------------------------------------------------------------------------------------
    async def run(self, targets: list[Target]) -> int:
        if self.options.table:
            from kpy.decode import paused_gc

            with paused_gc():  # thousands of rows and cells, no reference cycles: nothing for the GC to find
                await self._print_tables(targets)
        else:
            await self._print_objects(targets)
        return self.report()

    def add_errors(self, errors: list[KpyError]) -> None:
        if self.options.ignore_not_found:
            errors = [e for e in errors if not isinstance(e, NotFound)]
        self.errors.extend(errors)

    def report(self) -> int:
        if self.errors:
            self.out.flush()
            self.err.write(format_errors(self.errors))
        return 1 if self.errors else 0

    async def _print_objects(self, targets: list[Target]) -> None:
        results = await _gather(*(self.objects(t) for t in targets))
        items = [obj for found, _ in results for obj in found]
        for _, errors in results:
            self.add_errors(errors)
        if self.single and self.errors:
            return  # kubectl: a single implied item that failed prints only the error
        if not items and self.options.ignore_not_found:
            return
        if self.single and len(items) == 1:
            self.printer.print_obj(items[0], self.out)
            return
        if self.options.sort_by:
            from kpy.printers.sorting import Sorter, SortError

            try:
                items = Sorter(self.options.sort_by).sort_objects(items)
            except SortError as exc:
                self.errors.append(exc)
                return
        self.printer.print_obj(as_list(items), self.out)

    async def objects(self, target: Target) -> tuple[list[dict[str, Any]], list[KpyError]]:
        """The objects of one target and the errors met (kubectl's ContinueOnError)."""
        from kpy.rest.listing import list_all

        info, ns = target.info, target.namespace
        if target.names:
            results = await _gather(*(self._get_one(info, ns, n) for n in target.names))
            return [r for r, _ in results if r is not None], [e for _, e in results if e is not None]
        if self.options.subresource:
            return [], []  # kubectl lists the objects themselves; only named gets read the subresource
        try:
            result = await list_all(
                self.client,
                info,
                ns,
                label_selector=self.options.selector,
                field_selector=self.options.field_selector,
                chunk_size=0 if self.options.sort_by else self.options.chunk_size,
            )
        except ApiError as exc:
            return [], [
                enhance_list_error(exc, info, self.options.selector or "", self.options.field_selector or "")
            ]
        for item in result.items:
            item.setdefault("apiVersion", info.group_version)
            item.setdefault("kind", info.kind)
        return result.items, []

    async def _get_one(
        self,
        info: ResourceInfo,
        ns: str | None,
        name: str,
        accept: str = "application/json",
        params: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any] | None, KpyError | None]:
        try:
            path = info.path(ns, name, self.options.subresource or None)
            # kubectl's Info.Get: a 404 in a namespace that does not exist reports the namespace
            response = await self.client.get_named(
                path, ns if info.namespaced else None, params or None, accept
            )
        except ApiError as exc:
            return None, exc
        obj: dict[str, Any] = response.json()
        return obj, None

    def table_params(self) -> dict[str, str]:
        return {"includeObject": "Object"} if self.options.sort_by else {}

    async def table(self, target: Target) -> tuple[list[dict[str, Any]], list[KpyError]]:
        """The Tables of one target (one per named object, or the list's), and the errors met."""
        info, ns = target.info, target.namespace
        if target.names:
            found = await _gather(
                *(self._get_one(info, ns, n, TABLE_ACCEPT, self.table_params()) for n in target.names)
            )
            return [as_table(t) for t, _ in found if t is not None], [e for _, e in found if e is not None]
        params = self.table_params()
        if self.options.selector:
            params["labelSelector"] = self.options.selector
        if self.options.field_selector:
            params["fieldSelector"] = self.options.field_selector
        if self.options.chunk_size > 0 and not self.options.sort_by:
            params["limit"] = str(self.options.chunk_size)
        merged: dict[str, Any] | None = None
        while True:
            try:
                response = await self.client.request("GET", info.path(ns), params=params, accept=TABLE_ACCEPT)
            except ApiError as exc:
                error = enhance_list_error(
                    exc, info, self.options.selector or "", self.options.field_selector or ""
                )
                return [], [error]
            page: dict[str, Any] = self._table_page(response.body) or response.json()
            if merged is None:
                merged = page
                merged["rows"] = list(page.get("rows") or [])
            else:
                merged["rows"].extend(page.get("rows") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return [merged], []
            params["continue"] = token

    def _table_page(self, body: bytes) -> dict[str, Any] | None:
        """A listed Table with its rows' cells only (and namespaces with ``-A``), when nothing printed needs more
        of the rows' objects (labels, sorting); None: decode it whole."""
        options = self.options
        if options.show_labels or options.label_columns or options.sort_by:
            return None
        from kpy.printers.table_decode import cells_only

        return cells_only(body, namespaces=options.all_namespaces)

    def table_options(self, info: ResourceInfo | None, show_kind: bool) -> TableOptions:
        from kpy.printers.table import TableOptions  # not for -o name/json/...: tables load their printer

        with_namespace = self.options.all_namespaces and (info is None or info.namespaced)
        return TableOptions(
            wide=self.options.output == "wide",
            no_headers=self.options.no_headers,
            with_namespace=with_namespace,
            show_kind=show_kind,
            show_labels=self.options.show_labels,
            label_columns=self.options.label_columns,
        )

    async def _print_tables(self, targets: list[Target]) -> None:
        if self.options.subresource and any(not t.names for t in targets):
            targets = [t for t in targets if t.names]
        results = await _gather(*(self.table(t) for t in targets))
        for _, errors in results:
            self.add_errors(errors)
        infos = [(t.info, table) for t, (tables, _) in zip(targets, results, strict=True) for table in tables]
        kinds = {(info.group, info.kind) for info, _ in infos}
        show_kind = self.options.show_kind or len(kinds) > 1
        if self.options.sort_by and not self._sort_tables(infos):
            return
        from kpy.printers.table import TablePrinter

        printer: TablePrinter | None = None
        last: ResourceInfo | None = None
        written = False
        with_namespace = (
            False  # kubectl's EnsureWithNamespace sticks: later cluster-scoped types get the column
        )
        for info, table in infos:
            if printer is None or last is None or (info.group, info.resource) != (last.group, last.resource):
                if printer is not None:
                    printer.flush()
                separate = last is not None and not self.options.no_headers and written
                with_namespace = with_namespace or (self.options.all_namespaces and info.namespaced)
                options = self.table_options(info, show_kind)
                options.with_namespace = with_namespace
                printer = TablePrinter(self.out, options, separator=separate)
                last = info
            count = printer.print_table(table, _kind_prefix(info) if show_kind else "", flush=False)
            written = written or count > 0
        if printer is not None:
            printer.flush()
        if not written and not self.options.ignore_not_found and not self.errors:
            namespaced = not self.options.all_namespaces and all(info.namespaced for info, _ in infos)
            if namespaced:
                self.err.write(f"No resources found in {self.client.config.namespace} namespace.\n")
            else:
                self.err.write("No resources found\n")

    def _sort_tables(self, infos: list[tuple[ResourceInfo, dict[str, Any]]]) -> bool:
        """kubectl's RuntimeSorter over Tables: each table's rows sorted; with several tables (several types
        or names) kubectl cannot see the rows' objects and fails when any table has rows."""
        from kpy.printers.sorting import Sorter, SortError

        try:
            sorter = Sorter(self.options.sort_by)
            if len(infos) > 1 and any(table.get("rows") for _, table in infos):
                raise SortError(f'couldn\'t find any field with path "{sorter.field}" in the list of objects')
            for _, table in infos:
                sorter.sort_table(table)
        except SortError as exc:
            self.errors.append(exc)
            return False
        return True


def _gather(*aws: Awaitable[T]) -> Awaitable[list[T]]:
    """``asyncio.gather`` in an event loop; in turn when driven without one (``kpy.rest.gather``)."""
    from kpy.rest.gather import gather

    return gather(*aws)


def _kind_prefix(info: ResourceInfo) -> str:
    kind = info.kind.lower()
    return f"{kind}.{info.group}" if info.group else kind
