"""The ``scale`` subresource of deployments, replicasets and statefulsets (``kubectl scale``).

As kube-apiserver serves it: ``GET`` answers an ``autoscaling/v1`` Scale built from the object (``spec.replicas``,
``status.replicas`` and the selector as a string); ``PUT`` takes a Scale, ``PATCH`` patches the Scale (kubectl
sends a merge patch ``{"spec":{"replicas":N}}``); both write only ``spec.replicas`` of the object, with the
Scale's ``resourceVersion`` as a precondition, and answer the new Scale.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kpy.testing import status
from kpy.testing.patch import PatchError, json_patch, merge_patch
from kpy.testing.status import StatusError
from kpy.testing.tables.common import selector_string

if TYPE_CHECKING:
    from kpy.testing.api import Api
    from kpy.testing.resources import ResourceType

Obj = dict[str, Any]

SCALABLE = {("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets")}


def to_scale(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    scale_meta = {
        k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
    }
    replicas = spec.get("replicas")
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": replicas} if replicas else {},
        "status": {
            "replicas": int((obj.get("status") or {}).get("replicas") or 0),
            "selector": selector_string(spec.get("selector")),
        },
    }


def get_scale(api: Api, rt: ResourceType, namespace: str, name: str) -> Obj:
    return to_scale(api.get(rt, namespace, name))


def write_scale(api: Api, rt: ResourceType, namespace: str, name: str, scale: Any, *, dry_run: bool) -> Obj:
    """PUT .../scale: set spec.replicas from a Scale (its resourceVersion, if any, must be current)."""
    if not isinstance(scale, dict) or scale.get("kind") not in (None, "Scale"):
        raise status.bad_request("the body of the request is not a Scale")
    current = api.get(rt, namespace, name)
    meta = scale.get("metadata") or {}
    if meta.get("name") not in (None, name):
        raise status.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
        )
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise StatusError(
            422,
            status.status_body(
                422,
                "Invalid",
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas}: '
                "must be greater than or equal to 0",
            ),
        )
    new = copy.deepcopy(current)
    new.setdefault("spec", {})["replicas"] = replicas
    rv = meta.get("resourceVersion")
    new["metadata"]["resourceVersion"] = rv or current["metadata"].get("resourceVersion")
    updated, _ = api.update(rt, namespace, name, new, subresource="scale", dry_run=dry_run)
    return to_scale(updated)


def patch_scale(
    api: Api, rt: ResourceType, namespace: str, name: str, patch_type: str, body: Any, *, dry_run: bool
) -> Obj:
    """PATCH .../scale: the patch applies to the Scale, then the Scale is written like a PUT."""
    scale = get_scale(api, rt, namespace, name)
    try:
        if patch_type == "json":
            patched = json_patch(scale, body)
        elif patch_type in ("merge", "strategic"):  # a Scale has no lists: strategic merge is a merge
            if not isinstance(body, dict):
                raise PatchError("json: cannot unmarshal into Go value of type map[string]interface {}")
            patched = merge_patch(scale, body)
        else:
            raise status.unsupported_media_type("application/apply-patch+yaml")
    except PatchError as exc:
        raise StatusError(422, status.status_body(422, "Invalid", str(exc))) from None
    if isinstance(body, dict) and not (body.get("metadata") or {}).get("resourceVersion"):
        patched.setdefault("metadata", {}).pop("resourceVersion", None)
    return write_scale(api, rt, namespace, name, patched, dry_run=dry_run)
