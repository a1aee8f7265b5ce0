"""YAML exactly as kubectl prints it: sigs.k8s.io/yaml's JSONToYAML, i.e. go-yaml v2's encoder and emitter.

kubectl marshals an object to JSON, reads that JSON back with go-yaml (so numbers become int, uint64 or float64)
and marshals it with go-yaml v2. This module writes the same bytes directly, without building YAML nodes:

* keys in go-yaml's "natural" order (digit runs compared as numbers, non-letters before letters);
* a string is plain unless go-yaml would read it back as something else (YAML 1.1 bools ``y``/``on``/``NO``,
  nulls, ints in any base, floats, base-60 numbers, timestamps): those are double-quoted; strings with a line
  break become literal blocks (``|``, ``|-``, ``|+``, ``|2-``...); libyaml's analysis downgrades a style it
  cannot use (plain → single-quoted → double-quoted, literal → double-quoted);
* long plain and quoted scalars folded at spaces past column 80 (go-yaml's best width), continuation lines
  indented one step deeper;
* ``{}``/``[]`` for empty maps and lists; list items not indented under their key;
* floats as Go's ``strconv.FormatFloat(f, 'g', -1, 64)`` (``1.2345675e+06``), integers above int64 as uint64
  or float as the JSON round trip makes them.

Rendered scalars and key orders are memoised: Kubernetes objects repeat the same keys and most values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from kpy.printers.goyaml_scalar import (
    ANY_BREAK,
    INDENT,
    INT64,
    NOT_PLAIN_WORDS,
    SIMPLE_MATCH,
    UINT64,
    render_scalar,
    reread,
    resolves_to_string,
    scalar_style,
)

__all__ = [
    "YAMLEmitter",
    "dump",
    "go_g_format",
    "number_text",
    "resolves_to_string",
    "scalar_style",
    "sorted_keys",
]

# ---------------------------------------------------------------------------------------------------------------
# Numbers


def go_g_format(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 64)`` (shortest digits; exponent below 1e-4 and from 1e21... 1e6)."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    # the decimal point sits after `point` digits
    point = len(digit_tuple) + exponent
    exp = point - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def number_text(value: int | float) -> str:
    """A JSON number after kubectl's JSON → go-yaml round trip."""
    if type(value) is int or isinstance(value, int):
        if -INT64 <= value < INT64:
            return str(int(value))
        value = float(value)  # Go decodes an out-of-range JSON integer into unstructured as float64
    from kpy.gocompat.jsonindent import go_float

    text = go_float(value)
    if "." not in text and "e" not in text:
        as_int = int(text)
        if -INT64 <= as_int < UINT64:
            return text
    return go_g_format(value)


# ---------------------------------------------------------------------------------------------------------------
# Key order (go-yaml's keyList.Less for string keys)


def _natural_less(a: str, b: str) -> bool:
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():  # Go's unicode.IsDigit, and its arithmetic on any digit
            an = an * 10 + ord(a[ai]) - 48
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + ord(b[bi]) - 48
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _natural_cmp(a: str, b: str) -> int:
    return -1 if _natural_less(a, b) else (1 if _natural_less(b, a) else 0)


_NATURAL_KEY = cmp_to_key(_natural_cmp)
#: keys made only of these sort the same by code point as by go-yaml's natural order
_PLAIN_ORDER = re.compile(r"[A-Za-z./ -]*")


def sorted_keys(keys: list[str]) -> list[str]:
    if all(_PLAIN_ORDER.fullmatch(k) for k in keys):
        return sorted(keys)
    return sorted(keys, key=_NATURAL_KEY)


# ---------------------------------------------------------------------------------------------------------------
# The emitter


class YAMLEmitter:
    """Writes decoded JSON values as go-yaml v2 does; ``dump`` streams a top-level list item by item."""

    def __init__(self) -> None:
        self._orders: dict[tuple[str, ...], list[str]] = {}
        #: key text -> "key:" as written (None for keys that need the "? key" form)
        self._keys: dict[str, str | None] = {}
        #: string -> " rendered" for strings whose rendering is independent of the column
        self._plain: dict[str, str] = {}

    def order(self, d: dict[str, Any]) -> list[str]:
        names = tuple(d)
        order = self._orders.get(names)
        if order is None:
            if len(self._orders) > 4096:
                self._orders.clear()
            order = self._orders[names] = sorted_keys(list(names))
        return order

    def key(self, name: str) -> str | None:
        text = self._keys.get(name, "")
        if text == "":
            read = reread(name)
            if len(read.encode()) > 128 or ANY_BREAK.search(read):
                text = None
            else:
                text = render_scalar(read, 0, 0, simple_key=True)[0][1:] + ":"
            if len(self._keys) > 65536:
                self._keys.clear()
            self._keys[name] = text
        return text

    def scalar(self, value: Any, column: int, indent: int, parts: list[str]) -> None:
        """Append ``value`` (not a non-empty dict/list) written after an indicator ending at ``column``."""
        if type(value) is str:
            cached = self._plain.get(value)
            if cached is not None:
                parts.append(cached)
                return
            if " " not in value and not ANY_BREAK.search(value):
                if SIMPLE_MATCH(value) and value not in NOT_PLAIN_WORDS:
                    text = " " + value + "\n"
                else:
                    text = render_scalar(value, column, indent)[0] + "\n"
                if len(self._plain) > 65536:
                    self._plain.clear()
                self._plain[value] = text
                parts.append(text)
                return
            text, end = render_scalar(reread(value), column, indent)
            parts.append(text if end == 0 else text + "\n")
            return
        if value is None:
            parts.append(" null\n")
        elif value is True:
            parts.append(" true\n")
        elif value is False:
            parts.append(" false\n")
        elif isinstance(value, (int, float)):
            parts.append(" " + number_text(value) + "\n")
        elif isinstance(value, dict):
            parts.append(" {}\n")
        elif isinstance(value, (list, tuple)):
            parts.append(" []\n")
        else:
            self.scalar(str(value), column, indent, parts)

    def mapping(self, d: dict[str, Any], indent: int, inline: bool, parts: list[str]) -> None:
        pad = " " * indent
        first = inline
        append = parts.append
        for name in self.order(d):
            value = d[name]
            key = self.key(name)
            if first:
                first = False
            else:
                append(pad)
            if key is None:
                self._complex_entry(name, value, indent, parts)
                continue
            t = type(value)
            if t is dict and value:
                append(key + "\n")
                self.mapping(value, indent + INDENT, False, parts)
            elif t is list and value:
                append(key + "\n")
                self.sequence(value, indent, False, parts)
            else:
                append(key)
                self.scalar(value, indent + len(key), indent + INDENT, parts)

    def _complex_entry(self, name: str, value: Any, indent: int, parts: list[str]) -> None:
        """A key go-yaml cannot write as a simple key (over 128 bytes, or multi-line): ``? key`` / ``: value``."""
        parts.append("?")
        self.scalar(name, indent + 1, indent + INDENT, parts)
        parts.append(" " * indent + ":")
        t = type(value)
        if t is dict and value:
            parts.append(" ")
            self.mapping(value, indent + INDENT, True, parts)
        elif t is list and value:
            parts.append(" ")
            self.sequence(value, indent + INDENT, True, parts)
        else:
            self.scalar(value, indent + 1, indent + INDENT, parts)

    def sequence(
        self,
        items: list[Any],
        indent: int,
        inline: bool,
        parts: list[str],
        flush: Callable[[], None] | None = None,
    ) -> None:
        pad = " " * indent
        first = inline
        append = parts.append
        for value in items:
            if first:
                first = False
                append("-")
            else:
                append(pad + "-")
            t = type(value)
            if t is dict and value:
                append(" ")
                self.mapping(value, indent + INDENT, True, parts)
            elif t is list and value:
                append(" ")
                self.sequence(value, indent + INDENT, True, parts)
            else:
                self.scalar(value, indent + 1, indent + INDENT, parts)
            if flush is not None:
                flush()

    def dump(self, obj: Any, write: Callable[[str], object]) -> None:
        """Write ``obj`` as one YAML document, handing ``write`` one top-level list item at a time."""
        parts: list[str] = []

        def flush() -> None:
            if parts:
                write("".join(parts))
                parts.clear()

        if isinstance(obj, dict) and obj:
            for name in self.order(obj):
                value = obj[name]
                key = self.key(name)
                if key is None or type(value) is not list or not value:
                    self.mapping({name: value}, 0, False, parts)
                    continue
                parts.append(key + "\n")
                flush()
                self.sequence(value, 0, False, parts, flush)
        elif isinstance(obj, list) and obj:
            self.sequence(obj, 0, False, parts, flush)
        elif isinstance(obj, (dict, list)):
            parts.append("{}\n" if isinstance(obj, dict) else "[]\n")
        else:
            self.scalar(obj, -1, 0, parts)
            parts[-1] = parts[-1][1:]
        flush()


def dump(obj: Any) -> str:
    parts: list[str] = []
    YAMLEmitter().dump(obj, parts.append)
    return "".join(parts)
