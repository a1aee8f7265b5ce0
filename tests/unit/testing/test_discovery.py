"""Discovery documents shaped like kube-apiserver 1.32's, checked by shape and by real kubectl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.unit.testing.kubectl_oracle import KUBECTL, discovery_route, kubectl, serve

from kpy.testing import discovery as d
from kpy.testing.resources import ResourceRegistry


def registry_with_crd() -> ResourceRegistry:
    reg = ResourceRegistry()
    reg.add_crd(
        {
            "metadata": {"name": "crontabs.stable.example.com"},
            "spec": {
                "group": "stable.example.com",
                "scope": "Namespaced",
                "names": {
                    "plural": "crontabs",
                    "singular": "crontab",
                    "kind": "CronTab",
                    "shortNames": ["ct"],
                },
                "versions": [
                    {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}},
                    {"name": "v1beta1", "served": True, "storage": False},
                ],
            },
        }
    )
    return reg


def test_api_versions_carries_the_server_address() -> None:
    assert d.api_versions("127.0.0.1:6443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    }


def test_group_list_has_preferred_versions_and_no_core_group() -> None:
    doc = d.api_group_list(registry_with_crd())
    assert doc["kind"] == "APIGroupList" and doc["apiVersion"] == "v1"
    groups = {g["name"]: g for g in doc["groups"]}
    assert "" not in groups
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    crd = groups["stable.example.com"]
    assert [v["version"] for v in crd["versions"]] == ["v1", "v1beta1"]
    assert crd["preferredVersion"]["version"] == "v1"


def test_api_group_document() -> None:
    reg = ResourceRegistry()
    assert d.api_group(reg, "apps") == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }
    assert d.api_group(reg, "nope.example.com") is None


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in doc["resources"]}


def test_core_resource_list_has_no_api_version_and_lists_subresources() -> None:
    doc = d.resource_list(ResourceRegistry(), "", "v1")
    assert doc is not None
    assert "apiVersion" not in doc and doc["groupVersion"] == "v1" and doc["kind"] == "APIResourceList"
    res = _by_name(doc)
    assert res["pods"] == {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["po"],
        "categories": ["all"],
    }
    assert res["pods/portforward"] == {
        "name": "pods/portforward",
        "singularName": "",
        "namespaced": True,
        "kind": "PodPortForwardOptions",
        "verbs": ["create", "get"],
    }
    assert res["pods/status"]["kind"] == "Pod" and res["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert res["pods/log"]["verbs"] == ["get"]
    assert (res["pods/eviction"]["group"], res["pods/eviction"]["version"]) == ("policy", "v1")
    assert res["namespaces/finalize"]["verbs"] == ["update"]
    assert res["serviceaccounts/token"]["kind"] == "TokenRequest"
    names = [r["name"] for r in doc["resources"]]
    assert names.index("pods") < names.index("pods/attach") < names.index("secrets")


def test_group_resource_list() -> None:
    doc = d.resource_list(ResourceRegistry(), "apps", "v1")
    assert doc is not None
    assert doc["apiVersion"] == "v1" and doc["groupVersion"] == "apps/v1"
    scale = _by_name(doc)["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert d.resource_list(ResourceRegistry(), "apps", "v9") is None


@pytest.mark.parametrize("version", ["v2", "v2beta1"])
def test_aggregated_legacy_document_is_the_core_group(version: str) -> None:
    doc = d.aggregated(ResourceRegistry(), True, version)
    assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == f"apidiscovery.k8s.io/{version}"
    (item,) = doc["items"]
    assert "name" not in item["metadata"]
    (v1,) = item["versions"]
    assert v1["version"] == "v1" and v1["freshness"] == "Current"
    pods = next(r for r in v1["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["singularResource"] == "pod"
    assert pods["responseKind"] == {"group": "", "version": "", "kind": "Pod"}
    pf = next(s for s in pods["subresources"] if s["subresource"] == "portforward")
    assert pf == {
        "subresource": "portforward",
        "verbs": ["create", "get"],
        "responseKind": {"group": "", "version": "", "kind": "PodPortForwardOptions"},
    }
    nodes = next(r for r in v1["resources"] if r["resource"] == "nodes")
    assert nodes["scope"] == "Cluster"


def test_aggregated_groups_document_lists_named_groups() -> None:
    doc = d.aggregated(registry_with_crd(), False, "v2")
    names = [i["metadata"]["name"] for i in doc["items"]]
    assert names[0] == "apps" and "stable.example.com" in names and "" not in names
    crd_group = doc["items"][names.index("stable.example.com")]
    assert [v["version"] for v in crd_group["versions"]] == ["v1", "v1beta1"]


def test_aggregated_rejects_unknown_versions() -> None:
    with pytest.raises(ValueError):
        d.aggregated(ResourceRegistry(), True, "v3")


def test_version_info_claims_1_32() -> None:
    info = d.version_info()
    assert (info["major"], info["minor"]) == ("1", "32")
    assert info["gitVersion"].startswith("v1.32.")


# --- real kubectl as the oracle -------------------------------------------------------------------------------


EXPECTED_API_RESOURCES = {
    # NAME SHORTNAMES APIVERSION NAMESPACED KIND
    ("pods", "po", "v1", "true", "Pod"),
    ("services", "svc", "v1", "true", "Service"),
    ("namespaces", "ns", "v1", "false", "Namespace"),
    ("events", "ev", "events.k8s.io/v1", "true", "Event"),
    ("deployments", "deploy", "apps/v1", "true", "Deployment"),
    ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"),
    ("crontabs", "ct", "stable.example.com/v1", "true", "CronTab"),
}


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("aggregated", [True, False], ids=["aggregated", "legacy"])
def test_kubectl_api_resources_reads_our_discovery(tmp_path: Path, aggregated: bool) -> None:
    reg = registry_with_crd()
    with serve(discovery_route(reg, aggregated)) as url:
        result = kubectl(url, tmp_path, "api-resources")
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split()) for line in result.stdout.splitlines()[1:]}
    assert rows >= EXPECTED_API_RESOURCES
    assert ("leases", "coordination.k8s.io/v1", "true", "Lease") in rows


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_version_accepts_our_server_version(tmp_path: Path) -> None:
    with serve(discovery_route(ResourceRegistry(), True)) as url:
        result = kubectl(url, tmp_path, "version")
    assert result.returncode == 0, result.stderr
    assert f"Server Version: {d.SERVER_GIT_VERSION}" in result.stdout
    assert "WARNING" not in result.stderr
