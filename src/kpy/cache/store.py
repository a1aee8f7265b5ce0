"""The informer's local store: objects by client-go's ``MetaNamespaceKeyFunc`` key (``namespace/name``, or
``name`` for cluster-scoped objects)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Object = dict[str, Any]


def object_key(obj: Object) -> str:
    """client-go ``MetaNamespaceKeyFunc``: ``namespace/name``, or ``name`` without a namespace."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str, str]:
    """client-go ``SplitMetaNamespaceKey``: (namespace, name); namespace ``""`` for cluster-scoped keys."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else ("", key)


def resource_version(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class Store:
    """Objects by key. Only the informer writes it; readers get the stored dicts (do not modify them)."""

    def __init__(self) -> None:
        self._items: dict[str, Object] = {}

    def get(self, key: str) -> Object | None:
        return self._items.get(key)

    def put(self, obj: Object) -> Object | None:
        """Store ``obj``; the object it replaced, if any."""
        key = object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        return old

    def pop(self, key: str) -> Object | None:
        return self._items.pop(key, None)

    def keys(self) -> list[str]:
        return sorted(self._items)

    def list(self) -> list[Object]:
        return [self._items[k] for k in sorted(self._items)]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
