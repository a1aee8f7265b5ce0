"""Server-side field management: ``metadata.managedFields`` as kube-apiserver writes it, faithful enough for clients.

Every write made through the emulator's HTTP API records who set which fields, like the apiserver's field
manager (sigs.k8s.io/structured-merge-diff):

- the manager is the ``fieldManager`` parameter, else the User-Agent up to its first ``/`` (``kubectl``);
- create/update/patch are operation ``Update``: the manager gains the fields it added or changed compared with the
  live object (for a create, with the kind's zero value), and other managers lose those; removed fields leave
  every set; server-side apply is operation ``Apply`` and owns exactly the fields of the applied configuration;
- the status subresource records only ``status`` fields with ``subresource: status``, the main resource never
  does for kinds with a status subresource; ``scale`` records ``spec.replicas`` with ``subresource: scale``;
- entries are sorted like the apiserver's (operation, time, manager) and carry ``time`` (seconds; set only
  when the write changed the object, and never for ``scale``, as kube-apiserver 1.36 does),
  ``fieldsType: FieldsV1`` and the set as FieldsV1 (``f:name``, ``k:{"name":"c"}`` for keyed list items,
  ``v:"x"`` for set items, ``.`` for a node that is itself a member).

Simplifications, on purpose: list keys and atomic fields are known for the common built-in lists
(containers, ports, env, volumes, ...) and every other list is atomic; Apply takes ownership without reporting
conflicts; ``managedFields`` sent in a request body are ignored (the live ones are kept).

The request context (manager, operation, applied object) travels in a ContextVar the HTTP layer sets, so the
store-level API needs no extra parameters; writes made in-process without it (seeding) record nothing.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Path = tuple[str, ...]


@dataclass(frozen=True)
class WriteContext:
    manager: str
    operation: str = "Update"  # or "Apply"
    applied: Obj | None = None  # the applied configuration, for Apply
    force: bool = False  # Apply with force=true (kubectl apply --server-side --force-conflicts)
    #: fields an Apply may take without force (client-side → server-side apply: :mod:`.lastapplied`)
    allowed: frozenset[Path] = frozenset()
    #: a field the server itself set (the rewritten last-applied annotation): nobody takes it over
    untracked: Path | None = None


CURRENT: contextvars.ContextVar[WriteContext | None] = contextvars.ContextVar(
    "kpy_managed_fields", default=None
)

_MISSING: Any = object()

_STRIPPED = {
    ("f:apiVersion",),
    ("f:kind",),
    ("f:metadata", "f:name"),
    ("f:metadata", "f:namespace"),
    ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:selfLink"),
    ("f:metadata", "f:uid"),
    ("f:metadata", "f:generation"),
    ("f:metadata", "f:managedFields"),
    ("f:metadata", "f:resourceVersion"),
    ("f:metadata", "f:deletionTimestamp"),
    ("f:metadata", "f:deletionGracePeriodSeconds"),
    ("f:metadata",),
}

#: list field name → its key fields (associative lists); "" = a set of scalars; absent = atomic.
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",),
    "ownerReferences": ("uid",),
    "conditions": ("type",),
    "finalizers": ("",),
    "hostAliases": ("ip",),
    "readinessGates": ("conditionType",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
#: LabelSelectors (selector, podSelector), Service selector, PodSpec.nodeSelector: atomic in the schema
_ATOMIC_FIELDS = {"selector", "podSelector", "nodeSelector"}
#: lists whose items are atomic structs: an item is owned by its key alone (OwnerReference: structType=atomic)
_ATOMIC_ITEMS = {"ownerReferences"}


def manager_from(field_manager: str, user_agent: str) -> str:
    """The apiserver's choice: ``fieldManager``, else the User-Agent's product token (at most 128 chars)."""
    return field_manager or user_agent.split("/", 1)[0][:128]


def _zero_object(kind: str) -> Obj:
    """The parts a Go zero value of the kind has (non-pointer structs), against which a create is compared."""
    template = {"metadata": {}, "spec": {"containers": None}}
    specs: dict[str, Obj] = {
        "Deployment": {"selector": None, "template": template, "strategy": {}},
        "ReplicaSet": {"selector": None, "template": template},
        "StatefulSet": {"selector": None, "template": template, "updateStrategy": {}},
        "DaemonSet": {"selector": None, "template": template, "updateStrategy": {}},
        "Job": {"template": template},
        "CronJob": {"jobTemplate": {"metadata": {}, "spec": {"template": template}}},
        "NetworkPolicy": {"podSelector": {}},
        "PersistentVolumeClaim": {"resources": {}},
        "Pod": {"containers": None},
    }
    obj: Obj = {"metadata": {}}
    if kind in specs:
        obj["spec"] = json.loads(json.dumps(specs[kind]))
    elif kind in (
        "Service",
        "Namespace",
        "Node",
        "Lease",
        "CustomResourceDefinition",
        "SelfSubjectAccessReview",
        "Ingress",
        "IngressClass",
        "PodDisruptionBudget",
        "PersistentVolume",
    ):
        obj["spec"] = {}
    if kind in (
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Ingress",
        "PodDisruptionBudget",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Pod",
        "Service",
        "Namespace",
        "Node",
        "CustomResourceDefinition",
    ):
        obj["status"] = {}
    return obj


def _keys_for(field: str, items: list[Any]) -> tuple[str, ...] | None:
    if field == "ports":  # container ports are keyed by containerPort, service ports by port
        first = items[0] if items and isinstance(items[0], dict) else {}
        return ("containerPort", "protocol") if "containerPort" in first else ("port", "protocol")
    return _LIST_KEYS.get(field)


def _element(keys: tuple[str, ...], item: Any) -> str:
    if keys == ("",) or not isinstance(item, dict):
        return "v:" + json.dumps(item, separators=(",", ":"))
    values = {k: item.get(k, "TCP" if k == "protocol" else None) for k in keys}
    return "k:" + json.dumps(
        {k: v for k, v in values.items() if v is not None}, separators=(",", ":"), sort_keys=True
    )


def _walk(
    base: Any, new: Any, path: Path, field: str, out: set[Path], removed: set[Path], apply: bool
) -> None:
    """Paths of ``new`` added or changed against ``base`` (for apply: the applied object's own field set)."""
    if isinstance(new, dict) and (new or (isinstance(base, dict) and base)) and field not in _ATOMIC_FIELDS:
        if path and base is _MISSING and not apply:
            out.add(path)  # a struct or map the write added is a member itself (".")
        base_map = base if isinstance(base, dict) else {}
        for key, value in new.items():
            _walk(base_map.get(key, _MISSING), value, (*path, f"f:{key}"), key, out, removed, apply)
        removed.update((*path, f"f:{key}") for key in base_map.keys() - new.keys())
        return
    both = new if new else base if isinstance(base, list) else []
    keys = _keys_for(field, both) if isinstance(new, list) and both else None
    if isinstance(new, list) and keys is not None:
        if path and base is _MISSING and not apply:
            out.add(path)
        base_items = {_element(keys, item): item for item in base} if isinstance(base, list) else {}
        elements = []
        for item in new:
            element = _element(keys, item)
            elements.append(element)
            previous = base_items.get(element, _MISSING)
            if previous is _MISSING or apply:
                out.add((*path, element))  # a list item is always a member of its own
            if keys != ("",) and field not in _ATOMIC_ITEMS:
                _walk(previous, item, (*path, element), "", out, removed, apply)
        removed.update((*path, e) for e in base_items.keys() - set(elements))
        return
    if apply or base is _MISSING or base != new:
        out.add(path)


def _scoped(paths: set[Path], subresource: str, has_status: bool) -> set[Path]:
    """What a write may own: no identity fields; status only through the status subresource."""
    out = set()
    for path in paths:
        if path in _STRIPPED or not path:
            continue
        in_status = path[0] == "f:status"
        if subresource == "status" and not in_status:
            continue
        if subresource != "status" and has_status and in_status:
            continue
        out.add(path)
    return out


_ALLOCATED = {
    "Service": {
        ("f:spec", "f:clusterIP"),
        ("f:spec", "f:clusterIPs"),
        ("f:spec", "f:ipFamilies"),
        ("f:spec", "f:ipFamilyPolicy"),
    },
    "Namespace": {("f:spec", "f:finalizers")},
}


def _allocated(kind: str, path: Path) -> bool:
    if kind == "Service" and path[:2] == ("f:spec", "f:ports") and path[-1:] == ("f:nodePort",):
        return True
    return any(path[: len(p)] == p for p in _ALLOCATED.get(kind, ()))


def _under(path: Path, prefixes: set[Path]) -> bool:
    return any(path[: len(p)] == p for p in prefixes)


# ------------------------------------------------------------------------------------------ FieldsV1 codec
def encode(paths: set[Path]) -> Obj:
    """A set of paths as FieldsV1: children sorted like structured-merge-diff, "." for member parents."""
    tree: Obj = {}
    members: set[Path] = set(paths)
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})

    def order(element: str) -> tuple[int, str]:
        return ("fkvi".index(element[0]) if element[:1] in "fkvi" else 4, element)

    def build(node: Obj, path: Path) -> Obj:
        out: Obj = {}
        if node and path in members:
            out["."] = {}
        for element in sorted(node, key=order):
            out[element] = build(node[element], (*path, element))
        return out

    return build(tree, ())


def decode(fields: Any) -> set[Path]:
    out: set[Path] = set()

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            return
        if path and (not node or "." in node):
            out.add(path)
        for element, child in node.items():
            if element != ".":
                walk(child, (*path, element))

    walk(fields, ())
    return out


# ------------------------------------------------------------------------------------------ the entries
def _sort_key(entry: Obj) -> tuple[str, str, str, str, str]:
    return (
        str(entry.get("operation", "")),
        str(entry.get("time", "")),
        str(entry.get("manager", "")),
        str(entry.get("apiVersion", "")),
        str(entry.get("subresource", "")),
    )


def record(
    kind: str, api_version: str, live: Obj | None, new: Obj, *, subresource: str, has_status: bool, now: str
) -> None:
    """Set ``new.metadata.managedFields`` for a write of ``new`` over ``live`` (None: a create).

    Without a WriteContext (an in-process write) the live entries are kept unchanged.
    """
    meta = new.setdefault("metadata", {})
    entries = [dict(e) for e in ((live or {}).get("metadata") or {}).get("managedFields") or []]
    ctx = CURRENT.get()
    given = meta.get("managedFields")
    if ctx is not None and not subresource and isinstance(given, list) and given:
        # a write that sets managedFields replaces them (kubectl's client-side → server-side apply upgrade)
        entries = [dict(e) for e in given if isinstance(e, dict)]
    if ctx is None:
        if entries:
            meta["managedFields"] = entries
        else:
            meta.pop("managedFields", None)
        return
    base = live if live is not None else _zero_object(kind)
    changed: set[Path] = set()
    removed: set[Path] = set()
    _walk(_without_managed(base), _without_managed(new), (), "", changed, removed, False)
    changed = _scoped(changed, subresource, has_status)
    if ctx.untracked is not None:
        changed.discard(ctx.untracked)
    if live is None:  # set by the registry after the field manager ran, so owned by nobody
        changed = {p for p in changed if not _allocated(kind, p)}
    if ctx.operation == "Apply" and ctx.applied is not None:
        owned: set[Path] = set()
        _walk(_MISSING, _without_managed(ctx.applied), (), "", owned, set(), True)
        mine = _scoped(owned, subresource, has_status)
        taken = changed  # an applied field whose value is unchanged is shared, not taken
        if not ctx.force:
            _check_conflicts(
                entries, (ctx.manager, ctx.operation, subresource), (changed & mine) - ctx.allowed
            )
    else:
        mine, taken = set(), changed
    object_changed = live is None or _without_managed(live) != _without_managed(new)
    key = (ctx.manager, ctx.operation, subresource)
    result: list[Obj] = []
    found = False
    for entry in entries:
        paths = decode(entry.get("fieldsV1")) if entry.get("fieldsType", "FieldsV1") == "FieldsV1" else set()
        paths = {p for p in paths if not _under(p, removed)}
        if (entry.get("manager"), entry.get("operation"), entry.get("subresource", "")) == key:
            found = True
            paths = mine if ctx.operation == "Apply" else paths | changed
            if object_changed and subresource != "scale":
                entry["time"] = now
            entry["apiVersion"] = api_version
        else:
            paths -= taken
        if paths:
            entry["fieldsType"] = "FieldsV1"
            entry["fieldsV1"] = encode(paths)
            result.append(entry)
    if not found:
        paths = mine if ctx.operation == "Apply" else changed
        if paths:
            entry = {
                "manager": ctx.manager,
                "operation": ctx.operation,
                "apiVersion": api_version,
                "time": now,
                "fieldsType": "FieldsV1",
                "fieldsV1": encode(paths),
            }
            if subresource == "scale" or not object_changed:  # as kube-apiserver: no time then
                del entry["time"]
            if subresource:
                entry["subresource"] = subresource
            result.append(entry)
    result.sort(key=_sort_key)
    if result:
        meta["managedFields"] = result
    else:
        meta.pop("managedFields", None)


def field_set(obj: Obj) -> set[Path]:
    """Every field path of ``obj`` as an Apply of it would own them."""
    out: set[Path] = set()
    _walk(_MISSING, _without_managed(obj), (), "", out, set(), True)
    return out


def path_string(path: Path) -> str:
    """structured-merge-diff's ``Path.String()``: ``.spec.containers[name="c"].image``."""
    out = []
    for element in path:
        kind, value = element[:2], element[2:]
        if kind == "f:":
            out.append("." + value)
        elif kind == "k:":
            keys = json.loads(value)
            out.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]")
        elif kind == "v:":
            out.append(f"[={value}]")
        else:
            out.append(f"[{value}]")
    return "".join(out)


def _manager_text(entry: Obj) -> str:
    text = json.dumps(str(entry.get("manager", "")))
    if entry.get("subresource"):
        text += f" with subresource {json.dumps(entry['subresource'])}"
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion', '')}"
    return text


def _check_conflicts(entries: list[Obj], me: tuple[str, str, str], changing: set[Path]) -> None:
    """An Apply that changes fields other managers own fails with 409 (as kube-apiserver words it)."""
    conflicts: list[tuple[str, str]] = []  # (manager text, path)
    for entry in entries:
        if (entry.get("manager"), entry.get("operation"), entry.get("subresource", "")) == me:
            continue
        owned = decode(entry.get("fieldsV1"))
        for path in sorted(changing & owned, key=path_string):
            conflicts.append((_manager_text(entry), path_string(path)))
    if not conflicts:
        return
    from kpy.testing import status

    if len(conflicts) == 1:
        message = f"Apply failed with 1 conflict: conflict with {conflicts[0][0]}: {conflicts[0][1]}"
    else:
        lines = []
        for manager in sorted({m for m, _ in conflicts}):
            lines.append(f"conflicts with {manager}:")
            lines.extend(f"- {p}" for m, p in conflicts if m == manager)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {m}", "field": p} for m, p in conflicts
    ]
    raise status.StatusError(409, status.status_body(409, "Conflict", message, {"causes": causes}))


def _without_managed(obj: Any) -> Any:
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        return obj
    meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return {**obj, "metadata": meta}
