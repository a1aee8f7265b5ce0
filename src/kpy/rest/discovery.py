"""``Discovery``: which resource types the server has, cached on disk per server like kubectl's.

Aggregated discovery is asked for first (two requests: ``/api`` and ``/apis``); a server that answers with
the legacy documents gets the legacy walk (``/api/v1`` and every ``/apis/G/V``, concurrently; a group-version
that fails is skipped and logged, as kubectl warns and goes on). The result is kept in
``<cache_dir>/discovery/<host_port>/kpy-discovery.json`` (kubectl's directory; kubectl ignores the file) and
trusted for ``ttl`` (kubectl's default: 6 hours). An unknown type triggers one refresh from the server before
``the server doesn't have a resource type "foo"`` (kubectl's deferred discovery does the same).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from kpy.errors import ApiError, ConnectionFailed, UsageError
from kpy.flowcontrol import TokenBucket
from kpy.flowcontrol.sleep import loop_running
from kpy.rest.discovery_cache import CACHE_FILE, DEFAULT_TTL_SECONDS, cache_subdir, read_document
from kpy.rest.discovery_docs import (
    DiscoveryTable,
    ResourceInfo,
    add_aggregated,
    is_aggregated,
    legacy_group_versions,
    parse_resource_list,
    resolve_type,
)
from kpy.rest.gather import gather
from kpy.rest.logs import log, v

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    import asyncio
    from datetime import timedelta
    from typing import Any

    from kpy.rest.client import RestClient

__all__ = ["AGGREGATED_ACCEPT", "Discovery", "DiscoveryTable", "ResourceInfo", "cache_subdir"]

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


def __getattr__(name: str) -> Any:
    """``DEFAULT_TTL`` (a ``timedelta``): datetime loads when it is asked for, not with every ``kpy get``."""
    if name == "DEFAULT_TTL":
        from datetime import timedelta

        return timedelta(seconds=DEFAULT_TTL_SECONDS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Discovery:
    """Resolves kubectl type arguments (``po``, ``deployments.apps``, ``Deployment``, CRD names) for a client."""

    def __init__(
        self,
        client: RestClient,
        cache_dir: Path | str | None,
        ttl: timedelta | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        #: the discovery cache's TTL (``None``: ``DEFAULT_TTL``, 6 hours as kubectl's)
        self._ttl_seconds = DEFAULT_TTL_SECONDS if ttl is None else ttl.total_seconds()
        self._now = now
        self.cache_file: Path | None = None
        if cache_dir is not None:
            self.cache_file = (
                Path(cache_dir).expanduser() / "discovery" / cache_subdir(client.config.server) / CACHE_FILE
            )
        self._table: DiscoveryTable | None = None
        self._from_server = False
        self._lock: asyncio.Lock | None = None  # made in the event loop; driven without one, none is needed
        # kubectl's discovery client has its own, looser limits (50 QPS, burst 300)
        self._bucket = TokenBucket(50.0, 300)
        self.failed: dict[str, str] = {}  #: group-version -> error, for legacy groups that could not be read

    @property
    def ttl(self) -> timedelta:
        from datetime import timedelta

        return timedelta(seconds=self._ttl_seconds)

    # -- public ---------------------------------------------------------------------------------------
    async def resolve(self, type_arg: str) -> ResourceInfo:
        """The resource type ``type_arg`` names, or ``UsageError`` when the server has no such type."""
        arg = type_arg.strip()
        if arg:
            table = await self.table()
            found = resolve_type(table, arg)
            if found is not None:
                return found
            if not self._from_server:
                found = resolve_type(await self.table(refresh=True), arg)
                if found is not None:
                    return found
        raise UsageError(f'the server doesn\'t have a resource type "{type_arg}"')

    async def resources(self) -> list[ResourceInfo]:
        """Every resource type, in kubectl's priority order."""
        return (await self.table()).ordered()

    async def table(self, refresh: bool = False) -> DiscoveryTable:
        if not loop_running():  # driven without an event loop: nothing runs concurrently
            return await self._table_locked(refresh)
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        async with self._lock:
            return await self._table_locked(refresh)

    async def _table_locked(self, refresh: bool) -> DiscoveryTable:
        if refresh and not self._from_server:
            self._table = None
        if self._table is None and not refresh:
            self._table = self._read_cache()
        if self._table is None:
            self._table = await self._fetch()
            self._from_server = True
            self._write_cache(self._table)
        return self._table

    def invalidate(self) -> None:
        """Forget what was discovered (memory and disk)."""
        self._table = None
        self._from_server = False
        if self.cache_file is not None:
            with contextlib.suppress(OSError):
                self.cache_file.unlink()

    # -- cache ----------------------------------------------------------------------------------------
    def _read_cache(self) -> DiscoveryTable | None:
        if self.cache_file is None:
            return None
        data = read_document(self.cache_file, self.client.config.server, self._ttl_seconds, now=self._now)
        if data is None:
            return None
        try:
            return DiscoveryTable.from_json(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write_cache(self, table: DiscoveryTable) -> None:
        if self.cache_file is None:
            return
        data = table.to_json()
        data["server"] = self.client.config.server
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=self.cache_file.parent, prefix=".kpy-discovery-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, self.cache_file)
        except OSError as exc:
            log.log(v(2), "could not write discovery cache %s: %s", self.cache_file, exc)

    # -- fetching -------------------------------------------------------------------------------------
    async def _get(self, path: str, accept: str = "application/json") -> Any:
        await self._bucket.wait()
        response = await self.client.request("GET", path, accept=accept, throttle=False)
        return response.json()

    async def _get_optional(self, path: str) -> Any:
        try:
            return await self._get(path, AGGREGATED_ACCEPT)
        except ApiError as exc:
            if exc.code in (404, 406):
                return None
            raise

    async def _fetch(self) -> DiscoveryTable:
        core, apis = await gather(self._get_optional("/api"), self._get_optional("/apis"))
        table = DiscoveryTable()
        legacy: list[tuple[str, list[str]]] = []
        for doc, is_core in ((core, True), (apis, False)):
            if doc is None:
                continue
            if is_aggregated(doc):
                add_aggregated(table, doc)
            else:
                legacy.extend(legacy_group_versions(doc, is_core))
        for group, versions in legacy:
            table.add_group(group, versions)
        jobs = [(group, version) for group, versions in legacy for version in versions]
        results = await gather(*(self._legacy_resources(g, ver) for g, ver in jobs))
        for (group, version), infos in zip(jobs, results, strict=True):
            if infos is not None:
                table.resources[(group, version)] = infos
        return table

    async def _legacy_resources(self, group: str, version: str) -> list[ResourceInfo] | None:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = await self._get(path)
        except (ApiError, ConnectionFailed) as exc:
            gv = f"{group}/{version}" if group else version
            self.failed[gv] = str(exc)
            log.warning("couldn't get resource list for %s: %s", gv, exc)
            return None
        return parse_resource_list(group, version, doc if isinstance(doc, dict) else {})
