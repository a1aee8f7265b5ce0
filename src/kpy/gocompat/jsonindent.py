"""Go's ``json.MarshalIndent`` of decoded unstructured content, byte for byte as kubectl's ``-o json`` prints it
(4-space indent, keys sorted, ``<``/``>``/``&`` and U+2028/U+2029 escaped as ``\\u003c`` etc., Go's float
format), and :func:`write_go_json`, which writes a large List item by item."""

from __future__ import annotations

import json
from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any


def go_float(value: float) -> str:
    """A float64 the way Go's encoding/json writes it: shortest digits, exponent only below 1e-6 or from 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"unsupported value: {value}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = repr(value).partition("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        sign = exponent[0] if exponent[:1] in "+-" else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits}"
    if value.is_integer() and magnitude < 1e16:
        return str(int(value))
    from decimal import Decimal  # Go writes the shortest digits that round-trip: 2**63 is 9223372036854776000

    return format(Decimal(repr(value)), "f")


def _mark_floats(obj: Any) -> tuple[Any, bool]:
    """Replace floats by marker strings (the C JSON encoder cannot be taught Go's float format)."""
    if isinstance(obj, float):
        return f"\x00F{go_float(obj)}\x00", True
    if isinstance(obj, dict):
        found = False
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out[key], hit = _mark_floats(value)
            found = found or hit
        return (out, True) if found else (obj, False)
    if isinstance(obj, list):
        items = [_mark_floats(v) for v in obj]
        if any(hit for _, hit in items):
            return [v for v, _ in items], True
        return obj, False
    return obj, False


def go_json(obj: Any, indent: int | None = 4) -> str:
    """JSON exactly as Go's encoding/json marshals decoded unstructured content."""
    text = None
    if indent is not None:
        try:
            text = _indented(obj, " " * indent)
        except _Unsupported:  # a tuple, a non-str key, an int subclass...: json.dumps knows what to do
            text = None
    if text is None:
        obj, has_floats = _mark_floats(obj)
        text = json.dumps(
            obj,
            indent=indent,
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ": ") if indent is not None else (",", ":"),
        )
        if has_floats:
            import re

            text = re.sub(r'"\\u0000F([^"\\]*)\\u0000"', r"\1", text)
    # The escaped characters can only occur inside JSON strings, so a plain replacement is exact (and, unlike
    # str.translate, costs nothing when they are absent: str.translate reads the whole text per character).
    for char, escaped in _GO_ESCAPE_PAIRS:
        if char in text:
            text = text.replace(char, escaped)
    return text


_GO_ESCAPE_PAIRS = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


class _Unsupported(Exception):
    """A value the fast encoder leaves to json.dumps."""


def _indented(obj: Any, unit: str, nl: str = "\n") -> str:
    """``json.dumps(obj, indent=…, sort_keys=True, ensure_ascii=False)`` with Go's floats, for decoded JSON.

    The stdlib's indenting encoder is pure-Python generators; this one appends to one list and is ~3x faster
    on a large List. Only exact dict/list/str/int/float/bool/None are handled (anything else raises
    ``_Unsupported`` and goes to json.dumps), with the same bytes.
    """
    from json.encoder import encode_basestring

    parts: list[str] = []
    append = parts.append
    enc_str = encode_basestring

    def enc(o: Any, nl: str) -> None:
        t = type(o)
        if t is str:
            append(enc_str(o))
        elif t is dict:
            if not o:
                append("{}")
                return
            inner = nl + unit
            sep = "{" + inner
            for key in sorted(o):  # sorting mixed key types raises TypeError, as json.dumps would
                if type(key) is not str:
                    raise _Unsupported
                value = o[key]
                append(sep)
                append(enc_str(key))
                append(": ")
                if type(value) is str:
                    append(enc_str(value))
                else:
                    enc(value, inner)
                sep = "," + inner
            append(nl + "}")
        elif t is list:
            if not o:
                append("[]")
                return
            inner = nl + unit
            sep = "[" + inner
            for value in o:
                append(sep)
                if type(value) is str:
                    append(enc_str(value))
                else:
                    enc(value, inner)
                sep = "," + inner
            append(nl + "]")
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif t is int:
            append(int.__repr__(o))
        elif t is float:
            append(go_float(o))
        else:
            raise _Unsupported

    enc(obj, nl)
    return "".join(parts)


def write_go_json(obj: Any, write: Callable[[str], object]) -> None:
    """``go_json(obj) + "\\n"`` handed to ``write`` a piece at a time: one piece per item of a top-level list.

    kubectl's JSON for a 50,000-pod List is ~20x the objects' size as one string; written item by item, peak
    memory is the objects plus one item's text.
    """
    if type(obj) is not dict or not any(type(v) is list and len(v) > 1 for v in obj.values()):
        write(go_json(obj) + "\n")
        return
    from json.encoder import encode_basestring

    sep = "{\n    "
    for key in sorted(obj):
        value = obj[key]
        head = sep + _go_escape(encode_basestring(key)) + ": "
        if type(value) is list and value:
            item_sep = head + "[\n        "
            for item in value:
                write(item_sep + _json_at(item, "\n        "))
                item_sep = ",\n        "
            write("\n    ]")
        else:
            write(head + _json_at(value, "\n    "))
        sep = ",\n    "
    write("\n}\n")


def _json_at(value: Any, nl: str) -> str:
    """``value`` as go_json writes it, nested at the indentation that ``nl`` (a newline and spaces) gives."""
    try:
        text = _indented(value, "    ", nl)
    except _Unsupported:
        text = go_json(value).replace("\n", nl)
    return _go_escape(text)


def _go_escape(text: str) -> str:
    for char, escaped in _GO_ESCAPE_PAIRS:
        if char in text:
            text = text.replace(char, escaped)
    return text
