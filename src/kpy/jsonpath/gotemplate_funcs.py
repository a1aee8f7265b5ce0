"""Go ``text/template``'s builtin functions and ``fmt`` verbs as kubectl's templates use them (see
:mod:`kpy.jsonpath.gotemplate`)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from kpy.jsonpath.gofmt import GoInt, go_quote, go_v


class Missing:
    """Go's invalid ``reflect.Value``: what a missing map key gives under ``missingkey=default``."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = Missing()


class _Zero(Missing):
    """What ``index`` gives for a missing key or a null: prints as ``<no value>``, indexing it is a nil pointer."""


ZERO: Any = _Zero()


def identity(value: Any) -> Any:
    return value


class CallError(Exception):
    pass


class ArgCountError(Exception):
    pass


def truth(value: Any) -> bool:
    if isinstance(value, Missing) or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    if isinstance(value, (int, float)):
        return value != 0
    return True


def print_value(value: Any) -> str:
    """An action's value as Go prints it: a missing key and a null are both ``<no value>``."""
    return "<no value>" if isinstance(value, Missing) or value is None else go_v(value)


def _fmt_v(value: Any) -> str:
    """``%v`` of a function argument (a null or a missing key is ``<nil>`` there)."""
    return "<nil>" if isinstance(value, Missing) else go_v(value)


def _basic(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise CallError("invalid type for comparison")


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise ArgCountError("wrong number of args for eq: want at least 2 got 1")
    for other in others:
        a, b = _basic(first), _basic(other)
        if a != b:
            if "nil" in (a, b):
                raise CallError("incompatible types for comparison")
            raise CallError("incompatible types for comparison")
        if first == other:
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _basic(a), _basic(b)
    if ka != kb:
        raise CallError("incompatible types for comparison")
    if ka in ("bool", "nil"):
        raise CallError("invalid type for comparison")
    return bool(a < b)


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, dict)):
        return len(value)
    raise CallError(f"len of type {'<nil>' if value is None or value is MISSING else _go_type(value)}")


def _go_type(value: Any) -> str:
    if isinstance(value, GoInt):
        return "int"
    return {bool: "bool", int: "int64", float: "float64", str: "string"}.get(type(value), "interface {}")


def _index(item: Any, *indices: Any) -> Any:
    for index in indices:
        if isinstance(item, (list, str)):
            if not isinstance(index, int) or isinstance(index, bool):
                raise CallError(f"cannot index slice/array with type {_go_type(index)}")
            if not 0 <= index < len(item):
                raise CallError(f"index out of range: {index}")
            item = item[index] if isinstance(item, list) else item.encode()[index]
        elif isinstance(item, dict):
            if not isinstance(index, str):
                raise CallError(f"value has type {_go_type(index)}; should be string")
            item = item.get(index, ZERO)
        elif item is None or item is ZERO:
            raise CallError("index of nil pointer")
        elif item is MISSING:
            raise CallError("index of untyped nil")
        else:
            raise CallError(f"can't index item of type {_go_type(item)}")
    return ZERO if item is None else item


def _exists(item: Any, *indices: Any) -> bool:
    """kubectl's ``exists``: whether the nested keys/indices are all present."""
    for index in indices:
        in_map = isinstance(item, dict) and isinstance(index, str) and index in item
        in_list = isinstance(item, list) and isinstance(index, int) and 0 <= index < len(item)
        if not (in_map or in_list):
            return False
        item = item[index]
    return True


def _base64decode(value: Any) -> str:
    if not isinstance(value, str):
        raise CallError(f"wrong type for value; expected string; got {_go_type(value)}")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as exc:
        raise CallError(f"base64 decode failed: {_b64_reason(value, exc)}") from None


def _b64_reason(value: str, exc: Exception) -> str:
    for i, ch in enumerate(value):
        if not (ch.isalnum() or ch in "+/="):
            return f"illegal base64 data at input byte {i}"
    return f"illegal base64 data at input byte {len(value.rstrip('=')) // 4 * 4}"


def _sprint(*values: Any) -> str:
    out: list[str] = []
    for i, value in enumerate(values):
        if i > 0 and not isinstance(value, str) and not isinstance(values[i - 1], str):
            out.append(" ")
        out.append(_fmt_v(value))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])")


def _sprintf(fmt: Any, *args: Any) -> str:
    if not isinstance(fmt, str):
        raise CallError(f"wrong type for value; expected string; got {_go_type(fmt)}")
    values = list(args)
    out: list[str] = []
    pos = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, precision, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if not values:
            out.append(f"%!{verb}(MISSING)")
            continue
        value = values.pop(0)
        out.append(_format_one(value, flags, width, precision, verb))
    out.append(fmt[pos:])
    if values:
        out.append("%!(EXTRA " + ", ".join(f"{_go_type(v)}={_fmt_v(v)}" for v in values) + ")")
    return "".join(out)


def _format_one(value: Any, flags: str, width: str | None, precision: str | None, verb: str) -> str:
    if value is None or isinstance(value, Missing):
        return "<nil>" if verb == "v" else f"%!{verb}(<nil>)"
    if verb in ("v", "s") and not (
        verb == "s" and isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        text = _fmt_v(value)
        if precision is not None and verb == "s":
            text = text[: int(precision)]
    elif verb == "q" and isinstance(value, str):
        text = go_quote(value)
    elif verb == "d" and isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif verb in ("f", "F", "e", "g") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int):
            return f"%!{verb}({_go_type(value)}={value})"
        text = format(value, f".{precision or 6}{verb.lower()}") if verb != "g" else go_v(value)
    elif verb in ("x", "X") and isinstance(value, (int, str)) and not isinstance(value, bool):
        text = format(value, verb) if isinstance(value, int) else value.encode().hex()
        text = text.upper() if verb == "X" else text
    elif verb == "t" and isinstance(value, bool):
        text = "true" if value else "false"
    else:
        return f"%!{verb}({_go_type(value) if value is not None else '<nil>'}={_fmt_v(value)})"
    if width:
        size = int(width)
        if "-" in flags:
            text = text.ljust(size)
        elif "0" in flags and verb in "dfFeg":
            text = text.rjust(size, "0")
        else:
            text = text.rjust(size)
    return text


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "not": lambda *a: _arity("not", 1, a) or not truth(a[0]),
    "eq": _eq,
    "ne": lambda *a: _arity("ne", 2, a) or not _eq(a[0], a[1]),
    "lt": lambda *a: _arity("lt", 2, a) or _lt(a[0], a[1]),
    "le": lambda *a: _arity("le", 2, a) or _lt(a[0], a[1]) or _eq(a[0], a[1]),
    "gt": lambda *a: _arity("gt", 2, a) or not (_lt(a[0], a[1]) or _eq(a[0], a[1])),
    "ge": lambda *a: _arity("ge", 2, a) or not _lt(a[0], a[1]),
    "len": lambda *a: _arity("len", 1, a) or _len(a[0]),
    "index": lambda *a: _index(*a) if a else _arity("index", 1, a),
    "printf": lambda *a: _sprintf(*a) if a else _arity("printf", 1, a),
    "print": _sprint,
    "println": lambda *a: " ".join(_fmt_v(v) for v in a) + "\n",
    "base64decode": lambda *a: _arity("base64decode", 1, a) or _base64decode(a[0]),
    "exists": lambda *a: _exists(*a) if a else _arity("exists", 1, a),
}


def _arity(name: str, want: int, args: tuple[Any, ...]) -> bool:
    """False when ``args`` has ``want`` values (so ``_arity(...) or f(...)`` reads as "check, then call")."""
    if len(args) != want:
        raise ArgCountError(f"wrong number of args for {name}: want {want} got {len(args)}")
    return False
