"""A server's ``Table`` decoded without its rows' objects, for tables that print only cells.

kubectl asks for Tables without ``includeObject``, so the server sends each row's ``PartialObjectMetadata``
along (name, uid, labels, managed fields...): ~500 bytes per configmap row beside ~25 bytes of cells, and most
of the decoding time. ``cells_only`` decodes the Table's head and each row's cells with the JSON decoder and
steps over the objects without building them.

Stepping over is exact, not a guess: outside strings a ``"`` is never escaped, so the text ``,{"cells":[`` can
only be a JSON object whose first key is ``cells`` (inside a string its quotes would be ``\\"``); a
``PartialObjectMetadata`` (checked at the start of every object) holds only ``ObjectMeta``, whose schema has no
key ``cells`` and no list of objects keyed so (the server drops unknown fields and refuses managed fields that
are not field sets). So the next ``,{"cells":[`` after a row's object starts the next row. Anything else (full
objects, another layout) returns None and the caller decodes the whole answer as before.
"""

from __future__ import annotations

from collections.abc import Callable

from kpy.gocompat import gojson

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

_ROWS = ',"rows":['
_ROW = '{"cells":['
_NEXT_ROW = ',{"cells":['
_CONDITIONS = ',"conditions":'
#: what follows a row's cells when the row carries its metadata (Go writes kind and apiVersion first)
_OBJECT_PREFIXES = (
    ',"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{',
    ',"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1beta1","metadata":{',
)
_WHITESPACE = " \t\r\n"
_METADATA = '"metadata":{'
_NAME = '"name":'
_GENERATE_NAME = ',"generateName":'
_NAMESPACE = ',"namespace":'


def _namespace(text: str, at: int, scan: Callable[[str, int], tuple[Any, int]]) -> str | None:
    """The namespace of the metadata whose keys start at ``at``: ``""`` when it has none (cluster-scoped),
    None when its first keys are not Go's (name, generateName, namespace, ...)."""
    if not text.startswith(_NAME, at):
        return None
    try:
        _, at = scan(text, at + len(_NAME))
        if text.startswith(_GENERATE_NAME, at):
            _, at = scan(text, at + len(_GENERATE_NAME))
        if not text.startswith(_NAMESPACE, at):
            return "" if text.startswith((',"selfLink":', ',"uid":'), at) else None
        namespace, _ = scan(text, at + len(_NAMESPACE))
    except (StopIteration, ValueError, RecursionError):
        return None
    return namespace if isinstance(namespace, str) else None


def cells_only(body: bytes, *, namespaces: bool = False) -> dict[str, Any] | None:
    """The Table in ``body`` with rows of ``{"cells": [...]}`` only; None when it is not laid out as a Table
    with metadata-only rows (then decode it whole). ``namespaces``: each row with an object keeps its
    ``{"metadata": {"namespace": ...}}`` too (the NAMESPACE column of ``-A``), read from the metadata's first
    keys in Go's order (name, generateName, namespace); any other order declines."""
    text = body.decode("utf-8", "replace")  # as gojson.loads: invalid UTF-8 becomes U+FFFD
    at = text.find(_ROWS)
    if at < 0:
        return None
    try:  # the head must be a whole object by itself: then "rows" is the Table's own key
        head = gojson.loads(text[:at] + "}")
    except gojson.GoJSONError:
        return None
    if not isinstance(head, dict) or head.get("kind") != "Table":
        return None
    scan = gojson.plain_scanner()
    rows: list[dict[str, Any]] = []
    append = rows.append
    find = text.find
    starts = text.startswith
    pos = at + len(_ROWS)
    if starts("]", pos):
        end = pos + 1
    elif not starts(_ROW, pos):
        return None
    else:
        pos += len(_ROW) - 1  # at the cells' "["
        try:
            while True:
                cells, pos = scan(text, pos)  # a list: it starts with "["
                row: dict[str, Any] = {"cells": cells}
                append(row)
                if starts(_CONDITIONS, pos):  # a finished pod's Completed condition, say: small, kept
                    row["conditions"], pos = scan(text, pos + len(_CONDITIONS))
                if starts(_OBJECT_PREFIXES, pos):
                    if namespaces:
                        namespace = _namespace(text, find(_METADATA, pos) + len(_METADATA), scan)
                        if namespace is None:
                            return None
                        row["object"] = {"metadata": {"namespace": namespace}}
                    nxt = find(_NEXT_ROW, pos)
                    if nxt < 0:  # the last row: the object, the row and the list close before the Table
                        close = text.rfind("}}]", pos)
                        if close < 0:
                            return None
                        end = close + 3
                        break
                    if text[nxt - 2 : nxt] != "}}":
                        return None
                    pos = nxt + len(_NEXT_ROW) - 1
                elif starts(_NEXT_ROW, pos + 1) and starts("}", pos):  # a row without its object
                    pos += len(_NEXT_ROW)
                elif starts("}]", pos):
                    end = pos + 2
                    break
                else:
                    return None
        except (StopIteration, ValueError, RecursionError):
            return None
    if text[end:].strip(_WHITESPACE) != "}":
        return None
    head["rows"] = rows
    return head
