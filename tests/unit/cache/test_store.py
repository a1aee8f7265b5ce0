"""The store's keys are client-go's MetaNamespaceKeyFunc / SplitMetaNamespaceKey."""

from __future__ import annotations

import pytest

from kpy.cache import Store, StoredObject, object_key, split_key
from kpy.cache.store import compact


@pytest.mark.parametrize(
    ("meta", "key", "split"),
    [
        ({"namespace": "ns", "name": "a"}, "ns/a", ("ns", "a")),
        ({"name": "node-1"}, "node-1", ("", "node-1")),
        ({"namespace": "", "name": "pv"}, "pv", ("", "pv")),
    ],
)
def test_keys(meta: dict[str, str], key: str, split: tuple[str, str]) -> None:
    assert object_key({"metadata": meta}) == key
    assert split_key(key) == split


def test_store_put_returns_the_replaced_object_and_lists_by_key() -> None:
    store = Store()
    first = {"metadata": {"namespace": "n", "name": "b", "resourceVersion": "1"}}
    second = {"metadata": {"namespace": "n", "name": "b", "resourceVersion": "2"}}
    assert store.put(first) is None
    assert store.put(second) is first
    store.put({"metadata": {"namespace": "n", "name": "a"}})
    assert store.keys() == ["n/a", "n/b"] and len(store) == 2
    assert store.pop("n/b") is second and "n/b" not in store


def test_stored_object_is_the_compact_line_read_as_the_object() -> None:
    obj = {
        "metadata": {"namespace": "n", "name": "a", "resourceVersion": "7", "uid": "u", "labels": {"x": "1"}},
        "spec": {"v": [1, 2]},
        "apiVersion": "v1",
        "kind": "Pod",
    }
    skeleton = compact(dict(obj))
    assert "spec" not in skeleton and skeleton["metadata"]["uid"] == "u"
    stored = StoredObject.of(skeleton)
    assert (stored.key, stored.resource_version) == ("n/a", "7")
    assert stored.line.startswith(b'{"kind":"Pod","apiVersion":"v1","metadata":') and stored.line.endswith(
        b"}\n"
    )
    assert dict(stored) == obj and stored["spec"] == {"v": [1, 2]} and stored.get("status") is None
    assert stored.decode() is not stored.decode()  # a fresh copy: callers cannot change what is stored
    assert StoredObject.of(obj).line == stored.line and StoredObject.of(stored) is stored
