"""Discovery documents, shaped as kube-apiserver 1.32 serves them, built from a :class:`ResourceRegistry`.

- ``/api`` -> :func:`api_versions` (APIVersions), ``/apis`` -> :func:`api_group_list` (APIGroupList),
  ``/apis/G`` -> :func:`api_group`, ``/api/v1`` and ``/apis/G/V`` -> :func:`resource_list` (APIResourceList);
- aggregated discovery (``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``,
  also ``v2beta1``) -> :func:`aggregated`: ``legacy=True`` is the document served at ``/api`` (the core group),
  ``legacy=False`` the one at ``/apis`` (every other group);
- ``/version`` -> :func:`version_info`;
- ``/openapi/v2`` -> :func:`openapi_v2` (a valid document without paths, JSON or protobuf; see below).

Pure functions; the server decides which one a request gets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpy.testing.resources import ResourceRegistry, ResourceType

#: The version the emulator claims to be. kubectl 1.32 warns about skew only when the minor versions differ
#: by more than one, and parses gitVersion as semver: "v1.32.0" with "+kpy" build metadata keeps both happy.
SERVER_MAJOR = "1"
SERVER_MINOR = "32"
SERVER_GIT_VERSION = "v1.32.0+kpy"


@dataclass(frozen=True)
class SubresourceInfo:
    """What discovery says about one subresource: the kind it returns (group/version "" = the parent's)."""

    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = ""


_STATUS_VERBS = ("get", "patch", "update")
_PROXY_VERBS = ("create", "delete", "get", "patch", "update")
_CONNECT_VERBS = ("create", "get")


def subresource_info(rt: ResourceType, sub: str) -> SubresourceInfo:
    """Kind and verbs of ``rt``'s subresource ``sub`` as upstream registers it."""
    if sub == "status":
        return SubresourceInfo(rt.kind, _STATUS_VERBS)
    if sub == "scale":
        return SubresourceInfo("Scale", _STATUS_VERBS, "autoscaling", "v1")
    table: dict[tuple[str, str], SubresourceInfo] = {
        ("pods", "attach"): SubresourceInfo("PodAttachOptions", _CONNECT_VERBS),
        ("pods", "binding"): SubresourceInfo("Binding", ("create",)),
        ("pods", "ephemeralcontainers"): SubresourceInfo("Pod", _STATUS_VERBS),
        ("pods", "eviction"): SubresourceInfo("Eviction", ("create",), "policy", "v1"),
        ("pods", "exec"): SubresourceInfo("PodExecOptions", _CONNECT_VERBS),
        ("pods", "log"): SubresourceInfo("Pod", ("get",)),
        ("pods", "portforward"): SubresourceInfo("PodPortForwardOptions", _CONNECT_VERBS),
        ("pods", "proxy"): SubresourceInfo("PodProxyOptions", _PROXY_VERBS),
        ("nodes", "proxy"): SubresourceInfo("NodeProxyOptions", _PROXY_VERBS),
        ("services", "proxy"): SubresourceInfo("ServiceProxyOptions", _PROXY_VERBS),
        ("namespaces", "finalize"): SubresourceInfo("Namespace", ("update",)),
        ("serviceaccounts", "token"): SubresourceInfo(
            "TokenRequest", ("create",), "authentication.k8s.io", "v1"
        ),
    }
    return table.get((rt.resource, sub), SubresourceInfo(rt.kind, _STATUS_VERBS))


# ---------------------------------------------------------------------------------------------------------
# Legacy (unaggregated) discovery


def api_versions(server_address: str) -> dict[str, Any]:
    """``GET /api``: APIVersions; ``server_address`` is "host:port" as clients reach the server."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_version_entry(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}", "version": version}


def api_group(reg: ResourceRegistry, group: str) -> dict[str, Any] | None:
    """``GET /apis/GROUP``: APIGroup, or None when the group is not served."""
    versions = reg.versions(group)
    if not group or not versions:
        return None
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [_group_version_entry(group, v) for v in versions],
        "preferredVersion": _group_version_entry(group, versions[0]),
    }


def api_group_list(reg: ResourceRegistry) -> dict[str, Any]:
    """``GET /apis``: APIGroupList, groups in the apiserver's priority order, versions preferred first."""
    groups = []
    for group in reg.groups():
        versions = reg.versions(group)
        groups.append(
            {
                "name": group,
                "versions": [_group_version_entry(group, v) for v in versions],
                "preferredVersion": _group_version_entry(group, versions[0]),
            }
        )
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _api_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.resource,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _api_subresource(rt: ResourceType, sub: str) -> dict[str, Any]:
    info = subresource_info(rt, sub)
    entry: dict[str, Any] = {"name": f"{rt.resource}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if info.group or info.version:
        entry["group"] = info.group
        entry["version"] = info.version
    entry["kind"] = info.kind
    entry["verbs"] = list(info.verbs)
    return entry


def resource_list(reg: ResourceRegistry, group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``/apis/G/V``: APIResourceList (resources then their subresources, by name)."""
    types = reg.resources(group, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rt in types:
        resources.append(_api_resource(rt))
        resources.extend(_api_subresource(rt, sub) for sub in sorted(rt.subresources))
    doc: dict[str, Any] = {"kind": "APIResourceList"}
    if group:
        doc["apiVersion"] = "v1"  # the legacy /api/v1 list carries no apiVersion
    doc["groupVersion"] = f"{group}/{version}" if group else version
    doc["resources"] = resources
    return doc


# ---------------------------------------------------------------------------------------------------------
# Aggregated discovery (apidiscovery.k8s.io v2 / v2beta1)

AGGREGATED_VERSIONS = ("v2", "v2beta1")


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.resource,
        "responseKind": {"group": "", "version": "", "kind": rt.kind},
        "scope": rt.scope,
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if rt.subresources:
        subs = []
        for sub in sorted(rt.subresources):
            info = subresource_info(rt, sub)
            subs.append(
                {
                    "subresource": sub,
                    "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
                    "verbs": list(info.verbs),
                }
            )
        entry["subresources"] = subs
    return entry


def _aggregated_group(reg: ResourceRegistry, group: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": group} if group else {}  # no "creationTimestamp: null" since 1.34
    versions = reg.versions(group) if group else ["v1"]
    return {
        "metadata": metadata,
        "versions": [
            {
                "version": v,
                "resources": [_aggregated_resource(rt) for rt in reg.resources(group, v)],
                "freshness": "Current",
            }
            for v in versions
        ],
    }


def aggregated(reg: ResourceRegistry, legacy: bool, version: str = "v2") -> dict[str, Any]:
    """APIGroupDiscoveryList: the core group when ``legacy`` (served at /api), else all named groups."""
    if version not in AGGREGATED_VERSIONS:
        raise ValueError(f"unsupported aggregated discovery version {version!r}")
    groups = [""] if legacy else reg.groups()
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": [_aggregated_group(reg, g) for g in groups],
    }


def version_info() -> dict[str, str]:
    """``GET /version``: what a 1.32 server reports (kubectl 1.27-1.33 accept it without a skew warning
    except where their own minor differs from 32 by more than one)."""
    return {
        "major": SERVER_MAJOR,
        "minor": SERVER_MINOR,
        "gitVersion": SERVER_GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


# ---------------------------------------------------------------------------------------------------------
# /openapi/v2
#
# Every real API server serves it, and kubectl reads it: `kubectl apply` asks it (as protobuf) which PATCH
# types an object's kind accepts before choosing a strategic merge patch. The emulator serves a valid
# document listing no paths and no definitions, so kubectl finds nothing for any kind and uses its compiled-in
# types (a JSON merge patch for custom resources) - what it does today after a 404, but without the 404 and
# the legacy /swagger-2.0.0.pb-v1 request that follows it, and `kubectl get --raw /openapi/v2` works as on a
# real server. A document with paths but no schemas would be worse: kubectl would then warn "error calculating
# patch from openapi spec" on every apply.

OPENAPI_V2_JSON = "application/json"
OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
#: (type, subtype) pairs the kube-openapi handler serves, in its order, and the content type each gets.
_OPENAPI_V2_ACCEPTED = (
    ("application", "json", OPENAPI_V2_JSON),
    ("application", "com.github.proto-openapi.spec.v2@v1.0+protobuf", OPENAPI_V2_PROTOBUF),
    ("application", "com.github.proto-openapi.spec.v2.v1.0+protobuf", OPENAPI_V2_PROTOBUF),
)


def openapi_v2_document() -> dict[str, Any]:
    """The swagger 2.0 document the emulator serves: a title and a version, no paths, no definitions."""
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": SERVER_GIT_VERSION},
        "paths": {},
        "definitions": {},
    }


def _pb_field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    out = bytearray()
    for value in (number << 3 | 2, len(payload)):
        while value > 0x7F:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out) + payload


def openapi_v2_protobuf() -> bytes:
    """The same document as gnostic's openapi_v2.Document protobuf (swagger=1, info=2 {title=1, version=2},
    paths=8, definitions=9), which client-go's OpenAPISchema() unmarshals."""
    doc = openapi_v2_document()
    info = _pb_field(1, doc["info"]["title"].encode()) + _pb_field(2, doc["info"]["version"].encode())
    return _pb_field(1, doc["swagger"].encode()) + _pb_field(2, info) + _pb_field(8, b"") + _pb_field(9, b"")


def _accept_clauses(accept: str) -> list[tuple[str, str]]:
    """(type, subtype) of each Accept clause, by quality then specificity, as goautoneg.ParseAccept sorts."""
    clauses: list[tuple[float, int, int, str, str]] = []
    for i, part in enumerate((accept or "*/*").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        mtype, _, subtype = media.partition("/")
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        specificity = (mtype != "*") + (subtype != "*")
        clauses.append((-q, -specificity, i, mtype, subtype or "*"))
    return [(t, s) for _, _, _, t, s in sorted(clauses)]


def openapi_v2(accept: str) -> tuple[bytes, str] | None:
    """``GET /openapi/v2``: (body, content type) for the first acceptable format, None for 406."""
    for mtype, subtype in _accept_clauses(accept):
        for want_type, want_sub, content_type in _OPENAPI_V2_ACCEPTED:
            if mtype in (want_type, "*") and subtype in (want_sub, "*"):
                if content_type == OPENAPI_V2_JSON:
                    return json.dumps(openapi_v2_document(), separators=(",", ":")).encode(), content_type
                return openapi_v2_protobuf(), content_type
    return None
