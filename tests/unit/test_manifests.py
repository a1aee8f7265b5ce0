"""-f FILE|-: JSON or YAML, single objects, Lists and multi-document YAML, read like kubectl reads them."""

from __future__ import annotations

import io

import pytest

from kpy.errors import UsageError
from kpy.manifests import load, parse


def test_single_object_is_single() -> None:
    m = parse('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}', "x.json")
    assert m.single and [o["metadata"]["name"] for o in m.objects] == ["a"]


def test_list_is_flattened_and_not_single() -> None:
    m = parse(
        '{"apiVersion": "v1", "kind": "PodList", "items": [{"kind": "Pod", "metadata": {"name": "a"}}]}',
        "x.json",
    )
    assert not m.single and len(m.objects) == 1


def test_multi_document_yaml_keeps_order_and_timestamps_as_strings() -> None:
    m = parse("kind: A\nmetadata: {creationTimestamp: 2024-01-01T00:00:00Z}\n---\n---\nkind: B\n", "x.yaml")
    assert [o["kind"] for o in m.objects] == ["A", "B"]
    assert m.objects[0]["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
    assert not m.single


def test_stdin_is_read_for_dash() -> None:
    [m] = load(["-"], stdin=io.StringIO("kind: Pod\nmetadata: {name: p}\n"))
    assert m.source == "STDIN" and m.single


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: [unclosed\n", "error parsing x.yaml"),
        ("metadata: {}\n", "Object 'Kind' is missing"),
        ("- a\n", "cannot unmarshal array into Go value of type unstructured.detector"),
    ],
)
def test_bad_input_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(text, "x.yaml")


def test_missing_file_names_the_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=r'the path ".*nope.yaml" does not exist'):
        load([str(tmp_path / "nope.yaml")])


def _laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n" + "\n".join(lines[:levels]) + "\n"


def test_billion_laughs_is_refused_like_go_yaml_before_expanding() -> None:
    with pytest.raises(UsageError) as info:
        load(["-"], stdin=io.StringIO(_laughs()))
    assert info.value.format() == (
        "error parsing STDIN: error converting YAML to JSON: yaml: document contains excessive aliasing"
    )


def test_ordinary_aliases_and_merge_keys_still_work() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: &l {app: web}}\n"
        "spec: {base: &b {a: 1, b: 2}, merged: {<<: *b, b: 3}, labels: *l}\n"
    )
    [obj] = parse(text, "x.yaml").objects
    assert obj["spec"]["merged"] == {"a": 1, "b": 3} and obj["spec"]["labels"] == {"app": "web"}


@pytest.mark.parametrize(
    ("ratio_at", "expected"),
    [(1000, 0.99), (400_000, 0.99), (2_200_000, 0.545), (4_000_000, 0.10), (10**8, 0.10)],
)
def test_allowed_alias_ratio_is_go_yamls(ratio_at: int, expected: float) -> None:
    from kpy.goyaml import allowed_alias_ratio

    assert allowed_alias_ratio(ratio_at) == pytest.approx(expected)


def test_a_document_just_under_the_alias_limit_is_read() -> None:
    """Four levels of 9 (6,561 lols) decode fine in go-yaml: only the ratio over 99% is refused."""
    [obj] = parse(_laughs(3), "x.yaml").objects
    assert len(obj["c"]) == 9 and obj["c"][0][0] == ["lol"] * 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: 12345678901234567890123\n", 1.2345678901234568e22),  # beyond int64: go-yaml's float64
        ("v: " + "9" * 5000 + "\n", "9" * 5000),  # beyond float64: go-yaml keeps the string
        ("v: 1e999999\n", "1e999999"),
        ("v: 1e3\n", 1000.0),
        ("v: y\n", True),
        ("v: 'y'\n", "y"),
    ],
)
def test_yaml_scalars_resolve_as_go_yaml(text: str, expected: object) -> None:
    [obj] = parse("kind: Pod\nspec:\n  " + text.replace("\n", "\n  "), "x.yaml").objects
    assert obj["spec"]["v"] == expected


def test_deep_but_allowed_nesting_is_read_without_recursion_errors() -> None:
    depth = 1500  # past libyaml's 1,000 levels and Python's recursion limit, within Go's 10,000
    json_text = '{"kind": "Pod", "spec": ' + "[" * depth + "]" * depth + "}"
    yaml_text = "kind: Pod\nspec: " + "[" * depth + "]" * depth + "\n"
    for text in (json_text, yaml_text):
        [obj] = parse(text, "x").objects
        assert isinstance(obj["spec"], list)


def test_invalid_utf8_becomes_replacement_characters_as_in_go() -> None:
    [obj] = parse(b"kind: Pod\nmetadata:\n  name: x\xff\n", "x.yaml").objects
    assert obj["metadata"]["name"] == "x\ufffd"
