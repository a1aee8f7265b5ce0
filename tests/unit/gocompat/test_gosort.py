"""kpy.gocompat.gosort against Go's own sort.Sort: for every case of tests/data/clientgo/gosort.json (made by
gosort-gen: many equal keys, sorted/reversed/equal/sawtooth/organ-pipe inputs, 0..300 elements and a few
thousand), the same permutation, ties included.

The data comes from the kit's Go (1.24 or later: its ``go`` field says which), hence ``go="1.24"`` here. The
Go 1.23 xorshift (kubectl 1.32's) is checked against kubectl 1.32 itself in
tests/integration/events/test_tail_order_kubectl.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpy.gocompat.gosort import sort_by_key_like_go, sort_like_go

_DATA = Path(__file__).parents[2] / "data" / "clientgo" / "gosort.json"
_LOADED: dict[str, Any] = json.loads(_DATA.read_text())
_CASES: list[dict[str, Any]] = _LOADED["cases"]


def _key_of(keys: list[int]) -> Any:
    return lambda index: keys[index]


def test_the_data_has_ties_and_go_does_not_keep_them_stable() -> None:
    unstable = [c for c in _CASES if c["perm"] != sorted(range(len(c["keys"])), key=_key_of(c["keys"]))]
    assert len(unstable) > 50
    assert max(len(c["keys"]) for c in _CASES) >= 5000
    major, minor = (int(part) for part in _LOADED["go"].removeprefix("go").split(".")[:2])
    assert (major, minor) >= (1, 24)


def test_go_1_23_and_1_24_differ_only_where_patterns_are_broken() -> None:
    differ = 0
    for case in _CASES:
        keys: list[int] = case["keys"]
        old, new = list(range(len(keys))), list(range(len(keys)))
        sort_by_key_like_go(old, keys.__getitem__, go="1.23")
        sort_by_key_like_go(new, keys.__getitem__, go="1.24")
        assert [keys[i] for i in old] == [keys[i] for i in new]
        differ += old != new
    assert 0 < differ < len(_CASES) // 2


@pytest.mark.parametrize("case", _CASES, ids=[c["name"] for c in _CASES])
def test_by_key_gives_gos_permutation(case: dict[str, Any]) -> None:
    keys: list[int] = case["keys"]
    indexes = list(range(len(keys)))
    sort_by_key_like_go(indexes, _key_of(keys), go="1.24")
    assert indexes == case["perm"]


@pytest.mark.parametrize("case", _CASES[::5], ids=[c["name"] for c in _CASES[::5]])
def test_with_a_less_function_gives_gos_permutation(case: dict[str, Any]) -> None:
    keys: list[int] = case["keys"]
    indexes = list(range(len(keys)))
    sort_like_go(indexes, lambda a, b: keys[a] < keys[b], go="1.24")
    assert indexes == case["perm"]
