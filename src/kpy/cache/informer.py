"""client-go's shared informer for one resource type, for asyncio: list, watch, local store, handlers, resync.

The list/watch loop is ``kpy.rest.watch.Reflector`` (resume from the last resourceVersion after any drop,
bookmarks, relist on 410 delivering only the difference). The informer folds its changes into a ``Store`` and
hands each one to the handlers as an ``InformerEvent``: ``Added``, ``Modified`` (with the previous object),
``Deleted`` (the final state the watch carried, or, for an object that vanished while the watch was gone, the
last state seen: ``final_state_unknown``, client-go's ``DeletedFinalStateUnknown``) and, every ``resync``
seconds after the first sync, ``Sync`` for every stored object (client-go's resync ``OnUpdate(obj, obj)``).
Handlers are plain callables run on the loop; they should be quick (queue a key, as a controller does).

Objects are stored and handed over as ``StoredObject`` (a read-only mapping over the object's compact JSON
line): the reflector turns each list item and watch event into one as it arrives (client-go's transform), so
neither the store nor the list keeps decoded objects (``kpy.cache.store``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.cache.store import Store, StoredObject, compact

if TYPE_CHECKING:
    from kpy.rest.client import RestClient
    from kpy.rest.discovery_docs import ResourceInfo
    from kpy.rest.watch import Reflector, WatchEvent

ADDED, MODIFIED, DELETED, SYNC = "Added", "Modified", "Deleted", "Sync"
EVENT_TYPES = (ADDED, MODIFIED, DELETED, SYNC)


@dataclass(frozen=True)
class InformerEvent:
    type: str  #: Added, Modified, Deleted or Sync
    key: str  #: namespace/name (name for cluster-scoped objects)
    object: StoredObject  #: the new state (for Deleted: the last one known)
    old: StoredObject | None = None  #: Modified/Sync: the state before
    initial: bool = False  #: part of the first list
    final_state_unknown: bool = False  #: a delete found by relisting: ``object`` is the last state seen


Handler = Callable[[InformerEvent], None]


class Informer:
    """List+watch one type into ``store`` and tell ``handlers`` about every change; ``run`` until cancelled.

    ``synced`` is set once the first list is in the store (client-go ``HasSynced``). Errors the reflector does
    not retry (403, 404 of the type, ...) end ``run`` with the typed error.
    """

    def __init__(
        self,
        client: RestClient,
        info: ResourceInfo,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync: float = 0.0,
        chunk_size: int = 500,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        reflector_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.info = info
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync = resync
        self.chunk_size = chunk_size
        self.store: Store[StoredObject] = Store()
        self.synced = asyncio.Event()
        self.handlers: list[Handler] = []
        self._sleep = sleep
        self._reflector_kwargs = reflector_kwargs or {}
        self.reflector: Reflector | None = None

    def add_handler(self, handler: Handler) -> None:
        self.handlers.append(handler)

    def _emit(self, event: InformerEvent) -> None:
        for handler in self.handlers:
            handler(event)

    def apply(self, change: WatchEvent) -> InformerEvent | None:
        """Fold one reflector change into the store; the event handed to the handlers (also returned)."""
        obj = StoredObject.of(change.object)
        key = obj.key
        event: InformerEvent | None
        if change.type == "DELETED":
            last = self.store.pop(key)
            if change.relisted and last is not None:  # the reflector's copy: the store's is the same state
                obj = last
            event = InformerEvent(DELETED, key, obj, last, final_state_unknown=change.relisted)
        elif change.type in ("ADDED", "MODIFIED"):
            old = self.store.put(obj)
            kind = ADDED if old is None else MODIFIED
            event = InformerEvent(kind, key, obj, old, initial=change.initial)
        else:
            return None
        self._emit(event)
        return event

    def resync_now(self) -> int:
        """Hand every stored object to the handlers as ``Sync``; how many."""
        objects = self.store.list()
        for obj in objects:
            self._emit(InformerEvent(SYNC, obj.key, obj, obj))
        return len(objects)

    async def _resync_loop(self) -> None:
        while True:
            await self._sleep(self.resync)
            self.resync_now()

    async def run(self) -> None:
        from kpy.rest.watch import Reflector

        self.reflector = Reflector(
            self.client,
            self.info,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            chunk_size=self.chunk_size,
            transform=compact,
            **self._reflector_kwargs,
        )
        resync: asyncio.Task[None] | None = None
        try:
            async for change in self.reflector:
                if change.type == "SYNCED":
                    self.synced.set()
                    if self.resync > 0 and resync is None:
                        resync = asyncio.create_task(self._resync_loop())
                    continue
                self.apply(change)
        finally:
            if resync is not None:
                resync.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await resync
