"""A minimal ``/openapi/v3``: enough for kubectl to validate on the server and pick its patch strategy.

kubectl (>= 1.27) looks in the OpenAPI v3 document of an object's group/version for the PATCH operation
tagged with the object's ``x-kubernetes-group-version-kind`` and, if it lists the ``fieldValidation`` query
parameter, sends ``fieldValidation=Strict`` instead of validating client-side (which would need the full
schemas). The documents here list no ``application/strategic-merge-patch+json`` request body, so ``kubectl
apply`` computes its strategic merge patch from its compiled-in types (and a JSON merge patch for custom
resources), as it does for servers whose OpenAPI it cannot use. No schemas are served.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kpy.testing.resources import ResourceRegistry, ResourceType


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def group_versions(reg: ResourceRegistry) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for rt in reg.all():
        if (rt.group, rt.version) not in seen:
            seen.append((rt.group, rt.version))
    return seen


def gv_document(reg: ResourceRegistry, group: str, version: str) -> dict[str, Any] | None:
    types = [rt for rt in reg.all() if rt.group == group and rt.version == version]
    if not types:
        return None
    paths: dict[str, Any] = {}
    for rt in types:
        paths[_item_path(rt)] = {"patch": _patch_op(rt)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0+kpy"},
        "paths": paths,
        "components": {},
    }


def _item_path(rt: ResourceType) -> str:
    prefix = "/" + _gv_path(rt.group, rt.version)
    if rt.namespaced:
        return f"{prefix}/namespaces/{{namespace}}/{rt.resource}/{{name}}"
    return f"{prefix}/{rt.resource}/{{name}}"


def _patch_op(rt: ResourceType) -> dict[str, Any]:
    return {
        "description": f"partially update the specified {rt.kind}",
        "operationId": f"patch{rt.kind}",
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for name in ("dryRun", "fieldManager", "fieldValidation", "force")
        ],
        "requestBody": {
            "content": {
                ct: {"schema": {"type": "object"}}
                for ct in (
                    "application/apply-patch+yaml",
                    "application/json-patch+json",
                    "application/merge-patch+json",
                )
            }
        },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }


def root_document(reg: ResourceRegistry) -> dict[str, Any]:
    """``/openapi/v3``: each group/version's document URL, with a content hash like the apiserver's."""
    paths = {}
    for group, version in group_versions(reg):
        doc = gv_document(reg, group, version)
        digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()
        path = _gv_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}
