"""JSON read and written as Go's ``encoding/json`` does, so that bad input is refused in kubectl's words.

Python's ``json`` accepts ``NaN``/``Infinity``, recurses in C (``RecursionError`` at ~1,000 levels) and refuses
numbers of more than 4,300 digits with a ``ValueError``; Go refuses the first, allows 10,000 levels and refuses
numbers beyond float64. ``decode_stream`` decodes with Python's fast parser and, when anything goes wrong, runs
a port of Go's scanner state machine (:mod:`.jsonscan`) over the bytes to say what Go would say. ``marshal`` is
``json.Marshal``'s compact form (sorted keys, HTML-safe escapes); :mod:`.jsonindent` has ``MarshalIndent``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable

from kpy.decode import paused_gc
from kpy.gocompat.jsonscan import (
    MAX_DEPTH,
    DecodeError,
    GoJSONError,
    SyntaxError_,
    quote_char,
    syntax_error,
    value_error,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_DEPTH",
    "DecodeError",
    "GoJSONError",
    "SyntaxError_",
    "decode_stream",
    "go_type",
    "loads",
    "loads_lean",
    "marshal",
    "plain_scanner",
    "quote_char",
    "syntax_error",
    "value_error",
    "without_managed_fields",
]


class _Recorder:
    """Number hooks for ``json``: Go's float64 limits without Python's digit limit; the first problem kept."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self.constant = False

    def number(self, text: str, value: float | None) -> Any:
        if value is None or not math.isfinite(value):
            if self.problem is None:
                self.problem = f"json: cannot unmarshal number {text} into Go value of type float64"
            return 0
        return value

    def parse_int(self, text: str) -> Any:
        digits = text.lstrip("-")
        if len(digits) > 400:  # beyond float64 for sure; never build a 4,300-digit int
            return self.number(text, None)
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
        try:
            return self.number(text, float(value))
        except OverflowError:
            return self.number(text, None)

    def parse_float(self, text: str) -> Any:
        return self.number(text, float(text))

    def parse_constant(self, text: str) -> Any:
        self.constant = True  # NaN/Infinity: not JSON; the scanner names the byte
        return 0


def _with_deep_stack(func: Callable[[], Any]) -> Any:
    """Run ``func`` allowing Go's 10,000 levels: a thread with a big stack and a raised recursion limit."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(func())
        except BaseException as exc:  # handed back to the caller's thread
            failure.append(exc)

    import threading  # only for documents nested deeper than Python's own parser goes

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        threading.stack_size(512 * 1024 * 1024)
        sys.setrecursionlimit(max(old_limit, 4 * MAX_DEPTH + 1000))
        thread = threading.Thread(target=target, name="kpy-deep-json")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if failure:
        raise failure[0]
    return result[0]


def decode_stream(data: bytes | str, spans: list[str] | None = None, *, exact_ints: bool = True) -> list[Any]:
    """Every JSON value in ``data`` (whitespace-separated, like ``json.Decoder``), decoded as Go decodes them.

    Raises ``SyntaxError_`` or ``DecodeError`` carrying Go's message. Invalid UTF-8 inside strings becomes
    U+FFFD, as Go does. ``spans``, when given, receives each value's source text. ``exact_ints=False`` leaves
    integers to Python's C parser (faster, for server answers) unless one is too long for it.
    """
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    text = raw.decode("utf-8", "replace")
    recorder = _Recorder()

    def decoder(exact: bool) -> json.JSONDecoder:
        return json.JSONDecoder(
            parse_int=recorder.parse_int if exact else None,
            parse_float=recorder.parse_float,
            parse_constant=recorder.parse_constant,
        )

    def run(exact: bool) -> list[Any]:
        scan = decoder(exact)
        values: list[Any] = []
        if spans is not None:
            spans.clear()
        index, end = 0, len(text)
        while True:
            while index < end and text[index] in " \t\r\n":
                index += 1
            if index >= end:
                return values
            start = index
            value, index = scan.raw_decode(text, index)
            values.append(value)
            if spans is not None:
                spans.append(text[start:index])

    try:
        try:
            values = run(exact_ints)
        except RecursionError:
            problem = syntax_error(raw)
            if problem is not None:
                raise SyntaxError_(problem) from None
            values = _with_deep_stack(lambda: run(exact_ints))
    except json.JSONDecodeError as exc:
        problem = syntax_error(raw)
        raise SyntaxError_(problem or f"json: offset {exc.pos + 1}: {exc.msg.lower()}") from None
    except ValueError:  # Python's digit limit, met only without exact_ints
        return decode_stream(raw, spans, exact_ints=True)
    if recorder.constant:
        raise SyntaxError_(syntax_error(raw) or "json: invalid number literal") from None
    if recorder.problem is not None:
        raise DecodeError(recorder.problem)
    return values


class _NotPlain(ValueError):
    """The fast path met NaN/Infinity or a number beyond float64: decode again the careful way."""


def _plain_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotPlain
    return value


def _plain_constant(text: str) -> Any:
    raise _NotPlain


_PLAIN = json.JSONDecoder(parse_float=_plain_float, parse_constant=_plain_constant)


def plain_scanner() -> Callable[[str, int], tuple[Any, int]]:
    """``loads``' fast decoder for one value inside a text: ``scan(text, index)`` → ``(value, end)``. It raises
    ``StopIteration`` when no value starts at ``index``, ``ValueError`` (or ``RecursionError``) when the value is
    not one ``loads`` decodes this way; the caller then decodes the whole text with ``loads``."""
    scan: Callable[[str, int], tuple[Any, int]] = _PLAIN.scan_once  # type: ignore[attr-defined]
    return scan


def loads(data: bytes | str) -> Any:
    """One JSON value (a server's answer) with Go's checks and ``json.Unmarshal``'s messages.

    Well-formed answers take Python's C parser in one pass; anything unusual (a syntax error, NaN, numbers
    beyond float64 or Python's digit limit, deep nesting) is decoded again by ``decode_stream``."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else data
    try:
        with paused_gc():  # a large list: millions of containers, no cycles
            return _PLAIN.decode(text)
    except (ValueError, RecursionError, _NotPlain):
        pass
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    try:
        values = decode_stream(raw, exact_ints=False)
    except SyntaxError_:
        raise SyntaxError_(value_error(raw) or "unexpected end of JSON input") from None
    if len(values) != 1:
        raise SyntaxError_(value_error(raw) or "unexpected end of JSON input")
    return values[0]


_MANAGED_FIELDS = '"managedFields":['
#: what may follow a string's closing quote; any other character after ``"`` means the quote opened a key
_AFTER_STRING = frozenset(',:}]" \t\r\n')


def without_managed_fields(text: str) -> str:
    """``text`` (a server's JSON answer) with each ``managedFields`` list emptied where that is sure; the rest
    byte for byte.

    A ``"`` after ``{`` or ``,`` is not escaped, so ``{"managedFields":[`` (or with a comma) can only be that
    key, and ``]},"k`` (no separator after the quote) can only be a list closing, then its object, then a next
    key. A list with no
    ``[`` before the first such ``]`` holds no list (managed fields never do), so that ``]`` is its own. A list
    that does not read so is kept; and a wrong cut could not even decode: what it would remove is unbalanced."""
    parts: list[str] = []
    done = 0  # text[:done] is in parts
    search = 0
    find = text.find
    while True:
        start = find(_MANAGED_FIELDS, search)
        if start < 0:
            break
        first = search = start + len(_MANAGED_FIELDS)
        if text[start - 1 : start] not in ("{", ","):  # the key's own quote, not \" inside another key
            continue
        close = find(']},"', first)
        if close < 0:
            break
        if text[close + 4 : close + 5] in _AFTER_STRING or find("[", first, close) >= 0:
            continue  # not sure: keep this one
        parts.append(text[done:first])
        done = search = close
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def loads_lean(data: bytes) -> Any:
    """``loads`` of a server's answer with its ``managedFields`` lists decoded as empty where
    ``without_managed_fields`` is sure of them: for printers that never show them (a third of an event's JSON
    and half its objects)."""
    text = without_managed_fields(data.decode("utf-8", "replace"))
    try:
        with paused_gc():
            return _PLAIN.decode(text)
    except (ValueError, RecursionError):
        return loads(data)


def go_type(value: Any) -> str:
    """The JSON type name Go's decoder errors use (``cannot unmarshal number into ...``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _go_float(value: float) -> str:
    """encoding/json's float64: shortest digits, fixed notation in [1e-6, 1e21), else ``1e+21``/``1e-7``."""
    from decimal import Decimal

    if value == 0:
        return "0"
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = repr(value)
    if len(text) >= 4 and text[-4] == "e" and text[-3] == "-" and text[-2] == "0":
        text = text[:-2] + text[-1]
    return text


def _string(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)
    return (
        escaped.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def marshal(value: Any) -> str:
    """Go's ``json.Marshal`` of a decoded document: compact, map keys sorted, ``<>&`` escaped as ``\\u003c``.

    Iterative, so 10,000 levels are fine; NaN and infinities have no JSON form and are written as Go's
    ``json: unsupported value`` would refuse them (callers never pass them: decoding already refused)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            stack.append(_Raw("}"))
            for index, key in enumerate(sorted(item, key=str, reverse=True)):
                stack.append(item[key])
                stack.append(_Raw(_string(str(key)) + ":"))
                if index < len(item) - 1:
                    stack.append(_Raw(","))
        elif isinstance(item, list | tuple):
            out.append("[")
            stack.append(_Raw("]"))
            for index, child in enumerate(reversed(item)):
                stack.append(child)
                if index < len(item) - 1:
                    stack.append(_Raw(","))
        elif item is None:
            out.append("null")
        elif item is True:
            out.append("true")
        elif item is False:
            out.append("false")
        elif isinstance(item, int):
            out.append(str(item))
        elif isinstance(item, float):
            out.append(_go_float(item) if math.isfinite(item) else "null")
        else:
            out.append(_string(str(item)))
    return "".join(out)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
