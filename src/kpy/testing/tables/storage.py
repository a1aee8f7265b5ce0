"""Tables of the storage types: persistentvolumeclaims and persistentvolumes (core), storageclasses; and
priorityclasses (scheduling.k8s.io)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.quantity import canonical_quantity
from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    as_dict,
    as_list,
    dig,
    translate_timestamp_since,
)

#: GetAccessModesAsString's order and abbreviations
_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)
_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def access_modes(modes: Any) -> str:
    present = set(as_list(modes))
    return ",".join(short for mode, short in _MODES if mode in present)


def storage_class(obj: Obj) -> str:
    """GetPersistentVolume(Claim)Class: the beta annotation first, then spec.storageClassName."""
    annotation = dig(obj, "metadata", "annotations", _CLASS_ANNOTATION)
    if annotation is not None:
        return str(annotation)
    return str(dig(obj, "spec", "storageClassName") or "")


def _phase(obj: Obj) -> str:
    return (
        "Terminating" if dig(obj, "metadata", "deletionTimestamp") else str(dig(obj, "status", "phase") or "")
    )


def _unset(value: Any) -> str:
    return "<unset>" if value is None else str(value)


def _quantity(value: Any) -> str:
    return str(canonical_quantity(value)) if value not in (None, "") else "0"


def pvc_row(pvc: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(pvc.get("spec"))
    volume = str(spec.get("volumeName") or "")
    capacity = modes = ""
    if volume:  # bound (or binding): what the volume gave
        capacity = _quantity(dig(pvc, "status", "capacity", "storage"))
        modes = access_modes(dig(pvc, "status", "accessModes"))
    return [
        dig(pvc, "metadata", "name") or "",
        _phase(pvc),
        volume,
        capacity,
        modes,
        storage_class(pvc),
        _unset(spec.get("volumeAttributesClassName")),
        translate_timestamp_since(dig(pvc, "metadata", "creationTimestamp"), now),
        _unset(spec.get("volumeMode")),
    ], None


PVC_COLUMNS = [
    NAME,
    Column("Status", description="The claim's phase (status.phase)."),
    Column("Volume", description="The volume bound to the claim (spec.volumeName)."),
    Column("Capacity", description="The storage the bound volume provides (status.capacity)."),
    Column("Access Modes", description="The access modes the bound volume provides (status.accessModes)."),
    Column("StorageClass", description="StorageClass of the pvc"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
    AGE,
    Column("VolumeMode", priority=1, description="Filesystem or Block (spec.volumeMode)."),
]


def pv_row(pv: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(pv.get("spec"))
    claim = as_dict(spec.get("claimRef"))
    return [
        dig(pv, "metadata", "name") or "",
        _quantity(dig(spec, "capacity", "storage")),
        access_modes(spec.get("accessModes")),
        str(spec.get("persistentVolumeReclaimPolicy") or ""),
        _phase(pv),
        f"{claim.get('namespace') or ''}/{claim.get('name') or ''}"
        if spec.get("claimRef") is not None
        else "",
        storage_class(pv),
        _unset(spec.get("volumeAttributesClassName")),
        str(dig(pv, "status", "reason") or ""),
        translate_timestamp_since(dig(pv, "metadata", "creationTimestamp"), now),
        _unset(spec.get("volumeMode")),
    ], None


PV_COLUMNS = [
    NAME,
    Column("Capacity", description="The volume's capacity (spec.capacity)."),
    Column("Access Modes", description="How the volume can be mounted (spec.accessModes)."),
    Column("Reclaim Policy", description="What happens to the volume when its claim goes (Retain, Delete)."),
    Column("Status", description="The volume's phase (status.phase)."),
    Column("Claim", description="The claim bound to the volume (spec.claimRef)."),
    Column("StorageClass", description="StorageClass of the pv"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
    Column("Reason", description="Why the volume is in its phase (status.reason)."),
    AGE,
    Column("VolumeMode", priority=1, description="Filesystem or Block (spec.volumeMode)."),
]


#: the annotations that make a StorageClass the default (IsDefaultAnnotation: GA, then beta)
_DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def storageclass_row(sc: Obj, now: datetime) -> tuple[list[Any], None]:
    name = str(dig(sc, "metadata", "name") or "")
    annotations = as_dict(dig(sc, "metadata", "annotations"))
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS):
        name += " (default)"
    return [
        name,
        str(sc.get("provisioner") or ""),
        str(sc.get("reclaimPolicy") or "Delete"),
        str(sc.get("volumeBindingMode") or "Immediate"),
        sc.get("allowVolumeExpansion") is True,
        translate_timestamp_since(dig(sc, "metadata", "creationTimestamp"), now),
    ], None


STORAGECLASS_COLUMNS = [
    NAME,
    Column("Provisioner", description="The volume plugin that provisions volumes of this class."),
    Column("ReclaimPolicy", description="What happens to a provisioned volume when its claim goes."),
    Column("VolumeBindingMode", description="When claims are provisioned and bound (Immediate by default)."),
    Column("AllowVolumeExpansion", description="Whether claims of this class can grow."),
    AGE,
]


def priorityclass_row(pc: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(pc, "metadata", "name") or "",
        int(pc.get("value") or 0),
        pc.get("globalDefault") is True,
        translate_timestamp_since(dig(pc, "metadata", "creationTimestamp"), now),
        str(pc.get("preemptionPolicy") or ""),
    ], None


PRIORITYCLASS_COLUMNS = [
    NAME,
    Column("Value", type="integer", description="The priority pods of this class get."),
    Column("Global-Default", type="boolean", description="Whether pods without a class get this one."),
    AGE,
    Column("PreemptionPolicy", description="Whether pods of this class preempt lower-priority pods."),
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("scheduling.k8s.io", "priorityclasses"): (PRIORITYCLASS_COLUMNS, priorityclass_row),
    ("storage.k8s.io", "storageclasses"): (STORAGECLASS_COLUMNS, storageclass_row),
    ("", "persistentvolumeclaims"): (PVC_COLUMNS, pvc_row),
    ("", "persistentvolumes"): (PV_COLUMNS, pv_row),
}
