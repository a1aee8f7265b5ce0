"""Tables of events: core/v1 and ``events.k8s.io/v1`` share the printer (the latter is converted first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    NAME_DOC,
    Column,
    Obj,
    Printer,
    as_dict,
    dig,
    parse_time,
    to_int,
    translate_timestamp_since,
)


def core_event_view(ev: Obj) -> Obj:
    """An events.k8s.io/v1 Event seen with core/v1 field names (what the internal printer reads)."""
    if "regarding" not in ev and "note" not in ev and "deprecatedCount" not in ev:
        return ev
    view = dict(ev)
    view["involvedObject"] = ev.get("regarding") or {}
    view["message"] = ev.get("note", "")
    view["firstTimestamp"] = ev.get("deprecatedFirstTimestamp")
    view["lastTimestamp"] = ev.get("deprecatedLastTimestamp")
    view["count"] = ev.get("deprecatedCount", 0)
    view["source"] = ev.get("deprecatedSource") or {}
    view["reportingComponent"] = ev.get("reportingController", "")
    return view


def event_row(raw: Obj, now: datetime) -> tuple[list[Any], None]:
    ev = core_event_view(raw)
    first = translate_timestamp_since(ev.get("firstTimestamp"), now)
    if parse_time(ev.get("firstTimestamp")) is None:
        first = translate_timestamp_since(ev.get("eventTime"), now)
    last = translate_timestamp_since(ev.get("lastTimestamp"), now)
    if parse_time(ev.get("lastTimestamp")) is None:
        last = first
    count = to_int(ev.get("count"))
    series = ev.get("series")
    if isinstance(series, dict):
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = to_int(series.get("count"))
    elif count == 0:
        count = 1
    io = as_dict(ev.get("involvedObject"))
    kind = str(io.get("kind") or "").lower()
    target = f"{kind}/{io['name']}" if io.get("name") else kind
    source = as_dict(ev.get("source"))
    component = str(source.get("component") or "") or str(ev.get("reportingComponent") or "")
    instance = str(source.get("host") or "") or str(ev.get("reportingInstance") or "")
    source_text = f"{component}, {instance}" if instance else component
    return [
        last,
        str(ev.get("type") or ""),
        str(ev.get("reason") or ""),
        target,
        str(io.get("fieldPath") or ""),
        source_text,
        str(ev.get("message") or "").strip(),
        first,
        count,
        dig(ev, "metadata", "name") or "",
    ], None


EVENT_COLUMNS = [
    Column("Last Seen", description="When the event was last observed."),
    Column("Type", description="Normal or Warning."),
    Column("Reason", description="Short machine-readable reason."),
    Column("Object", description="The object the event is about (kind/name)."),
    Column("Subobject", priority=1, description="Field path within the object (involvedObject.fieldPath)."),
    Column("Source", priority=1, description="The component (and host) that reported the event."),
    Column("Message", description="Human-readable description."),
    Column("First Seen", priority=1, description="When the event was first observed."),
    Column("Count", priority=1, description="How many times it occurred."),
    Column("Name", priority=1, format="name", description=NAME_DOC),
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "events"): (EVENT_COLUMNS, event_row),
    ("events.k8s.io", "events"): (EVENT_COLUMNS, event_row),
}
