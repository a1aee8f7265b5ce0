"""Serving a watch: the initial state or history replay, then live events, bookmarks, timeout, 410.

Semantics follow the apiserver's watch cache (staging/src/k8s.io/apiserver/pkg/storage/cacher):
- resourceVersion "" or "0": synthetic ADDED events for the current state, then changes;
- resourceVersion N: every change after N; N older than the compacted history -> one ERROR event carrying
  a 410 Expired Status ("too old resource version: N (M)") and the stream ends;
- with a label/field selector, an object that stops matching is sent as DELETED (its previous state, at the
  new resourceVersion) and one that starts matching as ADDED;
- allowWatchBookmarks: a BOOKMARK (an object of the kind with only metadata.resourceVersion) every
  ``bookmark_interval`` seconds; sendInitialEvents=true ends the initial events with a bookmark annotated
  ``k8s.io/initial-events-end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kpy.testing import status
from kpy.testing.api import Api
from kpy.testing.conversion import storage_gr, to_api
from kpy.testing.listing import matches
from kpy.testing.resources import ResourceType
from kpy.testing.selection import FieldSelector, LabelSelector
from kpy.testing.store import StoreEvent

Obj = dict[str, Any]
Write = Callable[[bytes], Awaitable[None]]


@dataclass
class WatchRequest:
    rt: ResourceType
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    resource_version: str
    bookmarks: bool
    timeout: float
    send_initial_events: bool
    #: turns an object into what goes on the wire (e.g. a Table row); bookmarks pass through unchanged
    transform: Callable[[Obj], Obj]


def _line(ev_type: str, obj: Obj) -> bytes:
    return json.dumps({"type": ev_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _bookmark(rt: ResourceType, rv: int, initial_end: bool = False) -> Obj:
    meta: Obj = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}


def _in_scope(req: WatchRequest, ev: StoreEvent) -> bool:
    return req.namespace is None or ev.key[0] == req.namespace


def convert(req: WatchRequest, ev: StoreEvent) -> tuple[str, Obj] | None:
    """The event a watcher with ``req``'s selectors sees for a store event (None: nothing)."""
    if not _in_scope(req, ev):
        return None
    rt = req.rt
    cur = to_api(rt, ev.obj)
    if ev.type == "ADDED":
        return ("ADDED", cur) if matches(rt, cur, req.labels, req.fields) else None
    if ev.type == "DELETED":
        return ("DELETED", cur) if matches(rt, cur, req.labels, req.fields) else None
    prev = to_api(rt, ev.prev) if ev.prev is not None else None
    now_in = matches(rt, cur, req.labels, req.fields)
    was_in = prev is not None and matches(rt, prev, req.labels, req.fields)
    if now_in and was_in:
        return "MODIFIED", cur
    if now_in:
        return "ADDED", cur
    if was_in and prev is not None:
        prev["metadata"]["resourceVersion"] = str(ev.rv)
        return "DELETED", prev
    return None


async def serve_watch(
    api: Api,
    req: WatchRequest,
    write: Write,
    *,
    bookmark_interval: float,
    on_start: Callable[[], None] | None = None,
) -> None:
    """Write the watch stream for ``req`` until timeout, a drop (store subscription closed) or an error."""
    store = api.store
    gr = storage_gr(req.rt)
    initial: list[Obj] = []
    since: int
    rv_text = req.resource_version
    if rv_text in ("", "0") or req.send_initial_events:
        since = store.rv
        initial = [to_api(req.rt, o) for _, o in store.items(gr, req.namespace)]
        initial = [o for o in initial if matches(req.rt, o, req.labels, req.fields)]
        backlog: list[StoreEvent] = []
    else:
        try:
            since = int(rv_text)
        except ValueError:
            await write(_line("ERROR", status.bad_request(f'invalid resource version "{rv_text}"').body))
            return
        if since < store.compacted_rv:
            err = status.expired(f"too old resource version: {since} ({store.compacted_rv})")
            await write(_line("ERROR", err.body))
            return
        backlog = list(store.events_since(gr, since))
    sub = store.subscribe(gr)  # taken together with the snapshot above: nothing missed, nothing twice
    if on_start is not None:
        on_start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + req.timeout
    try:
        for obj in initial:
            await write(_line("ADDED", req.transform(obj)))
        if req.send_initial_events and req.bookmarks:
            await write(_line("BOOKMARK", _bookmark(req.rt, since, initial_end=True)))
        for old in backlog:
            out = convert(req, old)
            if out is not None:
                await write(_line(out[0], req.transform(out[1])))
        next_bookmark = loop.time() + bookmark_interval
        while True:
            now = loop.time()
            if now >= deadline:
                return
            wake = min(deadline, next_bookmark) if req.bookmarks else deadline
            try:
                ev = await asyncio.wait_for(sub.queue.get(), max(0.0, wake - now))
            except TimeoutError:
                if req.bookmarks and loop.time() >= next_bookmark:
                    await write(_line("BOOKMARK", _bookmark(req.rt, max(store.rv, since))))
                    next_bookmark = loop.time() + bookmark_interval
                continue
            if ev is None:
                raise ConnectionAbortedError("watch dropped by fault injection")
            if ev.rv <= since:
                continue
            out = convert(req, ev)
            if out is not None:
                await write(_line(out[0], req.transform(out[1])))
    finally:
        store.unsubscribe(sub)
        with contextlib.suppress(Exception):
            sub.queue.put_nowait(None)
