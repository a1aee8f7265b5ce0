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
    m = parse('{"apiVersion": "v1", "kind": "PodList", "items": [{"kind": "Pod", "metadata": {"name": "a"}}]}',
              "x.json")
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
    [("kind: [unclosed\n", "error parsing x.yaml"), ("metadata: {}\n", "kind not set"), ("- a\n", "object is expected")],
)
def test_bad_input_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(text, "x.yaml")


def test_missing_file_names_the_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=r'the path ".*nope.yaml" does not exist'):
        load([str(tmp_path / "nope.yaml")])
