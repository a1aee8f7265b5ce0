"""How Go prints the values kubectl's JSONPath engine hands around.

kubectl decodes objects into ``map[string]interface{}`` / ``[]interface{}`` / ``string`` / ``int64`` / ``float64`` /
``bool`` / ``nil`` and prints results with ``fmt`` (``%v``, ``%#v``) or ``encoding/json``. These helpers reproduce
those spellings for the Python equivalents (dict, list, str, int, float, bool, None).
"""

from __future__ import annotations

from typing import Any

from kpy.gocompat.jsonindent import go_json

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class GoInt(int):
    """An ``int`` written in the template (``{5}``); Go's type name is ``int``, data integers are ``int64``."""

    __slots__ = ()


class GoUint8(int):
    """A byte of a string, as ``.*``/``..`` over a Go string yields."""

    __slots__ = ()


class _Invalid:
    """Go's zero ``reflect.Value``: what a range over ``null`` (or over nothing) evaluates against."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


def go_type(value: Any) -> str:
    """The Go type name of a decoded value (``reflect.Value.Type()``)."""
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoUint8):
        return "uint8"
    if isinstance(value, GoInt):
        return "int"
    if isinstance(value, int):
        return "int64" if INT64_MIN <= value <= INT64_MAX else "float64"
    if isinstance(value, float):
        return "float64"
    if value is None:
        return "interface {}"
    return "<invalid reflect.Value>"


def _digits(value: float) -> tuple[bool, str, int]:
    """Shortest round-trip decimal digits of ``value`` and the decimal point position (Go's ``decimalSlice``)."""
    text = repr(value)
    neg = text.startswith("-")
    if neg:
        text = text[1:]
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + exponent
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    return neg, digits, point


def go_float_g(value: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``, which is also ``fmt``'s ``%v`` and ``%#v`` of a float64."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    neg, digits, point = _digits(value)
    sign = "-" if neg else ""
    exp = point - 1
    if exp < -4 or exp >= _EPREC:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        esign = "-" if exp < 0 else "+"
        return f"{sign}{mantissa}e{esign}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


#: %g with the shortest precision switches to an exponent from 1e+06 (strconv uses "precision 6" for the choice)
_EPREC = 6


def go_number(value: int | float) -> str:
    """``%v`` of a decoded JSON number (integers beyond int64 were float64 for Go)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if INT64_MIN <= value <= INT64_MAX or isinstance(value, (GoInt, GoUint8)):
            return int.__repr__(value)
        return go_float_g(float(value))
    return go_float_g(value)


def go_v(value: Any) -> str:
    """``fmt.Sprintf("%v", value)``: maps as ``map[k:v ...]`` (keys sorted), slices as ``[a b]``, nil as ``<nil>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_number(value)
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_v(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_v(v) for v in value) + "]"
    return "<invalid reflect.Value>"


def go_quote(text: str) -> str:
    """``strconv.Quote`` (also ``%q`` and ``%#v`` of a string)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif (ch.isprintable() and code != 0xFFFD) or ch == " ":
            out.append(ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code == 0xFFFD:
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_sharp_v(value: Any, in_interface: bool = False) -> str:
    """``fmt.Sprintf("%#v", value)`` of decoded content (how kubectl dumps the object after an execution error)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(k)}:{go_sharp_v(value[k], True)}" for k in sorted(value))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_sharp_v(v, True) for v in value) + "}"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_number(value)
    if value is None:
        return "interface {}(nil)" if in_interface else "<nil>"
    return "<invalid reflect.Value>"


def to_text(value: Any) -> str:
    """One JSONPath result as kubectl prints it: strings bare, maps/slices as compact JSON, nil as ``null``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return go_json(value, indent=None)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_number(value)
    if value is None:
        return "null"
    return "<no value>"


def to_json_array(values: list[Any]) -> str:
    """``-o jsonpath-as-json``: one result list as an indented JSON array (``json.MarshalIndent``) plus newline."""
    clean = [None if v is INVALID else v for v in values]
    return go_json(clean, indent=4) + "\n"
