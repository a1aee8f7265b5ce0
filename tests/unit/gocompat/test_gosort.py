"""kpy.gocompat.gosort against Go's own sort.Sort: for every case of tests/data/clientgo/gosort.json (made by
gosort-gen: many equal keys, sorted/reversed/equal/sawtooth/organ-pipe inputs, 0..300 elements and a few
thousand), the same permutation, ties included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpy.gocompat.gosort import sort_by_key_like_go, sort_like_go

_DATA = Path(__file__).parents[2] / "data" / "clientgo" / "gosort.json"
_CASES: list[dict[str, Any]] = json.loads(_DATA.read_text())["cases"]


def _key_of(keys: list[int]) -> Any:
    return lambda index: keys[index]


def test_the_data_has_ties_and_go_does_not_keep_them_stable() -> None:
    unstable = [c for c in _CASES if c["perm"] != sorted(range(len(c["keys"])), key=_key_of(c["keys"]))]
    assert len(unstable) > 50
    assert max(len(c["keys"]) for c in _CASES) >= 5000


@pytest.mark.parametrize("case", _CASES, ids=[c["name"] for c in _CASES])
def test_by_key_gives_gos_permutation(case: dict[str, Any]) -> None:
    keys: list[int] = case["keys"]
    indexes = list(range(len(keys)))
    sort_by_key_like_go(indexes, _key_of(keys))
    assert indexes == case["perm"]


@pytest.mark.parametrize("case", _CASES[::5], ids=[c["name"] for c in _CASES[::5]])
def test_with_a_less_function_gives_gos_permutation(case: dict[str, Any]) -> None:
    keys: list[int] = case["keys"]
    indexes = list(range(len(keys)))
    sort_like_go(indexes, lambda a, b: keys[a] < keys[b])
    assert indexes == case["perm"]
