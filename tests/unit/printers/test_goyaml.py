"""``-o yaml`` is byte-identical to kubectl's: the YAML emitter against kubectl as the oracle.

kubectl prints YAML through sigs.k8s.io/yaml (JSON → go-yaml v2). ``kubectl label --local -f FILE tmp- -o yaml``
reads a List of objects offline and prints each object unchanged (each object has a label, so ``labels`` is not
added), so one kubectl run checks hundreds of strings at once. Without kubectl the pinned expectations below
still run. (kubectl itself fails on DEL, C1 controls and U+FFFE/U+FFFF: its JSON → YAML step re-reads them raw and
go-yaml's reader refuses them; those are left out.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpy.printers.goyaml import dump, go_g_format, resolves_to_string, sorted_keys

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed: the oracle comparison needs it"
)

#: strings YAML 1.1 readers (and go-yaml) would read as something else, or that need quoting/escaping/blocks
TRICKY = [
    "",
    " ",
    "  ",
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "tRUE",
    "yEs",
    "null",
    "Null",
    "NULL",
    "nULL",
    "~",
    "~a",
    "0",
    "00",
    "01",
    "08",
    "0o17",
    "0O17",
    "0x1F",
    "0X1f",
    "0xg",
    "0b101",
    "0B11",
    "-0b101",
    "0b102",
    "+1",
    "-1",
    "+0x10",
    "-0x10",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1e3",
    "1E3",
    "1e+3",
    "1.",
    ".5",
    "._5",
    ".5_0",
    ".e5",
    "1.5e-7",
    "1e400",
    "9" * 400,
    "-.5",
    "+.5",
    "1.2.3",
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "-.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "inf",
    "nan",
    "Infinity",
    "-inf",
    ".iNf",
    "1:20",
    "1:20:30",
    "-1:20",
    "1:60",
    "190:20:30.15",
    "1:2:3.4_5",
    "12:30pm",
    "::",
    "1::2",
    "2024-01-01",
    "2024-1-1",
    "2024-13-01",
    "2024-02-30",
    "2024-02-29",
    "2023-02-29",
    "2024-01-01T00:00:00Z",
    "2024-01-01t00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00",
    "2024-01-01   1:2:3",
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00.123456789Z",
    "2024-01-01T00:00:00,5Z",
    "2024-01-01T00:00:00+05:30",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:60:00Z",
    "2024-01-01T00:00:00+25:00",
    "2024-01-01T00:00:00+24:60",
    "2024-01-01T1:2:3Z",
    "20240-01-01",
    "2024-01-01x",
    "2024-01-01T00:00:00.Z",
    "<<",
    "=",
    "-",
    "--",
    "---",
    "---a",
    "...",
    "..a",
    "?",
    "?a",
    "? a",
    ":",
    ":a",
    "a:",
    "a: b",
    "a:b",
    "a :b",
    "#",
    "#a",
    "a#b",
    "a #b",
    "a\t#b",
    "[",
    "]",
    "{",
    "}",
    "[a]",
    "{a: 1}",
    ",",
    "a,b",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "'",
    "'a'",
    '"',
    '"a"',
    "%",
    "@a",
    "`a",
    "a'b",
    'a"b',
    "a\\b",
    "- a",
    "-a",
    "-",
    "a -",
    "a ",
    " a",
    "a  b",
    "\ta",
    "a\tb",
    "a\t",
    "\n",
    "\n\n",
    "a\n",
    "a\n\n",
    "a\n\n\n",
    "\na",
    "\n\na",
    " \na",
    "a\n ",
    "a \nb",
    "a\n b",
    "a\nb",
    "a\r\nb",
    "a\rb",
    "a\x85b",
    "a\u2028b",
    "a\u2029",
    "\u2028",
    "a\u2028",
    "a\u2028 b",
    "a\nb\u2028c",
    "a\x00b",
    "a\x07b",
    "a\x1bb",
    "\xa0",
    "a\xa0b",
    "\ufeffa",
    "a\ufeff",
    "\ufffd",
    "é",
    "héllo",
    "✓ ok",
    "日本語",
    "😀",
    "a😀b",
    "\U0010ffff",
    "Ω",
    "ǅ",
    "line1\nline2\n",
    "  leading\nspaces\n",
    "trailing space \nx",
    "tabs\tin\nblock",
    "x" * 200,
    "word " * 30,
    "word  " * 30 + "end",
    "a " * 60,
    ("a" * 79) + " b c",
    ("a" * 80) + " b",
    ("a" * 81) + " b",
    "long words " + "x" * 90 + " y " + "z" * 90,
    "quoted? " * 20,
    "it's " * 25,
    "yes " * 25 + "\t",
    ("é" * 78) + " b c d",
    "ünïcödé " * 15,
    "😀 " * 45,
    "a\u2028 " * 30,
    " " + "b " * 50,
    "b " * 50 + " ",
    "x" * 70 + "  " + "y " * 20,
    '"quoted" ' * 12,
    "back\\slash " * 12,
    '#!/bin/sh\nset -e\necho "hi"\n',
    "key: value\nother: [1, 2]\n",
    "- item\n- item2",
    '{"json": true}',
    '{"a":"b"}',
    "apiVersion: v1\nkind: Pod\n",
]

#: keys whose order go-yaml decides with its "natural" comparison (not "0o17" with "1" and "01": that comparison is
#: not transitive there, and kubectl prints such keys in an order that changes with Go's random map order)
KEYS = [
    "k10",
    "k9",
    "k_",
    "kA",
    "k~",
    "k0",
    "k00",
    "k01",
    "k1",
    "ka1x",
    "ka10",
    "a.b",
    "ab",
    "a-b",
    "a/b",
    "aB",
    "Ab",
    "a_b",
    "a1",
    "a",
    "",
    "b",
    "é",
    "z",
    "Z",
    "1",
    "10",
    "2",
    "01",
    "-1",
    "~",
    "é1",
    "x٣",
    "x3",
    "app.kubernetes.io/name",
    "k8s-app",
    "y",
    "n",
    "on",
    "a b",
    "a: b",
    "#a",
    "k" * 129,
    "a\nb",
    "ü10",
    "ü9",
]


def objects_for(values: list[Any], keys: list[str] | None = None) -> list[dict[str, Any]]:
    """One ConfigMap-like object per value (in ``data`` and in a list), with the keys as a map."""
    out: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"o{i}", "labels": {"a": "b"}},
                "data": {"v": value, "nested": {"deeper": {"v": value}}},
                "list": [value, [value], {"v": value}],
            }
        )
    if keys is not None:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "keys", "labels": {"a": "b"}},
                "data": {k: k for k in keys},
                "list": [{k: [k] for k in keys}],
            }
        )
    return out


def kubectl_yaml(objects: list[dict[str, Any]], tmp: Path) -> str:
    assert KUBECTL is not None
    path = tmp / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    done = subprocess.run(
        [KUBECTL, "label", "--local", "-f", str(path), "tmp-", "-o", "yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_same(objects: list[dict[str, Any]], expected: str) -> None:
    """kubectl prints one document per object, back to back; compare object by object for a readable failure."""
    mine = [dump(obj) for obj in objects]
    if "".join(mine) == expected:
        return
    offset = 0
    for obj, text in zip(objects, mine, strict=True):
        assert expected[offset : offset + len(text)] == text, f"object {json.dumps(obj)[:300]}"
        offset += len(text)
    assert expected[offset:] == ""


@needs_kubectl
def test_tricky_strings_and_keys_match_kubectl(tmp_path: Path) -> None:
    objects = objects_for(TRICKY, KEYS)
    assert_same(objects, kubectl_yaml(objects, tmp_path))


NUMBERS: list[Any] = [
    0,
    1,
    -1,
    7,
    2**53 + 1,
    2**63 - 1,
    -(2**63),
    2**63,
    2**64 - 1,
    2**64,
    10**20,
    10**19,
    1.5,
    0.1,
    -2.25,
    1e21,
    1e20,
    1e-7,
    1.5e-7,
    0.0001,
    0.00001,
    123456.5,
    1234567.5,
    1e6,
    1e100,
    5e-324,
    1.7976931348623157e308,
    True,
    False,
    None,
    {},
    [],
    [[]],
    [{}],
    {"a": {}},
]


@needs_kubectl
def test_numbers_and_empty_collections_match_kubectl(tmp_path: Path) -> None:
    objects = objects_for(NUMBERS)
    assert_same(objects, kubectl_yaml(objects, tmp_path))


@needs_kubectl
def test_realistic_pods_match_kubectl(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))
    from _pods import realistic_pods

    objects = realistic_pods(60)
    assert_same(objects, kubectl_yaml(objects, tmp_path))


_CHARS = [
    *list("aAyYnN01289 .:-#_/'\"\\\t\n\r~?,[]{}!|>@%&*eExXoObB+"),
    "\u2028",
    "\xa0",
    "é",
    "😀",
    "\ufeff",
    "\x00",
]
_text = st.text(alphabet=st.sampled_from([*_CHARS, "\x85"]), max_size=12)
#: kubectl fails on a key with a raw NEL (its JSON → YAML step reads it as a multi-line key)
_key = st.text(alphabet=st.sampled_from(_CHARS), max_size=12)
_long = st.lists(
    st.sampled_from(["word", "x" * 30, " ", "  ", "\n", "é", "'", '"', "\t", "yes"]), max_size=40
).map("".join)
#: long strings dense in spaces, quotes and breaks: where go-yaml folds plain and quoted scalars past column 80
_fold = st.text(
    alphabet=st.sampled_from([*"ab   '\"\\:#-é", "\t", "\n", "\u2028", "😀", "\x85", "\xa0"]), max_size=220
)


@needs_kubectl
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(
    values=st.lists(st.one_of(_text, _long, _fold), min_size=150, max_size=150),
    keys=st.lists(_key, min_size=1, max_size=40, unique=True),
)
def test_generated_strings_match_kubectl(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], keys: list[str]
) -> None:
    """Hypothesis strings in batches: one kubectl run per batch of 150 values and up to 40 keys."""
    objects = objects_for(values, keys)
    assert_same(objects, kubectl_yaml(objects, tmp_path_factory.mktemp("gen")))


# Pinned expectations (recorded from kubectl 1.32), so the rules hold where kubectl is not installed.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("y", '"y"'),
        ("N", '"N"'),
        ("on", '"on"'),
        ("0o17", '"0o17"'),
        ("1e3", '"1e3"'),
        ("0x1F", '"0x1F"'),
        (".inf", '".inf"'),
        ("~", '"~"'),
        ("", '""'),
        ("1:20", '"1:20"'),
        ("2024-01-01T00:00:00Z", '"2024-01-01T00:00:00Z"'),
        ("yess", "yess"),
        ("a: b", "'a: b'"),
        ("it's: x", "'it''s: x'"),
        ("a\tb", '"a\\tb"'),
        ("😀", '"\\U0001F600"'),
        ("a\n", "|\n    a"),
        ("a", "a"),
        ("a\n\n", "|+\n    a\n"),
        ("a\x85 b", "a b"),
        ("\ufeffa b", '"\\uFEFF\\x61\\x20\\x62"'),
        (" a\nb", "|2-\n     a\n    b"),
    ],
)
def test_scalar_styles(value: str, expected: str) -> None:
    assert dump({"k": {"v": value}}) == f"k:\n  v: {expected}\n"


def test_long_plain_strings_fold_past_column_80_like_go_yaml() -> None:
    text = " ".join(["word"] * 30)
    assert dump({"k": text}) == ("k: " + " ".join(["word"] * 16) + "\n  " + " ".join(["word"] * 14) + "\n")


def test_keys_in_go_yaml_natural_order() -> None:
    assert sorted_keys(["k10", "k9", "k_", "kA", "k~", "k0"]) == ["k_", "k~", "k0", "k9", "k10", "kA"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, "1.5"),
        (1234567.5, "1.2345675e+06"),
        (0.00001, "1e-05"),
        (1e20, "1e+20"),
        (123456.5, "123456.5"),
        (0.0001, "0.0001"),
        (1.5e-7, "1.5e-07"),
    ],
)
def test_floats_as_go_formats_them(value: float, expected: str) -> None:
    assert go_g_format(value) == expected


def test_lists_and_empty_collections() -> None:
    assert dump({"a": [{"b": 1, "c": []}, [1, 2], {}], "d": {}}) == (
        "a:\n- b: 1\n  c: []\n- - 1\n  - 2\n- {}\nd: {}\n"
    )


def test_keep_chomping_literal_at_the_end_of_the_document_has_no_end_marker() -> None:
    assert dump({"z": "a\n\n"}) == "z: |+\n  a\n\n"


@pytest.mark.parametrize("text", ["y", "0o17", "1_000", ".5", "2024-1-1", "+.INF", "-1:20"])
def test_not_plain(text: str) -> None:
    assert not resolves_to_string(text)
