"""The default table (Name, Created At) for types without a printer, and custom resources' tables from their
``additionalPrinterColumns``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kpy.jsonpath.gofmt import to_text
from kpy.testing.fieldpath import first_value
from kpy.testing.tables.common import (
    AGE_DOC,
    NAME,
    Column,
    Obj,
    RowFn,
    aware,
    dig,
    format_rfc3339,
    human_duration,
    parse_time,
    to_int,
)


def default_row(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(obj, "metadata", "name") or "",
        format_rfc3339(dig(obj, "metadata", "creationTimestamp")),
    ], None


DEFAULT_COLUMNS = [NAME, Column("Created At", type="date", description=AGE_DOC)]

#: additionalPrinterColumns a CRD version gets when it declares none.
DEFAULT_CRD_PRINTER_COLUMNS: tuple[dict[str, Any], ...] = (
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)


def _typed_cell(ctype: str, value: Any, now: datetime) -> Any:
    if value is None:
        return None
    if ctype == "string":
        return to_text(value)
    if ctype == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if ctype == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if ctype == "boolean" and isinstance(value, bool):
        return value
    if ctype == "date" and isinstance(value, str):
        ts = parse_time(value)
        return "<invalid>" if ts is None else human_duration(aware(now) - ts)
    return None


def crd_columns(printer_columns: Iterable[Mapping[str, Any]]) -> list[Column]:
    cols = [NAME]
    for c in printer_columns:
        desc = str(
            c.get("description")
            or f"Custom resource definition column (in JSONPath format): {c.get('jsonPath', '')}"
        )
        cols.append(
            Column(
                name=str(c.get("name", "")),
                type=str(c.get("type", "string")),
                format=str(c.get("format") or ""),
                priority=to_int(c.get("priority")),
                description=desc,
            )
        )
    return cols


def crd_row_fn(printer_columns: tuple[Mapping[str, Any], ...]) -> RowFn:
    def row(obj: Obj, now: datetime) -> tuple[list[Any], None]:
        cells: list[Any] = [dig(obj, "metadata", "name") or ""]
        for c in printer_columns:
            found, value = first_value(obj, str(c.get("jsonPath", "")))
            cells.append(_typed_cell(str(c.get("type", "string")), value, now) if found else None)
        return cells, None

    return row
