"""PATCH flavours as the apiserver applies them (apimachinery strategicpatch, jsonpatch, merge patch)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.clihelpers import Api

from kpy.testing.patch import PatchError, json_patch, merge_patch, strategic_merge_patch

DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"a": "1"}},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "nginx:1",
                            "ports": [{"containerPort": 80, "name": "http"}],
                            "env": [{"name": "A", "value": "1"}],
                        },
                        {"name": "side", "image": "busybox:1"},
                    ]
                },
            },
        },
    }


def test_merge_patch_merges_maps_replaces_lists_and_null_deletes() -> None:
    """RFC 7386 (application/merge-patch+json)."""
    doc = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert merge_patch(doc, {"a": {"b": None, "d": 3}, "l": [3]}) == {"a": {"c": 2, "d": 3}, "l": [3]}


def test_strategic_merge_patch_merges_containers_by_name_and_ports_by_container_port() -> None:
    """Upstream: patchMergeKey name for containers, containerPort for container ports, name for env."""
    orig = deployment("x")["spec"]["template"]["spec"]
    patched = strategic_merge_patch(
        orig,
        {
            "containers": [
                {
                    "name": "main",
                    "image": "nginx:2",
                    "ports": [{"containerPort": 443}],
                    "env": [{"name": "B", "value": "2"}],
                }
            ]
        },
    )
    main, side = patched["containers"]
    assert main["image"] == "nginx:2" and side == {"name": "side", "image": "busybox:1"}
    assert [p["containerPort"] for p in main["ports"]] == [80, 443]
    assert [e["name"] for e in main["env"]] == ["A", "B"]


def test_strategic_merge_patch_directives() -> None:
    """Upstream directives kubectl sends: $patch delete/replace, $setElementOrder, $deleteFromPrimitiveList,
    $retainKeys; lists without a merge key are replaced."""
    orig = {
        "containers": [{"name": "a"}, {"name": "b"}],
        "finalizers": ["x", "y"],
        "args": ["1", "2"],
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
    }
    patched = strategic_merge_patch(
        orig,
        {
            "containers": [{"name": "a", "$patch": "delete"}, {"name": "c"}],
            "$setElementOrder/containers": [{"name": "c"}, {"name": "b"}],
            "$deleteFromPrimitiveList/finalizers": ["x"],
            "args": ["3"],
            "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
        },
    )
    assert patched == {
        "containers": [{"name": "c"}, {"name": "b"}],
        "finalizers": ["y"],
        "args": ["3"],
        "strategy": {"type": "Recreate"},
    }
    assert strategic_merge_patch({"m": {"a": 1}}, {"m": {"$patch": "replace", "b": 2}}) == {"m": {"b": 2}}


def test_json_patch_operations_and_failed_test_op() -> None:
    """RFC 6902 (application/json-patch+json)."""
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "remove", "path": "/b/c"},
            {"op": "copy", "from": "/a/0", "path": "/b/d"},
            {"op": "move", "from": "/a/1", "path": "/e"},
            {"op": "replace", "path": "/a/0", "value": 9},
            {"op": "test", "path": "/e", "value": 2},
        ],
    )
    assert out == {"a": [9, 3], "b": {"d": 1}, "e": 2}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/a/0", "value": 5}])


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        (
            "application/strategic-merge-patch+json",
            {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:2"}]}}}},
        ),
        ("application/merge-patch+json", {"metadata": {"labels": {"b": "2"}}}),
        ("application/json-patch+json", [{"op": "add", "path": "/metadata/labels/b", "value": "2"}]),
    ],
)
def test_patch_endpoints_accept_each_patch_content_type(api: Api, ctype: str, body: Any) -> None:
    """Upstream: PATCH picks the algorithm from Content-Type."""
    name = "patch-" + ctype.split("/")[1].split("-")[0]
    api.call("POST", DEPLOYS, deployment(name))
    code, out = api.call("PATCH", f"{DEPLOYS}/{name}", body, ctype)
    assert code == 200, out
    if "strategic" in ctype:
        assert [c["image"] for c in out["spec"]["template"]["spec"]["containers"]] == ["nginx:2", "busybox:1"]
    else:
        assert out["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_patch_with_a_stale_resource_version_is_a_conflict(api: Api) -> None:
    """Upstream: a resourceVersion inside a patch is an optimistic-lock precondition."""
    _, obj = api.call("POST", DEPLOYS, deployment("patch-rv"))
    api.call(
        "PATCH", f"{DEPLOYS}/patch-rv", {"metadata": {"labels": {"x": "1"}}}, "application/merge-patch+json"
    )
    code, body = api.call(
        "PATCH",
        f"{DEPLOYS}/patch-rv",
        {"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"], "labels": {"x": "2"}}},
        "application/merge-patch+json",
    )
    assert (code, body["reason"]) == (409, "Conflict")


def test_patch_of_a_missing_object_is_404_and_unknown_content_type_is_415(api: Api) -> None:
    """Upstream: PATCH needs an existing object (except apply); other media types are 415."""
    code, body = api.call("PATCH", f"{DEPLOYS}/nope", {}, "application/merge-patch+json")
    assert (code, body["message"]) == (404, 'deployments.apps "nope" not found')
    code, body = api.call("PATCH", f"{DEPLOYS}/nope", {}, "text/plain")
    assert (code, body["reason"]) == (415, "UnsupportedMediaType")


def test_server_side_apply_creates_then_updates_and_needs_a_field_manager(api: Api) -> None:
    """Upstream: apply-patch+yaml creates missing objects; fieldManager is required."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    path = "/api/v1/namespaces/default/configmaps/ssa"
    code, body = api.call("PATCH", path, cm, "application/apply-patch+yaml")
    assert code == 400 and "fieldManager" in body["message"]
    code, body = api.call("PATCH", path + "?fieldManager=t", cm, "application/apply-patch+yaml")
    assert code == 201 and body["data"] == {"a": "1"}
    cm["data"] = {"a": "2"}
    code, body = api.call("PATCH", path + "?fieldManager=t", cm, "application/apply-patch+yaml")
    assert code == 200 and body["data"] == {"a": "2"}
