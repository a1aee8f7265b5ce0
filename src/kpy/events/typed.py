"""Events as ``kubectl events -o json|yaml`` prints them: decoded into client-go's typed ``corev1.Event``.

``kubectl get`` prints what the server sent (unstructured: keys sorted). ``kubectl events`` decodes into the Go
struct and prints that, so its JSON follows the struct's field order, drops fields the type does not have and
empty ``omitempty`` ones, always writes the non-``omitempty`` ones (``source: {}``, ``firstTimestamp: null``,
``reportingComponent: ""``), names a list ``EventList`` with ``metadata: {}``, and leaves out
``metadata.managedFields`` unless ``--show-managed-fields``. This module does that decoding on dicts.
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]

# (json name, kind): "s" omitempty scalar (dropped when empty/0/false), "S" always written (None → "" for
# strings), "t" a time struct (always written, null when unset), "p" a pointer/collection (dropped when unset),
# a tuple: a nested struct always written, a ("*", tuple): a nested struct behind a pointer (dropped when unset)
_REFERENCE = (
    ("kind", "s"),
    ("namespace", "s"),
    ("name", "s"),
    ("uid", "s"),
    ("apiVersion", "s"),
    ("resourceVersion", "s"),
    ("fieldPath", "s"),
)
_OWNER = (
    ("apiVersion", "S"),
    ("kind", "S"),
    ("name", "S"),
    ("uid", "S"),
    ("controller", "p"),
    ("blockOwnerDeletion", "p"),
)
_MANAGED = (
    ("manager", "s"),
    ("operation", "s"),
    ("apiVersion", "s"),
    ("time", "p"),
    ("fieldsType", "s"),
    ("fieldsV1", "p"),
    ("subresource", "s"),
)
_META = (
    ("name", "s"),
    ("generateName", "s"),
    ("namespace", "s"),
    ("selfLink", "s"),
    ("uid", "s"),
    ("resourceVersion", "s"),
    ("generation", "s"),
    ("creationTimestamp", "t"),
    ("deletionTimestamp", "p"),
    ("deletionGracePeriodSeconds", "p"),
    ("labels", "m"),
    ("annotations", "m"),
    ("ownerReferences", ("[]", _OWNER)),
    ("finalizers", "p"),
    ("managedFields", ("[]", _MANAGED)),
)
_EVENT: tuple[tuple[str, Any], ...] = (
    ("kind", "s"),
    ("apiVersion", "s"),
    ("metadata", _META),
    ("involvedObject", _REFERENCE),
    ("reason", "s"),
    ("message", "s"),
    ("source", (("component", "s"), ("host", "s"))),
    ("firstTimestamp", "t"),
    ("lastTimestamp", "t"),
    ("count", "s"),
    ("type", "s"),
    ("eventTime", "t"),
    ("series", ("*", (("count", "s"), ("lastObservedTime", "t")))),
    ("action", "s"),
    ("related", ("*", _REFERENCE)),
    ("reportingComponent", "S"),
    ("reportingInstance", "S"),
)


def _struct(value: Any, fields: tuple[tuple[str, Any], ...]) -> Obj:
    src = value if isinstance(value, dict) else {}
    out: Obj = {}
    for name, kind in fields:
        v = src.get(name)
        if kind == "s":
            if v not in (None, "", 0, False, [], {}):
                out[name] = v
        elif kind == "S":
            out[name] = "" if v is None else v
        elif kind == "t":
            out[name] = v or None
        elif kind == "p":
            if v is not None and v != [] and v != {}:
                out[name] = v
        elif kind == "m":
            if isinstance(v, dict) and v:
                out[name] = {k: v[k] for k in sorted(v)}
        elif kind[0] == "*":
            if isinstance(v, dict):
                out[name] = _struct(v, kind[1])
        elif kind[0] == "[]":
            if isinstance(v, list) and v:
                out[name] = [_struct(item, kind[1]) for item in v]
        else:
            out[name] = _struct(v, kind)
    return out


def typed_event(event: Obj, *, show_managed_fields: bool = False) -> Obj:
    """One event as the typed ``corev1.Event`` kubectl prints (kind/apiVersion filled in like kubectl does)."""
    out = _struct(event, _EVENT)
    if not out.get("kind") and not out.get("apiVersion"):
        out = {"kind": "Event", "apiVersion": "v1", **out}
    if not show_managed_fields:
        out["metadata"].pop("managedFields", None)
    return out


def event_list(events: list[Obj], *, show_managed_fields: bool = False) -> Obj:
    """The ``EventList`` ``kubectl events`` prints (no resourceVersion: it assembles the list itself)."""
    return {
        "kind": "EventList",
        "apiVersion": "v1",
        "metadata": {},
        "items": [typed_event(e, show_managed_fields=show_managed_fields) for e in events],
    }


def go_struct_json(obj: Obj) -> str:
    """``json.MarshalIndent(obj, "", "    ")`` of a typed object: its own key order, Go's HTML escaping."""
    text = json.dumps(obj, indent=4, ensure_ascii=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        if char in text:
            text = text.replace(char, escaped)
    return text
