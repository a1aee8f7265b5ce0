"""Tables of the ``apps`` group: controllerrevisions, daemonsets, deployments, replicasets, statefulsets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    CONTAINERS,
    IMAGES,
    NAME,
    Column,
    Obj,
    Printer,
    as_dict,
    dig,
    format_label_selector,
    format_labels,
    layout_container_cells,
    selector_string,
    to_int,
    translate_timestamp_since,
)


def deployment_row(d: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(d.get("spec"))
    status = as_dict(d.get("status"))
    names, images = layout_container_cells(dig(spec, "template", "spec", "containers"))
    replicas = to_int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        dig(d, "metadata", "name") or "",
        f"{to_int(status.get('readyReplicas'))}/{replicas}",
        to_int(status.get("updatedReplicas")),
        to_int(status.get("availableReplicas")),
        translate_timestamp_since(dig(d, "metadata", "creationTimestamp"), now),
        names,
        images,
        selector_string(spec.get("selector")) if spec.get("selector") is not None else "",
    ], None


DEPLOYMENT_COLUMNS = [
    NAME,
    Column("Ready", description="Number of the pod with ready state"),
    Column("Up-to-date", description="Replicas updated to the current pod template."),
    Column("Available", description="Replicas available (ready for minReadySeconds)."),
    AGE,
    CONTAINERS,
    IMAGES,
    Column("Selector", priority=1, description="Label selector of the deployment's pods."),
]


def replicaset_row(rs: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(rs.get("spec"))
    status = as_dict(rs.get("status"))
    names, images = layout_container_cells(dig(spec, "template", "spec", "containers"))
    replicas = to_int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        dig(rs, "metadata", "name") or "",
        replicas,
        to_int(status.get("replicas")),
        to_int(status.get("readyReplicas")),
        translate_timestamp_since(dig(rs, "metadata", "creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


REPLICASET_COLUMNS = [
    NAME,
    Column("Desired", type="integer", description="Desired number of replicas (spec.replicas)."),
    Column("Current", type="integer", description="Most recently observed number of replicas."),
    Column("Ready", type="integer", description="Number of ready replicas."),
    AGE,
    CONTAINERS,
    IMAGES,
    Column("Selector", priority=1, description="Label selector of the replica set's pods."),
]


def statefulset_row(sts: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(sts.get("spec"))
    names, images = layout_container_cells(dig(spec, "template", "spec", "containers"))
    replicas = to_int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        dig(sts, "metadata", "name") or "",
        f"{to_int(dig(sts, 'status', 'readyReplicas'))}/{replicas}",
        translate_timestamp_since(dig(sts, "metadata", "creationTimestamp"), now),
        names,
        images,
    ], None


STATEFULSET_COLUMNS = [
    NAME,
    Column("Ready", description="Number of the pod with ready state"),
    AGE,
    CONTAINERS,
    IMAGES,
]


def daemonset_row(ds: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(ds.get("spec"))
    status = as_dict(ds.get("status"))
    names, images = layout_container_cells(dig(spec, "template", "spec", "containers"))
    node_selector = dig(spec, "template", "spec", "nodeSelector")
    return [
        dig(ds, "metadata", "name") or "",
        to_int(status.get("desiredNumberScheduled")),
        to_int(status.get("currentNumberScheduled")),
        to_int(status.get("numberReady")),
        to_int(status.get("updatedNumberScheduled")),
        to_int(status.get("numberAvailable")),
        format_labels(node_selector if isinstance(node_selector, dict) else None),
        translate_timestamp_since(dig(ds, "metadata", "creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


def controllerrevision_row(cr: Obj, now: datetime) -> tuple[list[Any], None]:
    owner = next(
        (
            ref
            for ref in (dig(cr, "metadata", "ownerReferences") or [])
            if isinstance(ref, dict) and ref.get("controller") is True
        ),
        None,
    )
    controller = "<none>"
    if owner is not None:  # formatResourceName with its kind: "daemonset.apps/NAME"
        group = str(owner.get("apiVersion") or "").rpartition("/")[0]
        kind = str(owner.get("kind") or "")
        controller = f"{kind}.{group}".lower().rstrip(".") + f"/{owner.get('name') or ''}"
    return [
        dig(cr, "metadata", "name") or "",
        controller,
        to_int(cr.get("revision")),
        translate_timestamp_since(dig(cr, "metadata", "creationTimestamp"), now),
    ], None


CONTROLLERREVISION_COLUMNS = [
    NAME,
    Column("Controller", description="Controller of the object"),
    Column("Revision", description="The revision this object represents (revision)."),
    AGE,
]


def _count(name: str, description: str) -> Column:
    return Column(name, type="integer", description=description)


DAEMONSET_COLUMNS = [
    NAME,
    _count("Desired", "Nodes that should run the daemon pod (status.desiredNumberScheduled)."),
    _count("Current", "Nodes running at least one daemon pod that should (status.currentNumberScheduled)."),
    _count("Ready", "Nodes whose daemon pod is ready (status.numberReady)."),
    _count("Up-to-date", "Nodes running the current template's daemon pod (status.updatedNumberScheduled)."),
    _count("Available", "Nodes whose daemon pod is available (status.numberAvailable)."),
    Column("Node Selector", description="The pod template's nodeSelector."),
    AGE,
    CONTAINERS,
    IMAGES,
    Column("Selector", priority=1, description="Label selector of the daemon set's pods."),
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("apps", "controllerrevisions"): (CONTROLLERREVISION_COLUMNS, controllerrevision_row),
    ("apps", "daemonsets"): (DAEMONSET_COLUMNS, daemonset_row),
    ("apps", "deployments"): (DEPLOYMENT_COLUMNS, deployment_row),
    ("apps", "replicasets"): (REPLICASET_COLUMNS, replicaset_row),
    ("apps", "statefulsets"): (STATEFULSET_COLUMNS, statefulset_row),
}
