"""List semantics: selectors, chunking, resourceVersion, Table output (each test names the upstream rule)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from tests.integration.clihelpers import Api, pod

NS = "/api/v1/namespaces/lists"


@pytest.fixture(scope="module", autouse=True)
def pods(api: Api) -> Iterator[None]:
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "lists"}})
    for i, (app, tier) in enumerate(
        [("web", "fe"), ("web", "be"), ("db", "be"), ("cache", None), ("web", None)]
    ):
        labels = {"app": app, **({"tier": tier} if tier else {})}
        p = pod(f"p{i}", "lists", labels, phase="Running" if i % 2 == 0 else "Pending")
        api.call("POST", NS + "/pods", p)
    yield


def names(api: Api, query: str) -> list[str]:
    code, body = api.call("GET", f"{NS}/pods?{query}")
    assert code == 200, body
    return [i["metadata"]["name"] for i in body["items"]]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["p0", "p1", "p4"]),
        ("app==web", ["p0", "p1", "p4"]),
        ("app!=web", ["p2", "p3"]),
        ("app in (db,cache)", ["p2", "p3"]),
        ("app notin (web)", ["p2", "p3"]),
        ("tier", ["p0", "p1", "p2"]),
        ("!tier", ["p3", "p4"]),
        ("app=web,tier=be", ["p1"]),
        ("tier!=fe", ["p1", "p2", "p3", "p4"]),
    ],
)
def test_label_selectors_match_like_labels_parse(api: Api, selector: str, expected: list[str]) -> None:
    """Upstream: apimachinery labels.Parse operators (=, ==, !=, in, notin, exists, !exists); != and notin
    also match objects without the key."""
    assert names(api, "labelSelector=" + quote(selector)) == expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        # The messages below are kube-apiserver's, read off a real one (bench/compare_real.py).
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a in", "unable to parse requirement: found '' expected: '('"),
        ("a in (", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a!", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
        ("a,", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        (
            "-a=b",
            'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',"
            "  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
    ],
)
def test_bad_label_selectors_are_400(api: Api, selector: str, message: str) -> None:
    """Upstream: a selector labels.Parse rejects answers 400 BadRequest with the parser's message; only errors
    inside one requirement get the "unable to parse requirement: " prefix."""
    code, body = api.call("GET", f"{NS}/pods?labelSelector={quote(selector)}")
    assert (code, body["reason"], body["message"]) == (400, "BadRequest", message)


def test_empty_value_sets_select_the_empty_value(api: Api) -> None:
    """Upstream: Parser.parseValues reads "()" as the set {""}: ``notin ()`` keeps objects whose value is not
    empty, ``in ()`` only those with the key set to "" (a real server answers 200, not 400)."""
    assert names(api, "labelSelector=" + quote("app notin ()")) == ["p0", "p1", "p2", "p3", "p4"]
    assert names(api, "labelSelector=" + quote("app in ()")) == []
    assert names(api, "labelSelector=" + quote("app in (web,)")) == ["p0", "p1", "p4"]


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("metadata.name=web\\", "invalid field selector: invalid escape sequence: \\"),
        ("metadata.name=w\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        ("a", "invalid selector: 'a'; can't understand 'a'"),
    ],
)
def test_bad_field_selectors_are_400(api: Api, selector: str, message: str) -> None:
    """Upstream: fields.ParseSelector / UnescapeValue messages (a rune printed as its code point)."""
    code, body = api.call("GET", f"{NS}/pods?fieldSelector={quote(selector)}")
    assert (code, body["reason"], body["message"]) == (400, "BadRequest", message)


def test_field_selectors_use_each_kinds_selectable_fields(api: Api) -> None:
    """Upstream: pods expose status.phase, metadata.name ... to field selectors (=, ==, !=)."""
    assert names(api, "fieldSelector=status.phase%3DRunning") == ["p0", "p2", "p4"]
    assert names(api, "fieldSelector=status.phase!%3DRunning,metadata.name!%3Dp1") == ["p3"]
    assert names(api, "fieldSelector=metadata.name%3D%3Dp2") == ["p2"]


def test_unsupported_field_selector_is_400(api: Api) -> None:
    """Upstream: the kind's field label conversion rejects unknown fields: 'field label not supported: X'."""
    code, body = api.call("GET", f"{NS}/pods?fieldSelector=spec.bogus%3Dx")
    assert (code, body["message"]) == (400, "field label not supported: spec.bogus")


def test_list_has_kind_list_and_the_current_resource_version(api: Api) -> None:
    """Upstream: XList with metadata.resourceVersion; builtin list items carry no apiVersion/kind."""
    _code, body = api.call("GET", f"{NS}/pods")
    assert (body["kind"], body["apiVersion"]) == ("PodList", "v1")
    _, cm = api.call("POST", f"{NS}/configmaps", {"metadata": {"name": "bump"}})
    _, again = api.call("GET", f"{NS}/pods")
    assert int(again["metadata"]["resourceVersion"]) >= int(cm["metadata"]["resourceVersion"])
    assert "kind" not in body["items"][0] and "apiVersion" not in body["items"][0]


def test_all_namespaces_list_is_ordered_by_namespace_then_name(api: Api) -> None:
    """Upstream: /api/v1/pods lists every namespace in etcd key order."""
    _, body = api.call("GET", "/api/v1/pods")
    keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in body["items"]]
    assert keys == sorted(keys)
    assert ("lists", "p0") in keys and ("default", "web") in keys


def test_limit_and_continue_page_through_a_consistent_snapshot(api: Api) -> None:
    """Upstream: limit/continue pages are served at the first page's resourceVersion (etcd snapshot), with
    remainingItemCount when there is no selector."""
    _code, first = api.call("GET", f"{NS}/pods?limit=2")
    assert [i["metadata"]["name"] for i in first["items"]] == ["p0", "p1"]
    assert first["metadata"]["remainingItemCount"] == 3
    token = first["metadata"]["continue"]
    api.call("POST", NS + "/pods", pod("p00", "lists"))  # sorts into the already-read range
    api.call("DELETE", NS + "/pods/p3")  # still part of the snapshot
    _, second = api.call("GET", f"{NS}/pods?limit=2&continue={token}")
    assert [i["metadata"]["name"] for i in second["items"]] == ["p2", "p3"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    _, third = api.call("GET", f"{NS}/pods?limit=2&continue={second['metadata']['continue']}")
    assert [i["metadata"]["name"] for i in third["items"]] == ["p4"]
    assert "continue" not in third["metadata"]
    api.call("POST", NS + "/pods", pod("p3", "lists", {"app": "cache"}, phase="Pending"))
    api.call("DELETE", NS + "/pods/p00")


def test_continue_token_is_opaque_base64_json(api: Api) -> None:
    """Upstream: the continue token is base64 of {"v":"meta.k8s.io/v1","rv":N,"start":...}."""
    _, first = api.call("GET", f"{NS}/pods?limit=1")
    token = first["metadata"]["continue"]
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert decoded["v"] == "meta.k8s.io/v1" and decoded["rv"] == int(first["metadata"]["resourceVersion"])
    code, body = api.call("GET", f"{NS}/pods?limit=1&continue=garbage!")
    assert (code, body["reason"]) == (400, "BadRequest")


def test_continue_after_compaction_is_410_expired(emu: Any, api: Api) -> None:
    """Upstream: a continue token whose resourceVersion etcd compacted answers 410 with reason Expired."""
    _, first = api.call("GET", f"{NS}/pods?limit=1")
    api.call("POST", f"{NS}/configmaps", {"metadata": {"name": "after-compact"}})
    emu.call(emu.emulator.faults.compact)
    code, body = api.call("GET", f"{NS}/pods?limit=1&continue={first['metadata']['continue']}")
    assert (code, body["reason"]) == (410, "Expired")
    assert body["message"].startswith(
        "The provided continue parameter is too old to display a consistent list"
    )


def test_resource_version_zero_ignores_limit(api: Api) -> None:
    """Upstream: resourceVersion=0 lists are served from the watch cache, which does not paginate."""
    _, body = api.call("GET", f"{NS}/pods?limit=1&resourceVersion=0")
    assert len(body["items"]) == 5 and "continue" not in body["metadata"]


def test_resource_version_newer_than_the_store_is_504_too_large(api: Api) -> None:
    """Upstream: the cacher waits, then answers 'Too large resource version' (504 Timeout)."""
    code, body = api.call("GET", f"{NS}/pods?resourceVersion=999999999")
    assert (code, body["reason"]) == (504, "Timeout")
    assert body["message"].startswith("Too large resource version: 999999999, current: ")


def test_table_accept_header_returns_a_server_side_table(api: Api) -> None:
    """Upstream: Accept application/json;as=Table;v=v1;g=meta.k8s.io turns a list into a meta.k8s.io Table."""
    import urllib.request

    for version in ("v1", "v1beta1"):
        req = urllib.request.Request(api.url + f"{NS}/pods?includeObject=None")
        req.add_header("Authorization", f"Bearer {api.token}")
        req.add_header("Accept", f"application/json;as=Table;v={version};g=meta.k8s.io,application/json")
        with urllib.request.urlopen(req, context=api.ctx, timeout=10) as resp:
            table = json.loads(resp.read())
        assert table["kind"] == "Table"
        assert [c["name"] for c in table["columnDefinitions"]][:5] == [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
        ]
        assert [r["cells"][0] for r in table["rows"]] == ["p0", "p1", "p2", "p3", "p4"]
        assert "object" not in table["rows"][0]
