"""Differential fuzzing: templates generated from the grammar over generated objects, kpy vs live kubectl.

Bounded (a fixed number of examples, one kubectl process each, well under a minute). Output must be identical
(compared as sorted words when the template walks maps, whose order Go randomizes) and both must agree on
error vs no error. A disagreement fails with the case as a line to add to ``jsonpath_record.py`` (as a
regression case) before fixing it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonpath_oracle import KUBECTL, kubectl_jsonpath
from test_jsonpath_conformance import run_kpy, words

KEYS = ["a", "b", "c.d", "e-f"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from([0.5, 2.0, 1e-7, 1234567.0]),
    st.sampled_from(["x", "y", "", "a b", "<&>"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=12,
)


def _key(k: str) -> str:
    return k.replace(".", "\\.")


segment = st.one_of(
    st.sampled_from(KEYS).map(lambda k: "." + _key(k)),
    st.sampled_from(KEYS).map(lambda k: f"['{k}']"),
    st.integers(-3, 4).map(lambda n: f"[{n}]"),
    st.tuples(st.integers(-2, 3), st.integers(-2, 4)).map(lambda t: f"[{t[0]}:{t[1]}]"),
    st.sampled_from(["[*]", ".*", "[0,1]", "[::2]", "['a','b']", "[]"]),
    st.sampled_from(KEYS).map(lambda k: ".." + _key(k)),
    st.tuples(
        st.sampled_from(KEYS),
        st.sampled_from(["==", "!=", "<", ">=", ""]),
        st.sampled_from(['"x"', "1", "2.0", "true", "@.b"]),
    ).map(lambda t: f"[?(@.{_key(t[0])})]" if not t[1] else f"[?(@.{_key(t[0])}{t[1]}{t[2]})]"),
)
path = st.tuples(st.sampled_from(["", "@", "$"]), st.lists(segment, min_size=1, max_size=4)).map(
    lambda t: t[0] + "".join(t[1])
)
literal = st.sampled_from(['{"\\t"}', "{'-'}", "{5}", "{true}", "|", " ", "{@}"])
simple = st.one_of(path.map(lambda p_: "{" + p_ + "}"), literal)
block = st.tuples(path, st.lists(simple, min_size=1, max_size=3)).map(
    lambda t: "{range " + t[0] + "}" + "".join(t[1]) + "{end}"
)
template = st.lists(st.one_of(simple, block), min_size=1, max_size=4).map("".join)


def _unordered_equal(got: str, want: str) -> bool:
    """Equal up to Go's random map order: the same words, or (when a range glues the pieces of differently
    ordered iterations together) at least the same characters and the same length."""
    return words(got) == words(want) or sorted(got) == sorted(want)


def _wrap(data: Any) -> dict[str, Any]:
    return {"apiVersion": "kpy.test/v1", "kind": "Blob", "metadata": {"name": "x", "labels": {}}, "d": data}


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: the differential test needs it")
@settings(max_examples=80, deadline=None, derandomize=False, suppress_health_check=list(HealthCheck))
@given(data=st.dictionaries(st.sampled_from(KEYS), values, max_size=3), tmpl=template, strict=st.booleans())
def test_kpy_and_kubectl_agree_on_generated_templates(data: Any, tmpl: str, strict: bool) -> None:
    tmpl = tmpl.replace("{@", "{@.d", 1) if tmpl.startswith("{@") else tmpl
    obj = _wrap(data)
    want = kubectl_jsonpath(obj, tmpl, not strict)
    if want[0] not in (0, 1):  # kubectl itself crashed (a Go panic): nothing to compare against
        return
    got = run_kpy(obj, tmpl, not strict)
    unordered = "*" in tmpl or ".." in tmpl
    same = got[0] == want[0] and (_unordered_equal(got[1], want[1]) if unordered else got[1] == want[1])
    assert same, "regression case: " + json.dumps(
        {"data": data, "template": tmpl, "strict": strict, "kubectl": want, "kpy": got}
    )
