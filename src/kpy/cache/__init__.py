"""client-go's ``tools/cache`` for asyncio: ``Informer`` (list, watch, resume, relist on 410, resync), its
``Store``, and ``CommandController`` (an informer feeding a rate-limited work queue whose workers run a
command per key: ``kpy on``)."""

from kpy.cache.informer import ADDED, DELETED, EVENT_TYPES, MODIFIED, SYNC, Handler, Informer, InformerEvent
from kpy.cache.store import Store, StoredObject, object_key, split_key

__all__ = [
    "ADDED",
    "DELETED",
    "EVENT_TYPES",
    "MODIFIED",
    "SYNC",
    "Handler",
    "Informer",
    "InformerEvent",
    "Store",
    "StoredObject",
    "object_key",
    "split_key",
]
