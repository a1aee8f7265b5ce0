"""What every group's printers share: metav1 time cells, nested-field helpers, label/selector strings and
:class:`Column` (a ``TableColumnDefinition``).

Pure functions: no I/O, no clock of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kpy.gocompat.metav1 import ZERO_TIME, format_time, parse_optional_time
from kpy.printers.duration import human_duration as _human_seconds

Obj = dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Time


def human_duration(d: timedelta) -> str:
    """Go's ``duration.HumanDuration`` of a timedelta."""
    return _human_seconds(d.total_seconds())


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (``metav1.Time`` or ``MicroTime``) as an aware datetime; None when unset/bad."""
    return parse_optional_time(value)


def translate_timestamp_since(value: Any, now: datetime) -> str:
    """``translateTimestampSince``: "<unknown>" for an unset time, else the human age."""
    ts = parse_time(value)
    if ts is None:
        return "<unknown>"
    return human_duration(aware(now) - ts)


def aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def format_rfc3339(value: Any) -> str:
    """``Time.UTC().Format(time.RFC3339)``; the zero time for an unset one (as Go prints it)."""
    ts = parse_time(value)
    return ZERO_TIME if ts is None else format_time(ts)


# ---------------------------------------------------------------------------------------------------------
# Small helpers shared by the printers


def dig(obj: Any, *path: str | int) -> Any:
    cur = obj
    for p in path:
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                return None
            cur = cur[p]
        else:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
    return cur


def to_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: sorted "k=v" pairs joined by commas, "<none>" when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Any) -> str:
    """``LabelSelectorAsSelector(sel).String()``: requirements sorted by key ("" for none/empty)."""
    sel = as_dict(selector)
    reqs: list[tuple[str, str]] = []
    for k, v in as_dict(sel.get("matchLabels")).items():
        reqs.append((k, f"{k}={v}"))
    for expr in as_list(sel.get("matchExpressions")):
        if not isinstance(expr, dict):
            continue
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        values = ",".join(sorted(str(v) for v in as_list(expr.get("values"))))
        if op == "In":
            reqs.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: like :func:`selector_string` but "<none>" when empty."""
    return selector_string(selector) or "<none>"


def layout_container_cells(containers: Any) -> tuple[str, str]:
    names = [str(dig(c, "name") or "") for c in as_list(containers)]
    images = [str(dig(c, "image") or "") for c in as_list(containers)]
    return ",".join(names), ",".join(images)


# ---------------------------------------------------------------------------------------------------------
# Column definitions


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    priority: int = 0
    format: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME_DOC = "Name must be unique within a namespace; see the object's metadata.name."
AGE_DOC = "Time since the object's metadata.creationTimestamp (set by the server, RFC 3339, UTC)."
NAME = Column("Name", format="name", description=NAME_DOC)
AGE = Column("Age", description=AGE_DOC)
CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")

RowFn = Callable[[Obj, datetime], tuple[list[Any], list[dict[str, Any]] | None]]

#: a printer: the columns and the function giving one object's cells (and row conditions) at ``now``
Printer = tuple[list[Column], RowFn]
