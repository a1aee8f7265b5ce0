"""The emulator's etcd: objects by (group, resource) and (namespace, name), one global resourceVersion.

Every write gets the next resourceVersion (a decimal string, like etcd's revision) and is appended to a bounded
event history that watches and consistent continue-lists are served from. ``compact()`` forgets the history
(what etcd compaction does): watching or continuing from an older resourceVersion then answers 410 Gone.

The store is synchronous and single-threaded (it lives on the emulator's event loop); watchers get events on
asyncio queues as each write happens, so a snapshot plus ``subscribe`` taken together never miss or repeat one.
API semantics (validation, defaults, Status errors) belong to :mod:`kpy.testing.api`, not here.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kpy.gocompat.metav1 import format_time

Obj = dict[str, Any]
GroupResource = tuple[str, str]
Key = tuple[str, str]  # (namespace or "", name)


@dataclass(frozen=True)
class StoreEvent:
    """One write: ADDED / MODIFIED / DELETED of ``obj`` (for DELETED, the object as it was) at ``rv``."""

    rv: int
    type: str
    gr: GroupResource
    key: Key
    obj: Obj
    prev: Obj | None


@dataclass(eq=False)
class Subscription:
    """A watcher's queue of events for one group-resource; ``closed`` is set when the emulator drops it."""

    gr: GroupResource
    queue: asyncio.Queue[StoreEvent | None] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def close(self) -> None:
        self.closed.set()
        self.queue.put_nowait(None)


class Store:
    """Objects plus a global resourceVersion, event history (bounded ``window``) and subscriptions."""

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None, window: int = 10_000) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._data: dict[GroupResource, dict[Key, Obj]] = {}
        self._history: deque[StoreEvent] = deque()
        self._window = window
        self._subs: set[Subscription] = set()
        self.rv = 1  # upstream clusters never serve rv 0 as a real version
        #: the oldest resourceVersion still watchable: watch/continue from N needs N >= compacted_rv
        self.compacted_rv = 1
        self.listeners: list[Callable[[StoreEvent], None]] = []

    # ------------------------------------------------------------------------------------------ reads
    def now(self) -> dt.datetime:
        return self._clock()

    def get(self, gr: GroupResource, namespace: str, name: str) -> Obj | None:
        obj = self._data.get(gr, {}).get((namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def exists(self, gr: GroupResource, namespace: str, name: str) -> bool:
        return (namespace, name) in self._data.get(gr, {})

    def items(self, gr: GroupResource, namespace: str | None = None) -> list[tuple[Key, Obj]]:
        """(key, object) pairs in etcd key order (namespace, then name); not copied: callers must not mutate."""
        bucket = self._data.get(gr, {})
        keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
        return [(k, bucket[k]) for k in keys]

    def list(self, gr: GroupResource, namespace: str | None = None) -> list[Obj]:
        return [copy.deepcopy(o) for _, o in self.items(gr, namespace)]

    def snapshot_at(
        self, gr: GroupResource, rv: int, namespace: str | None = None
    ) -> builtins.list[tuple[Key, Obj]]:
        """The objects as they were at ``rv`` (rolled back from the history); needs rv >= compacted_rv."""
        if rv < self.compacted_rv:
            raise LookupError(rv)
        state = {k: o for k, o in self._data.get(gr, {}).items()}
        for ev in reversed(self._history):
            if ev.rv <= rv:
                break
            if ev.gr != gr:
                continue
            if ev.type == "ADDED":
                state.pop(ev.key, None)
            elif ev.prev is not None:
                state[ev.key] = ev.prev
        keys = sorted(k for k in state if namespace is None or k[0] == namespace)
        return [(k, state[k]) for k in keys]

    def group_resources(self) -> builtins.list[GroupResource]:
        return list(self._data)

    # ------------------------------------------------------------------------------------------ writes
    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _record(self, ev: StoreEvent) -> None:
        self._history.append(ev)
        while len(self._history) > self._window:
            dropped = self._history.popleft()
            self.compacted_rv = dropped.rv
        for sub in list(self._subs):
            if sub.gr == ev.gr:
                sub.queue.put_nowait(ev)
        for listener in list(self.listeners):
            listener(ev)

    def create(self, gr: GroupResource, obj: Obj, *, keep_identity: bool = False) -> Obj:
        """Store a new object: sets uid, creationTimestamp, resourceVersion. Caller checked it is absent.

        ``keep_identity`` keeps a given uid/creationTimestamp (seeding objects "created" in the past).
        """
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace", "") or "", meta["name"])
        meta.pop("resourceVersion", None)
        if not (keep_identity and meta.get("uid")):
            meta["uid"] = str(uuid.uuid4())
        if not (keep_identity and meta.get("creationTimestamp")):
            meta["creationTimestamp"] = format_time(self.now())
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        self._data.setdefault(gr, {})[key] = obj
        self._record(StoreEvent(rv, "ADDED", gr, key, obj, None))
        return copy.deepcopy(obj)

    def update(self, gr: GroupResource, obj: Obj) -> Obj:
        """Replace an existing object (caller checked existence and resourceVersion preconditions)."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        key = (meta.get("namespace", "") or "", meta["name"])
        prev = self._data[gr][key]
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        self._data[gr][key] = obj
        self._record(StoreEvent(rv, "MODIFIED", gr, key, obj, prev))
        return copy.deepcopy(obj)

    def delete(self, gr: GroupResource, namespace: str, name: str) -> Obj:
        """Remove an object; the DELETED event (and return value) carry a fresh resourceVersion."""
        key = (namespace, name)
        prev = self._data[gr].pop(key)
        obj = copy.deepcopy(prev)
        rv = self._next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        self._record(StoreEvent(rv, "DELETED", gr, key, obj, prev))
        return copy.deepcopy(obj)

    # ------------------------------------------------------------------------------------------ history
    def events_since(self, gr: GroupResource, rv: int) -> Iterator[StoreEvent]:
        """Events for ``gr`` with resourceVersion > rv (caller checked rv >= compacted_rv)."""
        for ev in self._history:
            if ev.rv > rv and ev.gr == gr:
                yield ev

    def compact(self) -> int:
        """Forget all history: every resourceVersion before the current one becomes too old (410)."""
        self._history.clear()
        self.compacted_rv = self.rv
        return self.rv

    def subscribe(self, gr: GroupResource) -> Subscription:
        sub = Subscription(gr)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def drop_subscriptions(self, gr: GroupResource | None = None) -> int:
        """Close every watcher (of one group-resource, or all); returns how many were dropped."""
        dropped = [s for s in self._subs if gr is None or s.gr == gr]
        for sub in dropped:
            self._subs.discard(sub)
            sub.close()
        return len(dropped)

    @property
    def watcher_count(self) -> int:
        return len(self._subs)
