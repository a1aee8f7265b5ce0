"""PATCH bodies the apiserver accepts: JSON merge patch, JSON patch, strategic merge patch.

Strategic merge follows apimachinery's strategicpatch for the builtin types' patch metadata that matters to
kpy and kubectl: maps merge, lists replace, except lists with a merge key (containers by ``name``, container
ports by ``containerPort``, service ports by ``port``, env by ``name`` ...) which merge element-wise; and the
directives kubectl sends (``$patch: replace|delete|merge``, ``$retainKeys``, ``$setElementOrder/<list>``,
``$deleteFromPrimitiveList/<list>``). Pure functions; errors raise :class:`PatchError`.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """A patch that cannot be applied (the apiserver answers 422/400 with this message)."""


# ----------------------------------------------------------------------------------------- merge patch


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ------------------------------------------------------------------------------------------ json patch


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for part in parts:
        if isinstance(cur, dict):
            if part not in cur:
                raise PatchError(f"jsonpatch: path {path!r} not found")
            cur = cur[part]
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                raise PatchError(f"jsonpatch: path {path!r} not found") from None
        else:
            raise PatchError(f"jsonpatch: path {path!r} not found")
    return cur


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"replace operation does not apply: doc is missing key: {path}")
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(copy.deepcopy(value))
        else:
            try:
                idx = int(last)
            except ValueError:
                raise PatchError(f"jsonpatch: bad index {last!r} in {path!r}") from None
            if replace:
                if not 0 <= idx < len(parent):
                    raise PatchError(f"replace operation does not apply: doc is missing key: {path}")
                parent[idx] = copy.deepcopy(value)
            else:
                if not 0 <= idx <= len(parent):
                    raise PatchError(f"add operation does not apply: doc is missing path: {path}")
                parent.insert(idx, copy.deepcopy(value))
    else:
        raise PatchError(f"add operation does not apply: doc is missing path: {path}")
    return doc


def _remove(doc: Any, path: str) -> tuple[Any, Any]:
    parts = _pointer(path)
    if not parts:
        raise PatchError("jsonpatch: cannot remove the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"remove operation does not apply: doc is missing path: {path}")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        try:
            return doc, parent.pop(int(last))
        except (ValueError, IndexError):
            raise PatchError(f"remove operation does not apply: doc is missing path: {path}") from None
    raise PatchError(f"remove operation does not apply: doc is missing path: {path}")


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 operations: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("Unexpected kind: missing op")
        kind, path = op["op"], str(op.get("path", ""))
        if kind == "add":
            doc = _add(doc, path, op.get("value"))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, op.get("value"), replace=True)
        elif kind == "move":
            doc, value = _remove(doc, str(op.get("from", "")))
            doc = _add(doc, path, value)
        elif kind == "copy":
            value = _walk(doc, _pointer(str(op.get("from", ""))), str(op.get("from", "")))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _walk(doc, _pointer(path), path) != op.get("value"):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


# ------------------------------------------------------------------------------------ strategic merge

#: list field name -> merge key (patchMergeKey with patchStrategy "merge" in the builtin Go types).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "ownerReferences": "uid",
    "addresses": "type",
    "taints": "key",
    "resourceClaims": "name",
}
#: lists of scalars merged as sets (patchStrategy "merge" without a key).
PRIMITIVE_MERGE = {"finalizers"}


def _merge_key(name: str, parent_path: tuple[str, ...]) -> str | None:
    if name == "ports":
        # container ports merge on containerPort; service ports on port
        return (
            "containerPort" if parent_path and parent_path[-1] in ("containers", "initContainers") else "port"
        )
    if name == "addresses" and parent_path[-1:] == ("status",):
        return "type"
    if name == "conditions" and parent_path[-1:] != ("status",):
        return None
    return MERGE_KEYS.get(name)


def strategic_merge_patch(original: Any, patch: Any) -> Any:
    """Apply a strategic merge patch for the builtin types (see module docstring)."""
    return _smp(copy.deepcopy(original), patch, ())


def _smp(original: Any, patch: Any, path: tuple[str, ...]) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(original, dict):
        original = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    retain = patch.get("$retainKeys")
    result = original
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field_name = key.split("/", 1)[1]
            if isinstance(result.get(field_name), list) and isinstance(value, list):
                result[field_name] = [v for v in result[field_name] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
            continue
        if isinstance(value, dict):
            merged = _smp(result.get(key), value, (*path, key))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key, path)
        else:
            result[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        for key in list(result):
            if key not in retain:
                del result[key]
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") and isinstance(value, list):
            _reorder(result, key.split("/", 1)[1], value, path)
    return result


def _merge_list(original: Any, patch: list[Any], name: str, path: tuple[str, ...]) -> list[Any]:
    if not isinstance(original, list):
        original = []
    replace = any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch)
    if replace:
        return [copy.deepcopy(p) for p in patch if not (isinstance(p, dict) and p.get("$patch") == "replace")]
    if name in PRIMITIVE_MERGE:
        out = list(original)
        for v in patch:
            if v not in out:
                out.append(copy.deepcopy(v))
        return out
    key = _merge_key(name, path)
    if key is None or not all(isinstance(p, dict) for p in patch):
        return [copy.deepcopy(p) for p in patch]
    out = [copy.deepcopy(o) for o in original]
    for item in patch:
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        idx = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(_smp({}, item, (*path, name)))
        else:
            out[idx] = _smp(out[idx], item, (*path, name))
    return out


def _reorder(result: dict[str, Any], name: str, order: list[Any], path: tuple[str, ...]) -> None:
    items = result.get(name)
    if not isinstance(items, list):
        return
    key = _merge_key(name, path)

    def ident(v: Any) -> Any:
        if key is not None and isinstance(v, dict):
            return v.get(key)
        return v

    wanted = [ident(o) for o in order]
    rank = {json_key(w): i for i, w in enumerate(wanted)}
    indexed = list(enumerate(items))
    indexed.sort(key=lambda iv: rank.get(json_key(ident(iv[1])), len(rank) + iv[0]))
    result[name] = [v for _, v in indexed]


def json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)
