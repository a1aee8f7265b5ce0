"""core/v1 Event <-> events.k8s.io/v1 Event: one stored object, two API shapes.

Upstream stores both as the core type and converts (pkg/apis/events/v1 conversion): ``regarding`` is
``involvedObject``, ``note`` is ``message``, ``reportingController`` is ``reportingComponent``,
``deprecatedSource/FirstTimestamp/LastTimestamp/Count`` are ``source/firstTimestamp/lastTimestamp/count``;
``eventTime``, ``series``, ``related``, ``action``, ``reason``, ``type``, ``reportingInstance`` keep their names.
Fields are written the way Go's encoder writes them (time fields and structs always present, strings with
``omitempty`` left out when empty).
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

#: events.k8s.io/v1 name -> core/v1 name
_RENAMES = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
_SAME = ("eventTime", "series", "related", "action", "reason", "type", "reportingInstance")


def normalize_core(obj: Obj) -> Obj:
    """Fill the fields a core/v1 Event always serializes (as the apiserver's Go types would)."""
    obj.setdefault("involvedObject", {})
    obj.setdefault("source", {})
    for key in ("firstTimestamp", "lastTimestamp", "eventTime"):
        obj.setdefault(key, None)
    obj.setdefault("reportingComponent", "")
    obj.setdefault("reportingInstance", "")
    return obj


def to_events_v1(core: Obj) -> Obj:
    """The events.k8s.io/v1 view of a stored (core/v1) event."""
    out: Obj = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": copy.deepcopy(core.get("metadata", {})),
    }
    out["eventTime"] = copy.deepcopy(core.get("eventTime"))
    for key in _SAME:
        if key == "eventTime":
            continue
        value = core.get(key)
        if value not in (None, "", {}, []):
            out[key] = copy.deepcopy(value)
    for new, old in _RENAMES.items():
        value = core.get(old)
        if new in ("regarding", "deprecatedSource"):
            out[new] = copy.deepcopy(value) if isinstance(value, dict) else {}
        elif new in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp") or value not in (None, "", 0):
            out[new] = copy.deepcopy(value)
    return out


def from_events_v1(ev: Obj) -> Obj:
    """The stored core/v1 event for an events.k8s.io/v1 body."""
    core: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": copy.deepcopy(ev.get("metadata", {}))}
    for key in _SAME:
        if key in ev:
            core[key] = copy.deepcopy(ev[key])
    for new, old in _RENAMES.items():
        if new in ev:
            core[old] = copy.deepcopy(ev[new])
    return normalize_core(core)


def core_view(core: Obj) -> Obj:
    """The core/v1 view (what is stored), normalized."""
    out = copy.deepcopy(core)
    out["apiVersion"], out["kind"] = "v1", "Event"
    return normalize_core(out)
