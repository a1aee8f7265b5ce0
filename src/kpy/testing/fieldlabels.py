"""Field selectors per kind: the fields an object exposes to ``fieldSelector`` (each kind's upstream
``GetAttrs``/``SelectableFields``), and whether a kind has a field label conversion (which words the
"not supported" error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpy.testing.fieldpath import first_value
from kpy.testing.resources import ResourceType


def _get(obj: dict[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _meta_fields(obj: dict[str, Any]) -> dict[str, str]:
    # runtime.DefaultMetaV1FieldSelectorConversion: every kind accepts these two unless its group registers
    # its own field label conversion (nodes and namespaces do, and drop metadata.namespace).
    return {
        "metadata.name": _s(_get(obj, "metadata", "name")),
        "metadata.namespace": _s(_get(obj, "metadata", "namespace")),
    }


def _pod_fields(obj: dict[str, Any]) -> dict[str, str]:
    ips = _get(obj, "status", "podIPs") or []
    pod_ip = _s(_get(obj, "status", "podIP"))
    # podIPs selection uses the first (primary) IP like PodToSelectableFields ("status.podIP").
    if not pod_ip and ips and isinstance(ips[0], dict):
        pod_ip = _s(ips[0].get("ip"))
    return {
        "spec.nodeName": _s(_get(obj, "spec", "nodeName")),
        "spec.restartPolicy": _s(_get(obj, "spec", "restartPolicy")),
        "spec.schedulerName": _s(_get(obj, "spec", "schedulerName")),
        "spec.serviceAccountName": _s(_get(obj, "spec", "serviceAccountName")),
        "spec.hostNetwork": "true" if _get(obj, "spec", "hostNetwork") else "false",
        "status.phase": _s(_get(obj, "status", "phase")),
        "status.podIP": pod_ip,
        "status.nominatedNodeName": _s(_get(obj, "status", "nominatedNodeName")),
    }


def _core_event_fields(obj: dict[str, Any]) -> dict[str, str]:
    io = obj.get("involvedObject") or {}
    reporting = _s(obj.get("reportingComponent"))
    # EventToSelectableFields: "source" falls back to the reporting controller when source is empty.
    source = _s(_get(obj, "source", "component")) or reporting
    return {
        "involvedObject.kind": _s(io.get("kind")),
        "involvedObject.namespace": _s(io.get("namespace")),
        "involvedObject.name": _s(io.get("name")),
        "involvedObject.uid": _s(io.get("uid")),
        "involvedObject.apiVersion": _s(io.get("apiVersion")),
        "involvedObject.resourceVersion": _s(io.get("resourceVersion")),
        "involvedObject.fieldPath": _s(io.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingComponent": reporting,
        "source": source,
        "type": _s(obj.get("type")),
    }


def _events_v1_fields(obj: dict[str, Any]) -> dict[str, str]:
    # events.k8s.io/v1 shares storage with core events; its field label conversion maps regarding.* to
    # involvedObject.*, reportingController to reportingComponent, deprecatedSource to source.
    reg = obj.get("regarding") or {}
    src = _s(_get(obj, "deprecatedSource", "component")) or _s(obj.get("reportingController"))
    fields = {
        "regarding.kind": _s(reg.get("kind")),
        "regarding.namespace": _s(reg.get("namespace")),
        "regarding.name": _s(reg.get("name")),
        "regarding.uid": _s(reg.get("uid")),
        "regarding.apiVersion": _s(reg.get("apiVersion")),
        "regarding.resourceVersion": _s(reg.get("resourceVersion")),
        "regarding.fieldPath": _s(reg.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingController": _s(obj.get("reportingController")),
        "deprecatedSource": src,
        "type": _s(obj.get("type")),
    }
    return fields


def _selectable_field(obj: dict[str, Any], path: str) -> str:
    found, value = first_value(obj, path)
    return _s(value) if found else ""


_KIND_FIELDS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, str]]] = {
    ("", "pods"): _pod_fields,
    ("", "events"): _core_event_fields,
    ("events.k8s.io", "events"): _events_v1_fields,
    ("", "namespaces"): lambda o: {
        "status.phase": _s(_get(o, "status", "phase")),
    },
    ("", "nodes"): lambda o: {"spec.unschedulable": "true" if _get(o, "spec", "unschedulable") else "false"},
    ("", "secrets"): lambda o: {"type": _s(o.get("type"))},
    ("certificates.k8s.io", "certificatesigningrequests"): lambda o: {
        "spec.signerName": _s(_get(o, "spec", "signerName")),
    },
    ("", "replicationcontrollers"): lambda o: {"status.replicas": _s(_get(o, "status", "replicas") or 0)},
    ("", "services"): lambda o: {
        "spec.clusterIP": _s(_get(o, "spec", "clusterIP")),
        "spec.type": _s(_get(o, "spec", "type")),
    },
}


#: Kinds whose field label conversion accepts metadata.name but not metadata.namespace.
_NO_NAMESPACE_LABEL = {
    ("", "nodes"),
    ("", "namespaces"),
    ("certificates.k8s.io", "certificatesigningrequests"),
}


def has_field_label_conversion(rt: ResourceType) -> bool:
    """Whether the kind registers its own field label conversion (its 400 for other fields says "field label
    not supported: X"); the others use apimachinery's default, which names metadata.name/namespace."""
    return bool(rt.crd_name) or (rt.group, rt.resource) in _KIND_FIELDS


def field_selector_fields(rt: ResourceType, obj: dict[str, Any]) -> dict[str, str]:
    """The field set ``obj`` offers to a fieldSelector; a selector naming any other key is a 400
    (``field label not supported: KEY``)."""
    fields = _meta_fields(obj)
    key = (rt.group, rt.resource)
    fn = _KIND_FIELDS.get(key) if not rt.crd_name else None
    if fn is not None:
        fields.update(fn(obj))
    if not rt.crd_name and key in _NO_NAMESPACE_LABEL:
        del fields["metadata.namespace"]
    for path in rt.selectable_fields:
        fields[path.lstrip(".")] = _selectable_field(obj, path)
    return fields
