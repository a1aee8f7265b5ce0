"""Tables of the ``apps`` group: deployments, replicasets, statefulsets."""

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


PRINTERS: dict[tuple[str, str], Printer] = {
    ("apps", "deployments"): (DEPLOYMENT_COLUMNS, deployment_row),
    ("apps", "replicasets"): (REPLICASET_COLUMNS, replicaset_row),
    ("apps", "statefulsets"): (STATEFULSET_COLUMNS, statefulset_row),
}
