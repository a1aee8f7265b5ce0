"""The informer's local store: objects by client-go's ``MetaNamespaceKeyFunc`` key (``namespace/name``, or
``name`` for cluster-scoped objects).

The informer keeps each object as a ``StoredObject``: its compact JSON line (what ``kpy on``'s command reads
on stdin) and the few fields the informer itself needs (key, resourceVersion). Decoded Python containers take
4-5x the JSON's size; the line takes about its size. The object is decoded again only where it is read (a
``--when`` template, a handler looking into it)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

Object = dict[str, Any]

#: where the reflector's transform (``compact``) keeps the JSON line in the skeleton it stores
LINE = "\x00line"


def object_key(obj: Mapping[str, Any]) -> str:
    """client-go ``MetaNamespaceKeyFunc``: ``namespace/name``, or ``name`` without a namespace."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str, str]:
    """client-go ``SplitMetaNamespaceKey``: (namespace, name); namespace ``""`` for cluster-scoped keys."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else ("", key)


def resource_version(obj: Mapping[str, Any]) -> str:
    if isinstance(obj, StoredObject):
        return obj.resource_version
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def json_line(obj: Mapping[str, Any]) -> bytes:
    """The object as one compact JSON line, ``kind`` and ``apiVersion`` first as the API server writes them."""
    head = {k: obj[k] for k in ("kind", "apiVersion") if k in obj}
    return json.dumps({**head, **obj}, separators=(",", ":")).encode() + b"\n"


def compact(obj: Object) -> Object:
    """The reflector's transform for the informer: a skeleton of ``obj`` (the metadata the reflector compares:
    name, namespace, uid, resourceVersion) carrying its JSON line; the decoded object can then be freed."""
    meta = obj.get("metadata") or {}
    skeleton = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion") if k in meta}
    return {"metadata": skeleton, LINE: json_line(obj)}


class StoredObject(Mapping[str, Any]):
    """One stored object: ``line`` (compact JSON + newline), ``key`` and ``resource_version``; reading it as a
    mapping decodes the line each time (``decode()`` once for many reads)."""

    __slots__ = ("key", "line", "resource_version")

    def __init__(self, key: str, resource_version: str, line: bytes) -> None:
        self.key = key
        self.resource_version = resource_version
        self.line = line

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> StoredObject:
        """From a skeleton made by ``compact``, a full object, or a ``StoredObject`` (returned as is)."""
        if isinstance(obj, StoredObject):
            return obj
        line = obj.get(LINE)
        if not isinstance(line, bytes):
            line = json_line(obj)
        return cls(object_key(obj), resource_version(obj), line)

    def decode(self) -> Object:
        """The object, decoded afresh (the caller may keep or modify it)."""
        decoded: Object = json.loads(self.line)
        return decoded

    def __getitem__(self, field: str) -> Any:
        return self.decode()[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self.decode())

    def __len__(self) -> int:
        return len(self.decode())

    def __repr__(self) -> str:
        return f"StoredObject({self.key!r}, {self.resource_version!r})"


T = TypeVar("T", bound=Mapping[str, Any])


class Store(Generic[T]):
    """Objects by key. Only the informer writes it; readers get the stored objects (do not modify them)."""

    def __init__(self) -> None:
        self._items: dict[str, T] = {}

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def put(self, obj: T) -> T | None:
        """Store ``obj``; the object it replaced, if any."""
        key = obj.key if isinstance(obj, StoredObject) else object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        return old

    def pop(self, key: str) -> T | None:
        return self._items.pop(key, None)

    def keys(self) -> list[str]:
        return sorted(self._items)

    def list(self) -> list[T]:
        return [self._items[k] for k in sorted(self._items)]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
