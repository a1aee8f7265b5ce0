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


def _invalid(field: str, detail: str, value: str = "") -> dict[str, str]:
    return {"field": field, "reason": "FieldValueInvalid", "message": f'Invalid value: "{value}": {detail}'}


def _required(field: str) -> dict[str, str]:
    return {"field": field, "reason": "FieldValueRequired", "message": "Required value"}


def create_v1_errors(core: Obj) -> list[dict[str, str]]:
    """What the apiserver's ``ValidateEventCreate`` refuses in an events.k8s.io/v1 create, given the stored
    (core) form: the legacy checks every event passes, then the strict ones of the new API (deprecated* fields
    must be unset, eventTime required, type Normal or Warning, series.count at least 2). The field names are
    the core type's (``source``, not ``deprecatedSource``), as the real server reports them."""
    errors: list[dict[str, str]] = []
    meta = core.get("metadata") or {}
    namespace = str(meta.get("namespace") or "")
    involved_ns = str((core.get("involvedObject") or {}).get("namespace") or "")
    event_time = core.get("eventTime")
    if not event_time:
        mismatch = namespace != involved_ns if involved_ns else namespace not in ("", "default")
        if mismatch:
            errors.append(_invalid("involvedObject.namespace", "does not match event.namespace", involved_ns))
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            errors.append(_invalid("involvedObject.namespace", "does not match event.namespace", involved_ns))
        for key, field, limit in (
            ("reportingComponent", "reportingController", 0),
            ("reportingInstance", "reportingInstance", 128),
            ("action", "action", 128),
            ("reason", "reason", 128),
        ):
            value = str(core.get(key) or "")
            if not value:
                errors.append(_required(field))
            elif limit and len(value) > limit:
                errors.append(_invalid(field, f"can have at most {limit} characters"))
        if len(str(core.get("message") or "")) > 1024:
            errors.append(_invalid("message", "can have at most 1024 characters"))
    series = core.get("series")
    if isinstance(series, dict):
        if int(series.get("count") or 0) < 2:
            errors.append(_invalid("series.count", "should be at least 2"))
        if not series.get("lastObservedTime"):
            errors.append(_required("series.lastObservedTime"))
    if not event_time:
        errors.append(_required("eventTime"))
    if core.get("type") not in ("Normal", "Warning"):
        errors.append(_invalid("type", f"has invalid value: {core.get('type') or ''}"))
    for key in ("firstTimestamp", "lastTimestamp", "count"):
        if core.get(key):
            errors.append(_invalid(key, "needs to be unset"))
    source = core.get("source") or {}
    if source.get("component") or source.get("host"):
        errors.append(_invalid("source", "needs to be unset"))
    return errors


def core_view(core: Obj) -> Obj:
    """The core/v1 view (what is stored), normalized."""
    out = copy.deepcopy(core)
    out["apiVersion"], out["kind"] = "v1", "Event"
    return normalize_core(out)
