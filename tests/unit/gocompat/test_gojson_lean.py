"""``loads_lean`` decodes what ``loads`` decodes, except ``managedFields`` lists it is sure of, left empty."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from kpy.gocompat import gojson


def event(i: int, managed: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": f"e{i}", "namespace": "ns", "uid": f"u{i}", "managedFields": managed},
        "involvedObject": {"kind": "Pod", "name": "web"},
        "reason": "Pulled",
        "message": f"message {i}",
        "count": 1,
    }


def entry(key: str = "f:message") -> dict[str, Any]:
    return {
        "manager": "kubelet",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {key: {}, "f:source": {"f:host": {}}},
    }


def emptied(full: Any, lean: Any) -> Any:
    """``full`` with each managedFields list that ``lean`` has empty made empty too."""
    if isinstance(full, dict) and isinstance(lean, dict):
        out = {k: emptied(v, lean.get(k)) for k, v in full.items()}
        if lean.get("managedFields") == [] and "managedFields" in full:
            out["managedFields"] = []
        return out
    if isinstance(full, list) and isinstance(lean, list) and len(full) == len(lean):
        return [emptied(a, b) for a, b in zip(full, lean, strict=True)]
    return full


def check(doc: Any) -> Any:
    body = json.dumps(doc, separators=(",", ":")).encode()
    lean = gojson.loads_lean(body)
    assert lean == emptied(gojson.loads(body), lean)
    return lean


def test_an_event_lists_managed_fields_are_left_out_and_nothing_else() -> None:
    lean = check({"kind": "EventList", "items": [event(i, [entry(), entry()]) for i in range(5)]})
    assert all(item["metadata"]["managedFields"] == [] for item in lean["items"])
    assert lean["items"][3]["message"] == "message 3"


@pytest.mark.parametrize(
    "managed",
    [
        [entry('k:{"name":"a]"}')],  # a ] inside a key: the cut is at the list's own ]
        [entry('k:{"x":"]},\\"y"}')],  # what a cut looks for, inside a string
        [entry(), {"nested": [1, 2]}],  # a list inside: kept whole
        [],
        [entry('"managedFields":[')],
        [{"fieldsV1": {"x": "y", '"managedFields': ["a", {"b": 1}]}, "z": 1}],  # \"managedFields":[ in a key
    ],
)
def test_odd_managed_fields_decode_as_loads_decodes_them(managed: Any) -> None:
    check({"kind": "EventList", "items": [event(0, managed), event(1, [entry()])]})


def test_a_list_ending_its_item_is_never_cut_across_items() -> None:
    """managedFields last in metadata and metadata last in the item: ``]}}`` then the next item."""
    items = [{"reason": "x", "metadata": {"name": f"e{i}", "managedFields": [entry()]}} for i in range(3)]
    lean = check({"kind": "EventList", "items": items, "metadata": {"resourceVersion": "1"}})
    assert [item["metadata"]["name"] for item in lean["items"]] == ["e0", "e1", "e2"]


def test_random_documents_decode_as_loads_decodes_them() -> None:
    rng = random.Random(11)
    pieces = [
        "]",
        "[",
        "]},",
        '"',
        "\\",
        "}",
        "{",
        ",",
        "managedFields",
        ":",
        "a",
        "é",
        ']},"a',
        '"managedFields":[',
    ]

    def junk() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))

    def value(depth: int) -> Any:
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return rng.choice([junk(), 1, None, True])
        if roll < 0.5:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        keys = [junk(), "managedFields", "a", "b"]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(1000):
        check(
            {
                "items": [
                    event(0, [entry(junk())]),
                    value(0),
                    event(1, value(1)),
                    {"metadata": {junk(): value(2)}},
                ]
            }
        )
