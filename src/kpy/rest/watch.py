"""Paginated list and a client-go style reflector (list, then watch; resume; relist on 410).

``list_all`` is client-go's ``ListPager``: ``limit``/``continue`` chunks, and when a continue token has expired
(410) one full list without ``limit`` instead. ``Reflector`` is ``tools/cache.Reflector`` with its store folded
in: it lists, delivers the items (``initial=True``) and a ``SYNCED`` marker, then watches from the list's
resourceVersion with bookmarks and a random 5–10 minute ``timeoutSeconds``. A watch that ends or drops is resumed
from the last resourceVersion seen (bookmarks included); a 410 Gone (HTTP or ERROR event) makes it relist and
deliver only the difference against what it already delivered. Each change is delivered once.

Reconnects back off like client-go's reflector but capped at ``RECONNECT_MAX`` seconds (client-go allows 30 s
doubled by jitter), so output resumes within seconds of the server coming back; ``on_health`` hears when the
watch is lost (after the first failed reconnect) and restored, and ``max_retry_time`` bounds the retrying
(``kpy.rest.watchhealth``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpy.errors import ApiError, ConnectionFailed, Gone, ResponseError, ServerError, TooManyRequests
from kpy.flowcontrol import ExponentialBackoffManager
from kpy.gocompat import gojson
from kpy.rest.discovery_docs import ResourceInfo
from kpy.rest.listing import ListResult, Transform, list_all
from kpy.rest.listing import selector_params as _selectors
from kpy.rest.logs import log, v
from kpy.rest.watchhealth import ReconnectTracker, WatchHealth

__all__ = ["ListResult", "Reflector", "Transform", "WatchEvent", "list_all", "object_key"]

if TYPE_CHECKING:
    from kpy.rest.client import RestClient

MIN_WATCH_TIMEOUT = 300.0  # client-go reflector: timeoutSeconds = minWatchTimeout * (1 + rand)
RECONNECT_INITIAL = 0.8  # client-go reflector's initial backoff
RECONNECT_MAX = 5.0  # kpy's cap (client-go: 30 s); with 20% jitter a retry is never more than 6 s away
RECONNECT_JITTER = 0.2
#: how long a reconnect (watch or relist) may wait for the server's answer before it counts as failed: a server
#: that accepts connections but does not answer (paused, overloaded) is reported like one that refuses them
RECONNECT_TIMEOUT = 30.0
#: what a reconnect may fail with and still be retried
RETRYABLE = (ConnectionFailed, TooManyRequests, ServerError, ResponseError)


@dataclass(frozen=True)
class WatchEvent:
    """``ADDED``/``MODIFIED``/``DELETED`` (``initial`` for the first list's items) or ``SYNCED``; ``relisted``
    marks a change found by relisting after a 410 (a ``DELETED`` then carries the last state seen, like
    client-go's ``DeletedFinalStateUnknown``)."""

    type: str
    object: dict[str, Any] = field(default_factory=dict)
    initial: bool = False
    relisted: bool = False


def object_key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '') or ''}/{meta.get('name', '') or ''}"


def _rv(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", "") or "")


def _uid(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", "") or "")


def _newer(rv: str, than: str) -> bool:
    """Whether ``rv`` is a later version than ``than``. resourceVersions are opaque, but every API server
    uses increasing integers; when both parse, a replayed older one is recognised, else only equality counts."""
    if rv.isdigit() and than.isdigit():
        return int(rv) > int(than)
    return rv != than


class _Relist(Exception):
    """Internal: the watch must be replaced by a new list (410 or an ERROR event)."""


class Reflector:
    """List then watch one type, forever (until the consumer stops iterating).

    Iterate it: ``async for event in Reflector(client, info, "default")``. Errors of the first list (and
    non-retryable watch errors such as 403) are raised to the consumer; dropped connections, 429 and 5xx are
    retried with backoff (``ExponentialBackoffManager``, injectable, as are ``sleep`` and ``clock``).
    ``on_health`` is told when the watch is lost and restored; after ``max_retry_time`` seconds down, the last
    error is raised instead of retrying further.
    """

    def __init__(
        self,
        client: RestClient,
        info: ResourceInfo,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        chunk_size: int = 500,
        backoff: ExponentialBackoffManager | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        on_health: Callable[[WatchHealth], None] | None = None,
        max_retry_time: float | None = None,
        reconnect_timeout: float = RECONNECT_TIMEOUT,
        transform: Transform | None = None,
    ) -> None:
        self.client = client
        self.transform = transform
        self.reconnect_timeout = reconnect_timeout
        self.info = info
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.chunk_size = chunk_size
        self.backoff = backoff or ExponentialBackoffManager(
            RECONNECT_INITIAL, RECONNECT_MAX, jitter=RECONNECT_JITTER, clock=clock, rand=rand
        )
        self.health = ReconnectTracker(clock, on_health, max_retry_time)
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self._store: dict[str, dict[str, Any]] = {}
        self._rv = ""
        self.relists = 0  #: how many times a 410 / ERROR made it list again
        self.watches = 0  #: how many watch requests were made

    @property
    def last_resource_version(self) -> str:
        """The newest resourceVersion seen (list, event or bookmark): where a resumed watch starts."""
        return self._rv

    @property
    def store(self) -> dict[str, dict[str, Any]]:
        """What the consumer has been told exists now, by ``namespace/name`` (a copy)."""
        return dict(self._store)

    def __aiter__(self) -> AsyncIterator[WatchEvent]:
        return self._run()

    # -- list ---------------------------------------------------------------------------------------
    def _complete(self, item: dict[str, Any]) -> dict[str, Any]:
        """List items lack kind and apiVersion: add them; then the transform, if any."""
        item.setdefault("apiVersion", self.info.group_version)
        item.setdefault("kind", self.info.kind)
        return item if self.transform is None else self.transform(item)

    async def _list(self, timeout: float | None = None) -> ListResult:
        return await list_all(
            self.client,
            self.info,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            chunk_size=self.chunk_size,
            timeout=timeout,
            transform=self._complete,
        )

    async def _relist_until_done(self) -> ListResult:
        await self._sleep(self.backoff.next_delay())
        while True:
            try:
                result = await self._list(self.reconnect_timeout)
            except RETRYABLE as exc:
                log.log(v(2), "relist of %s failed, will retry: %s", self.info.resource, exc)
                await self._retry_later(exc)
                continue
            self.health.succeeded()
            return result

    async def _retry_later(self, exc: BaseException) -> None:
        """One failed attempt: tell (once per outage), give up after ``max_retry_time``, else back off."""
        delay = self.health.clamp(self.backoff.next_delay())
        self.health.failed(exc, delay)
        await self._sleep(delay)

    def _diff(self, result: ListResult) -> list[WatchEvent]:
        """Replace the store with a fresh list; the events that turn the old store into the new one."""
        fresh = {object_key(item): item for item in result.items}
        events: list[WatchEvent] = []
        for key, old in self._store.items():
            replacement = fresh.get(key)
            if replacement is None or (_uid(old) and _uid(replacement) and _uid(old) != _uid(replacement)):
                events.append(WatchEvent("DELETED", old, relisted=True))
        for key, new in fresh.items():
            known = self._store.get(key)
            if known is None or (_uid(known) and _uid(new) and _uid(known) != _uid(new)):
                events.append(WatchEvent("ADDED", new, relisted=True))
            elif _rv(known) != _rv(new):
                events.append(WatchEvent("MODIFIED", new, relisted=True))
        self._store = fresh
        self._rv = result.resource_version
        return events

    # -- watch --------------------------------------------------------------------------------------
    def _watch_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "timeoutSeconds": int(MIN_WATCH_TIMEOUT * (1.0 + self._rand())),
        }
        if self._rv:
            params["resourceVersion"] = self._rv
        params.update(_selectors(self.label_selector, self.field_selector))
        return params

    def _apply(self, event: dict[str, Any]) -> WatchEvent | None:
        """Fold one watch event into the store; the event to deliver, or None for a duplicate/bookmark."""
        kind = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return None
        if kind == "ERROR":
            code = obj.get("code")
            raise _Relist(f"watch ERROR event (code {code}): {obj.get('message', '')}")
        rv = _rv(obj)
        if kind == "BOOKMARK":
            if rv:
                self._rv = rv
            return None
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            return None
        key = object_key(obj)
        previous = self._store.get(key)
        if rv:
            self._rv = rv
        obj = self._complete(obj)
        if kind == "DELETED":
            if previous is None:
                return None  # already known to be gone (delivered by a relist)
            del self._store[key]
            return WatchEvent("DELETED", obj)
        if previous is not None and rv and not _newer(rv, _rv(previous)):
            return None  # seen already (or older than what was delivered)
        self._store[key] = obj
        return WatchEvent(kind, obj)

    async def _run(self) -> AsyncIterator[WatchEvent]:
        result = await self._list()
        self._diff(result)
        for item in result.items:
            yield WatchEvent("ADDED", item, initial=True)
        yield WatchEvent("SYNCED", {}, initial=True)
        path = self.info.path(self.namespace)
        while True:
            relist = False
            params = self._watch_params()
            started = self._clock()
            delivered = 0
            opened = False
            self.watches += 1

            def on_open() -> None:
                nonlocal opened
                opened = True
                self.health.succeeded()

            try:
                stream = self.client.stream_lines(
                    path,
                    params,
                    timeout=float(params["timeoutSeconds"]) + 30.0,
                    on_open=on_open,
                    header_timeout=self.reconnect_timeout,
                )
                async with contextlib.aclosing(stream):
                    async for line in stream:
                        try:
                            decoded = gojson.loads(line)
                        except gojson.GoJSONError:
                            log.log(v(2), "undecodable watch line for %s; resuming", path)
                            break
                        if not isinstance(decoded, dict):
                            continue
                        event = self._apply(decoded)
                        if event is not None:
                            delivered += 1
                            yield event
                quick = delivered == 0 and self._clock() - started < 1.0
                if quick:
                    await self._sleep(self.backoff.next_delay())
            except (_Relist, Gone) as exc:
                log.log(v(4), "watch of %s must relist: %s", path, exc)
                relist = True
            except RETRYABLE as exc:
                log.log(v(2), "watch of %s failed, resuming from %s: %s", path, self._rv, exc)
                if opened:  # an established stream broke: reconnect once before calling it an outage
                    self.health.dropped()
                    await self._sleep(self.backoff.next_delay())
                else:
                    await self._retry_later(exc)
            except ApiError:
                raise
            if relist:
                self.relists += 1
                fresh = await self._relist_until_done()
                for change in self._diff(fresh):
                    yield change
