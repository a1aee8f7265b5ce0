"""Server-side ``meta.k8s.io/v1`` Tables, with the columns and cells kube-apiserver's printers produce.

The apiserver always renders the wide (priority 1) cells; kubectl drops priority>0 columns unless ``-o wide``.
Cells follow pkg/printers/internalversion/printers.go: the pod STATUS reason logic, RESTARTS with
"(5m ago)", ages through :func:`human_duration` (apimachinery's ``duration.HumanDuration``) against an
injected ``now``. Types without a printer get the default table (Name, Created At); custom resources get
Name + their additionalPrinterColumns (Age by default).

One module per API group (:mod:`.core`, :mod:`.apps`, :mod:`.discovery`, :mod:`.coordination`,
:mod:`.events`), each with a ``PRINTERS`` dict; :mod:`.common` holds what they share, :mod:`.crd` the default
and custom-resource tables.

To add a table for a type: write its ``*_row(obj, now)`` function and ``*_COLUMNS`` list in its group's
module (printers.go order and descriptions) and add ``(group, resource): (COLUMNS, row)`` to that module's
``PRINTERS``; a new group gets a new module, listed in :data:`PRINTERS` below.

Pure functions: no I/O, no clock of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.resources import ResourceType
from kpy.testing.tables import (
    apps,
    batch,
    certificates,
    coordination,
    core,
    discovery,
    events,
    networking,
    rbac,
    storage,
)
from kpy.testing.tables.common import (
    Column,
    Obj,
    Printer,
    dig,
    format_label_selector,
    format_labels,
    format_rfc3339,
    human_duration,
    parse_time,
    selector_string,
    translate_timestamp_since,
)
from kpy.testing.tables.core import format_endpoints
from kpy.testing.tables.crd import (
    DEFAULT_COLUMNS,
    DEFAULT_CRD_PRINTER_COLUMNS,
    crd_columns,
    crd_row_fn,
    default_row,
)

__all__ = [
    "PRINTERS",
    "Column",
    "format_endpoints",
    "format_label_selector",
    "format_labels",
    "format_rfc3339",
    "human_duration",
    "parse_time",
    "printer_for",
    "selector_string",
    "to_table",
    "translate_timestamp_since",
]

#: (group, resource) -> the columns and row function of kube-apiserver's printer for that type
PRINTERS: dict[tuple[str, str], Printer] = {
    **core.PRINTERS,
    **apps.PRINTERS,
    **batch.PRINTERS,
    **networking.PRINTERS,
    **storage.PRINTERS,
    **discovery.PRINTERS,
    **coordination.PRINTERS,
    **events.PRINTERS,
    **certificates.PRINTERS,
    **rbac.PRINTERS,
}


def printer_for(rt: ResourceType) -> Printer:
    """The columns and row function kube-apiserver uses for ``rt``."""
    if rt.crd_name:
        pcs = tuple(rt.printer_columns) or DEFAULT_CRD_PRINTER_COLUMNS
        return crd_columns(pcs), crd_row_fn(pcs)
    return PRINTERS.get((rt.group, rt.resource), (DEFAULT_COLUMNS, default_row))


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def to_table(
    rt: ResourceType,
    objs: list[Obj],
    *,
    include_object: str = "Metadata",
    list_meta: dict[str, Any] | None = None,
    now: datetime,
    no_headers: bool = False,
) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objs`` (all of type ``rt``).

    ``include_object`` is the request's ``includeObject`` (None/Metadata/Object). ``list_meta`` is the list's
    metadata (resourceVersion, continue, remainingItemCount); None for a single-object GET, whose
    resourceVersion is then copied from the object. ``no_headers`` leaves out columnDefinitions
    (TableOptions.noHeaders, as kubectl asks for on later watch pages).
    """
    columns, row_fn = printer_for(rt)
    metadata: dict[str, Any] = {}
    if list_meta is not None:
        for key in ("resourceVersion", "continue", "remainingItemCount"):
            if list_meta.get(key) not in (None, ""):
                metadata[key] = list_meta[key]
    elif len(objs) == 1:
        rv = dig(objs[0], "metadata", "resourceVersion")
        if rv:
            metadata["resourceVersion"] = rv
    rows: list[dict[str, Any]] = []
    for obj in objs:
        cells, conditions = row_fn(obj, now)
        row: dict[str, Any] = {"cells": cells}
        if conditions:
            row["conditions"] = conditions
        obj_part = _row_object(obj, include_object)
        if obj_part is not None:
            row["object"] = obj_part
        rows.append(row)
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}
    if not no_headers:
        table["columnDefinitions"] = [c.as_dict() for c in columns]
    table["rows"] = rows
    return table
