"""Server-side apply forgets what an applier stops applying (structured-merge-diff's ``prune``): a field the
manager applied last time, leaves out now and nobody else owns is removed from the object. Checked against
kube-apiserver 1.36: ``kubectl apply --server-side`` of a ConfigMap without the label it applied before
removes the label.
"""

from __future__ import annotations

import json
from typing import Any

from kpy.testing import managedfields

Path = tuple[str, ...]


def _under(path: Path, parent: Path) -> bool:
    return path[: len(parent)] == parent


def _matches(kind: str, want: Any, item: Any) -> bool:
    """A list item named by a ``v:`` (value) or ``k:`` (key fields; a port's protocol defaults to TCP) element."""
    if kind == "v":
        return bool(item == want)
    return isinstance(item, dict) and all(
        item.get(k, "TCP" if k == "protocol" else None) == v for k, v in want.items()
    )


def _remove(obj: Any, path: Path) -> None:
    node = obj
    for i, element in enumerate(path):
        kind, _, text = element.partition(":")
        last = i == len(path) - 1
        if kind == "f" and isinstance(node, dict):
            if last:
                node.pop(text, None)
                return
            node = node.get(text)
        elif kind in ("k", "v") and isinstance(node, list):
            want = json.loads(text)
            found = next((j for j, item in enumerate(node) if _matches(kind, want, item)), None)
            if found is None:
                return
            if last:
                del node[found]
                return
            node = node[found]
        else:
            return


def prune(current: dict[str, Any], patched: dict[str, Any], applied: dict[str, Any], manager: str) -> None:
    """Remove from ``patched`` what ``manager`` applied before, does not apply now and nobody else owns."""
    before: set[Path] = set()
    others: set[Path] = set()
    for entry in (current.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        paths = managedfields.decode(entry.get("fieldsV1"))
        mine = (entry.get("manager"), entry.get("operation"), entry.get("subresource", ""))
        if mine == (manager, "Apply", ""):
            before |= paths
        else:
            others |= paths
    kept = managedfields.field_set(applied) | others
    gone = before - kept
    for path in sorted(gone, key=len):
        if path[:1] == ("f:metadata",) and len(path) < 3:
            continue  # metadata itself, labels and annotations maps stay
        if any(_under(p, path) for p in kept):
            continue  # someone still owns something below it
        _remove(patched, path)
