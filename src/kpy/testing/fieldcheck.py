"""Unknown fields in a create/update body, handled as ``?fieldValidation=`` asks (kube-apiserver 1.36, checked
by hand): ``Strict`` (what kubectl sends by default) refuses the body with ``ConfigMap in version "v1" cannot be
handled as a ConfigMap: strict decoding error: unknown field "metadata.lables", unknown field "bogus"``
(document order), ``Warn`` (the default) answers ``Warning: 299 - "unknown field \\"bogus\\""`` per field,
``Ignore`` says nothing; every mode drops the fields, as decoding into the typed object does. Any other value
is a 422 for ``CreateOptions``/``UpdateOptions``.

Only what the emulator knows completely is checked: ``metadata`` of every built-in kind, and the top-level
fields of the kinds listed in :data:`TOP_LEVEL`.
"""

from __future__ import annotations

from typing import Any

from kpy.testing import status
from kpy.testing.resources import ResourceType
from kpy.testing.validation import check_body

MODES = ["", "Ignore", "Strict", "Warn"]
_OBJECT = ("apiVersion", "kind", "metadata")
_SPEC_STATUS = (*_OBJECT, "spec", "status")
#: kind → its top-level JSON fields (k8s.io/api types)
TOP_LEVEL: dict[str, tuple[str, ...]] = {
    "ConfigMap": (*_OBJECT, "immutable", "data", "binaryData"),
    "Secret": (*_OBJECT, "immutable", "data", "stringData", "type"),
    "ServiceAccount": (*_OBJECT, "secrets", "imagePullSecrets", "automountServiceAccountToken"),
    "Endpoints": (*_OBJECT, "subsets"),
    "Pod": _SPEC_STATUS,
    "Service": _SPEC_STATUS,
    "Namespace": _SPEC_STATUS,
    "Node": _SPEC_STATUS,
    "ResourceQuota": _SPEC_STATUS,
    "LimitRange": (*_OBJECT, "spec"),
    "Deployment": _SPEC_STATUS,
    "ReplicaSet": _SPEC_STATUS,
    "StatefulSet": _SPEC_STATUS,
    "DaemonSet": _SPEC_STATUS,
    "Job": _SPEC_STATUS,
    "CronJob": _SPEC_STATUS,
    "Lease": (*_OBJECT, "spec"),
    "Role": (*_OBJECT, "rules"),
    "ClusterRole": (*_OBJECT, "rules", "aggregationRule"),
    "RoleBinding": (*_OBJECT, "subjects", "roleRef"),
    "ClusterRoleBinding": (*_OBJECT, "subjects", "roleRef"),
}
#: metav1.ObjectMeta's JSON fields
METADATA = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
)  # fmt: skip


def check_mode(mode: str, options_kind: str) -> None:
    if mode not in MODES:
        cause = status.not_supported_field("fieldValidation", mode, MODES)
        raise status.invalid("", "meta.k8s.io", options_kind, "", [cause])


def _unknown(rt: ResourceType, body: dict[str, Any]) -> list[str]:
    top = TOP_LEVEL.get(rt.kind)
    found: list[str] = []
    for key, value in body.items():
        if key == "metadata" and isinstance(value, dict):
            found += [f"metadata.{k}" for k in value if k not in METADATA]
        elif top is not None and key not in top:
            found.append(key)
    return found


def screen(rt: ResourceType, body: Any, mode: str, warnings: list[str]) -> Any:
    """``body`` without the unknown fields, after the decoder's own checks; raises for ``Strict``."""
    if rt.crd_name or not isinstance(body, dict):
        return body
    body = check_body(rt, body)
    unknown = _unknown(rt, body)
    if not unknown:
        return body
    if mode == "Strict":
        version = str(body.get("apiVersion") or rt.api_version).rpartition("/")[2]
        fields = ", ".join(f'unknown field "{p}"' for p in unknown)
        raise status.bad_request(
            f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: strict decoding error: {fields}'
        )
    if mode != "Ignore":
        warnings += [f'unknown field "{p}"' for p in unknown]
    top = {p for p in unknown if "." not in p}
    meta = {p.split(".", 1)[1] for p in unknown if p.startswith("metadata.")}
    cleaned = {k: v for k, v in body.items() if k not in top}
    if meta:
        cleaned["metadata"] = {k: v for k, v in cleaned["metadata"].items() if k not in meta}
    return cleaned
