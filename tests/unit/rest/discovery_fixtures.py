"""Discovery documents as ``kubectl get --raw`` shows them, in both shapes, from one table of resources.

Group order and versions follow a real 1.32 cluster (core first; events exist in the core group and in
events.k8s.io; a CRD group serves v1 (preferred) and v1beta1, where only v1beta1 has ``oldwidgets``).
"""

from __future__ import annotations

from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# group, version, plural, singular, kind, namespaced, shortNames, categories, subresources
R = tuple[str, str, str, str, str, bool, list[str], list[str], list[str]]
RESOURCES: list[R] = [
    ("", "v1", "pods", "pod", "Pod", True, ["po"], ["all"], ["status", "log", "portforward"]),
    ("", "v1", "services", "service", "Service", True, ["svc"], ["all"], ["status"]),
    ("", "v1", "namespaces", "namespace", "Namespace", False, ["ns"], [], ["status"]),
    ("", "v1", "nodes", "node", "Node", False, ["no"], [], ["status"]),
    ("", "v1", "events", "event", "Event", True, ["ev"], [], []),
    ("", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"], [], []),
    ("apps", "v1", "deployments", "deployment", "Deployment", True, ["deploy"], ["all"], ["status", "scale"]),
    ("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ["rs"], ["all"], ["status", "scale"]),
    ("events.k8s.io", "v1", "events", "event", "Event", True, ["ev"], [], []),
    ("coordination.k8s.io", "v1", "leases", "lease", "Lease", True, [], [], []),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        False,
        ["crd", "crds"],
        ["api-extensions"],
        ["status"],
    ),
    ("stable.example.com", "v1", "crontabs", "crontab", "CronTab", True, ["ct"], ["all"], []),
    ("stable.example.com", "v1beta1", "crontabs", "crontab", "CronTab", True, ["ct"], ["all"], []),
    ("stable.example.com", "v1beta1", "oldwidgets", "oldwidget", "OldWidget", False, [], [], []),
]
GROUPS: list[tuple[str, list[str]]] = [
    ("", ["v1"]),
    ("apps", ["v1"]),
    ("events.k8s.io", ["v1"]),
    ("coordination.k8s.io", ["v1"]),
    ("apiextensions.k8s.io", ["v1"]),
    ("stable.example.com", ["v1", "v1beta1"]),
]


def _of(group: str, version: str) -> list[R]:
    return [r for r in RESOURCES if r[0] == group and r[1] == version]


# -- legacy -----------------------------------------------------------------------------------------------
def legacy_api() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}],
    }


def legacy_apis() -> dict[str, Any]:
    groups = []
    for name, versions in GROUPS[1:]:
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        groups.append({"name": name, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def legacy_resource_list(group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for _, _, plural, singular, kind, namespaced, short, cats, subs in _of(group, version):
        entry: dict[str, Any] = {
            "name": plural,
            "singularName": singular,
            "namespaced": namespaced,
            "kind": kind,
            "verbs": VERBS,
            "storageVersionHash": "abc=",
        }
        if short:
            entry["shortNames"] = short
        if cats:
            entry["categories"] = cats
        resources.append(entry)
        for sub in subs:
            resources.append(
                {
                    "name": f"{plural}/{sub}",
                    "singularName": "",
                    "namespaced": namespaced,
                    "kind": kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def legacy_routes() -> dict[str, dict[str, Any]]:
    routes = {"/api": legacy_api(), "/apis": legacy_apis(), "/api/v1": legacy_resource_list("", "v1")}
    for name, versions in GROUPS[1:]:
        for v in versions:
            routes[f"/apis/{name}/{v}"] = legacy_resource_list(name, v)
    return routes


# -- aggregated -----------------------------------------------------------------------------------------
def _aggregated_item(group: str, versions: list[str]) -> dict[str, Any]:
    out_versions = []
    for v in versions:
        resources = []
        for _, _, plural, singular, kind, namespaced, short, cats, subs in _of(group, v):
            entry: dict[str, Any] = {
                "resource": plural,
                "responseKind": {"group": group, "version": v, "kind": kind},
                "scope": "Namespaced" if namespaced else "Cluster",
                "singularResource": singular,
                "verbs": VERBS,
            }
            if short:
                entry["shortNames"] = short
            if cats:
                entry["categories"] = cats
            if subs:
                entry["subresources"] = [
                    {
                        "subresource": s,
                        "responseKind": {"group": group, "version": v, "kind": kind},
                        "verbs": ["get", "patch", "update"],
                    }
                    for s in subs
                ]
            resources.append(entry)
        out_versions.append({"version": v, "resources": resources, "freshness": "Current"})
    meta: dict[str, Any] = {"creationTimestamp": None}
    if group:
        meta["name"] = group
    return {"metadata": meta, "versions": out_versions}


def aggregated(core: bool, api_version: str = "apidiscovery.k8s.io/v2") -> dict[str, Any]:
    groups = GROUPS[:1] if core else GROUPS[1:]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": api_version,
        "metadata": {},
        "items": [_aggregated_item(g, vs) for g, vs in groups],
    }


AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
