"""Moving an object from client-side to server-side apply, as kube-apiserver's field manager does for the
manager ``kubectl`` (``lastappliedmanager.go``, ``lastappliedupdater.go``).

- An apply by ``kubectl`` that conflicts only on fields the live object's
  ``kubectl.kubernetes.io/last-applied-configuration`` lists with the live value is forced: ``kubectl apply``
  then ``kubectl apply --server-side`` takes the fields over instead of failing with a conflict.
- After an apply by ``kubectl``, when the live object had the annotation, the server rewrites it to the
  applied configuration (JSON, sorted keys, a newline); its owner does not change. kubectl 1.32 itself then
  applies the annotation as manager ``kubectl-last-applied`` and moves the client-side apply manager's fields
  to ``kubectl`` with a JSON patch of ``metadata.managedFields`` (``csaupgrade``).

Checked against kube-apiserver 1.36: ``kubectl apply -f cm.yaml`` then ``kubectl apply --server-side -f
cm2.yaml`` answers ``serverside-applied``; the ``kubectl-client-side-apply`` entry is gone afterwards.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kpy.testing import managedfields

ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
MANAGER = "kubectl-last-applied"
#: the annotation's path in managedFields
PATH = ("f:metadata", "f:annotations", f"f:{ANNOTATION}")
_MISSING: Any = object()
_DEFAULTS = {"protocol": "TCP"}  # a port's key as managedFields writes it


def _annotation(obj: Any) -> str | None:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) and value else None


def _value_at(obj: Any, path: tuple[str, ...]) -> Any:
    node = obj
    for element in path:
        kind, _, text = element.partition(":")
        if kind == "f" and isinstance(node, dict) and text in node:
            node = node[text]
        elif kind == "k" and isinstance(node, list):
            keys = json.loads(text)
            node = next(
                (
                    i
                    for i in node
                    if isinstance(i, dict) and all(i.get(k, _DEFAULTS.get(k)) == v for k, v in keys.items())
                ),
                _MISSING,
            )
        elif kind == "v" and isinstance(node, list):
            value = json.loads(text)
            node = value if value in node else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def allowed_conflicts(live: Any) -> frozenset[tuple[str, ...]]:
    """The fields an apply by ``kubectl`` may take from other managers without force: those of the live
    object's last-applied configuration that still have the value it recorded."""
    text = _annotation(live)
    if text is None:
        return frozenset()
    try:
        last = json.loads(text)
    except ValueError:
        return frozenset()
    if not isinstance(last, dict):
        return frozenset()
    allowed = set()
    for path in managedfields.field_set(last):
        mine, theirs = _value_at(last, path), _value_at(live, path)
        if theirs is _MISSING:
            continue
        if isinstance(mine, dict | list) or mine == theirs:
            allowed.add(path)
    return frozenset(allowed)


def rewrite(live: Any, patched: dict[str, Any], applied: Any) -> bool:
    """Set the annotation of ``patched`` to the applied configuration when ``live`` had one; True if set."""
    if _annotation(live) is None or not isinstance(applied, dict):
        return False
    config = copy.deepcopy(applied)
    meta = config.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        meta["annotations"].pop(ANNOTATION, None)
        if not meta["annotations"]:
            del meta["annotations"]
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    patched.setdefault("metadata", {}).setdefault("annotations", {})[ANNOTATION] = text + "\n"
    return True
