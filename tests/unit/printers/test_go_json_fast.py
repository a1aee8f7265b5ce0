"""``-o json`` output: the fast indenting encoder writes exactly what the json.dumps-based encoding writes."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from kpy.gocompat.jsonindent import _mark_floats, go_json


def reference(obj: Any, indent: int | None = 4) -> str:
    """Go's MarshalIndent the slow way: json.dumps, floats as markers, then Go's HTML escapes."""
    marked, has_floats = _mark_floats(obj)
    text = json.dumps(
        marked,
        indent=indent,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ": ") if indent is not None else (",", ":"),
    )
    if has_floats:
        text = re.sub(r'"\\u0000F([^"\\]*)\\u0000"', r"\1", text)
    return text.translate(
        str.maketrans(
            {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
        )
    )


STRINGS = ["", "a", "<b>&c", "\u2028\u2029", "é\u00e9日本", 'quote"back\\slash', "\x00\x1f\t\n", "😀"]
SCALARS: list[Any] = [None, True, False, 0, -1, 2**63, 1.5, -0.0, 1e21, 1e-7, 123456789.125, 0.1, *STRINGS]


def random_value(rng: random.Random, depth: int) -> Any:
    choice = rng.random()
    if depth <= 0 or choice < 0.4:
        return rng.choice(SCALARS)
    if choice < 0.7:
        return [random_value(rng, depth - 1) for _ in range(rng.randrange(0, 4))]
    return {
        rng.choice(STRINGS) + str(rng.randrange(5)): random_value(rng, depth - 1)
        for _ in range(rng.randrange(0, 5))
    }


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("indent", [4, 2, 0, None])
def test_random_documents_encode_byte_identically(seed: int, indent: int | None) -> None:
    doc = {"apiVersion": "v1", "kind": "List", "items": [random_value(random.Random(seed), 5)]}
    assert go_json(doc, indent) == reference(doc, indent)


@pytest.mark.parametrize(
    "value",
    [
        {"t": (1, 2.5, "x")},  # a tuple (not from JSON): json.dumps' list form
        {2: "int keys", 1: {"b": 2}},  # non-str keys: json.dumps converts them
        {"e": {}, "l": [], "n": [[]], "m": [{}]},
    ],
)
def test_values_json_decoding_never_makes_are_encoded_like_json_dumps(value: Any) -> None:
    assert go_json(value) == reference(value)


def test_mixed_key_types_fail_like_json_dumps() -> None:
    with pytest.raises(TypeError):
        reference({1: "a", "b": 2})
    with pytest.raises(TypeError):
        go_json({1: "a", "b": 2})


def test_nan_is_refused_like_go() -> None:
    with pytest.raises(ValueError, match="unsupported value"):
        go_json({"x": float("nan")})


@pytest.mark.parametrize("seed", range(20))
def test_lists_written_item_by_item_are_the_same_document(seed: int) -> None:
    """-o json streams a List one item at a time (peak memory); the bytes are those of the whole document."""
    from kpy.gocompat.jsonindent import write_go_json

    rng = random.Random(seed)
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": "<&>"},
        "items": [random_value(rng, 4) for _ in range(rng.randrange(2, 6))],
        "extra": [(1, 2), {3: "x"}],
    }
    pieces: list[str] = []
    write_go_json(doc, pieces.append)
    assert len(pieces) > len(doc["items"])
    assert "".join(pieces) == go_json(doc) + "\n"
