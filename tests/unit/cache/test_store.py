"""The store's keys are client-go's MetaNamespaceKeyFunc / SplitMetaNamespaceKey."""

from __future__ import annotations

import pytest

from kpy.cache import Store, object_key, split_key


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
