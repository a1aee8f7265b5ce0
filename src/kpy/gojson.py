"""JSON read and written as Go's ``encoding/json`` does, so that bad input is refused in kubectl's words.

Python's ``json`` accepts ``NaN``/``Infinity``, recurses in C (``RecursionError`` at ~1,000 levels) and refuses
numbers of more than 4,300 digits with a ``ValueError``; Go refuses the first, allows 10,000 levels and refuses
numbers beyond float64. ``decode_stream`` decodes with Python's fast parser and, when anything goes wrong, runs
a port of Go's scanner state machine (``encoding/json/scanner.go``) over the bytes to say what Go would say:
``json: offset 69: invalid character 'N' looking for beginning of value``. The scanner is pure Python and runs
only on the error path. ``marshal`` is ``json.Marshal``'s compact form (sorted keys, HTML-safe escapes).
"""

from __future__ import annotations

import json
import math
import sys
import threading
from collections.abc import Callable
from typing import Any

from kpy.decode import paused_gc

MAX_DEPTH = 10000  # Go encoding/json maxNestingDepth
_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 92: "\\\\"}


class GoJSONError(Exception):
    """Input Go's JSON decoder refuses; ``str()`` is Go's message (``json: offset N: ...``)."""


class SyntaxError_(GoJSONError):
    """The bytes are not JSON (kubectl: ``error parsing SOURCE: ...``)."""


class DecodeError(GoJSONError):
    """Well-formed JSON that does not fit Go's types, e.g. a number beyond float64 (``unable to decode``)."""


def quote_char(c: int) -> str:
    """Go's ``quoteChar``: the byte as it appears in ``invalid character 'x' ...``."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    if c in _ESCAPES:
        return f"'{_ESCAPES[c]}'"
    if c < 0x20 or c == 0x7F:
        return f"'\\x{c:02x}'"
    if 0x80 <= c < 0xA0 or c == 0xAD:
        return f"'\\u{c:04x}'"
    return f"'{chr(c)}'"


class _Scanner:
    """Go's scanner: one ``step`` per byte, a stack of open objects/arrays, the first error kept."""

    OBJECT_KEY, OBJECT_VALUE, ARRAY_VALUE = 0, 1, 2

    def __init__(self, stream: bool) -> None:
        #: a stream of values (``json.Decoder``); else exactly one (``json.Unmarshal``: more is an error)
        self.stream = stream
        self.stack: list[int] = []
        self.step: Callable[[int], str | None] = self.begin_value

    def top_level_done(self) -> None:
        """A top-level value ended: the next one may begin (stream), or only spaces may follow."""
        self.step = self.begin_value if self.stream else self.end_top

    def end_top(self, c: int) -> str | None:
        return None if c in _SPACE else self.fail(c, "after top-level value")

    def fail(self, c: int, context: str) -> str:
        return f"invalid character {quote_char(c)} {context}"

    def push(self, c: int, state: int) -> str | None:
        self.stack.append(state)
        return self.fail(c, "exceeded max depth") if len(self.stack) > MAX_DEPTH else None

    def begin_value_or_empty(self, c: int) -> str | None:
        if c in _SPACE:
            return None
        if c == 0x5D:  # ]
            return self.end_value(c)
        return self.begin_value(c)

    def begin_value(self, c: int) -> str | None:
        if c in _SPACE:
            return None
        if c == 0x7B:  # {
            self.step = self.begin_string_or_empty
            return self.push(c, self.OBJECT_KEY)
        if c == 0x5B:  # [
            self.step = self.begin_value_or_empty
            return self.push(c, self.ARRAY_VALUE)
        if c == 0x22:
            self.step = self.in_string
        elif c == 0x2D:
            self.step = self.neg
        elif c == 0x30:
            self.step = self.zero
        elif 0x31 <= c <= 0x39:
            self.step = self.one
        elif c in b"tfn":
            self.step = self.literal({0x74: "true", 0x66: "false", 0x6E: "null"}[c], 1)
        else:
            return self.fail(c, "looking for beginning of value")
        return None

    def begin_string_or_empty(self, c: int) -> str | None:
        if c in _SPACE:
            return None
        if c == 0x7D:  # }
            self.stack[-1] = self.OBJECT_VALUE
            return self.end_value(c)
        return self.begin_string(c)

    def begin_string(self, c: int) -> str | None:
        if c in _SPACE:
            return None
        if c == 0x22:
            self.step = self.in_string
            return None
        return self.fail(c, "looking for beginning of object key string")

    def end_value(self, c: int) -> str | None:
        if not self.stack:
            self.top_level_done()
            return self.step(c)
        if c in _SPACE:
            self.step = self.end_value
            return None
        top = self.stack[-1]
        if top == self.OBJECT_KEY:
            if c == 0x3A:
                self.stack[-1] = self.OBJECT_VALUE
                self.step = self.begin_value
                return None
            return self.fail(c, "after object key")
        if top == self.OBJECT_VALUE:
            if c == 0x2C:
                self.stack[-1] = self.OBJECT_KEY
                self.step = self.begin_string
                return None
            if c == 0x7D:
                return self.pop()
            return self.fail(c, "after object key:value pair")
        if c == 0x2C:
            self.step = self.begin_value
            return None
        if c == 0x5D:
            return self.pop()
        return self.fail(c, "after array element")

    def pop(self) -> str | None:
        self.stack.pop()
        self.step = self.end_value
        if not self.stack:
            self.top_level_done()
        return None

    def in_string(self, c: int) -> str | None:
        if c == 0x22:
            self.step = self.end_value
        elif c == 0x5C:
            self.step = self.in_escape
        elif c < 0x20:
            return self.fail(c, "in string literal")
        return None

    def in_escape(self, c: int) -> str | None:
        if c in b'bfnrt\\/"':
            self.step = self.in_string
            return None
        if c == 0x75:
            self.step = self.hex_digit(4)
            return None
        return self.fail(c, "in string escape code")

    def hex_digit(self, left: int) -> Callable[[int], str | None]:
        def step(c: int) -> str | None:
            if c not in _HEX:
                return self.fail(c, "in \\u hexadecimal character escape")
            self.step = self.in_string if left == 1 else self.hex_digit(left - 1)
            return None

        return step

    def neg(self, c: int) -> str | None:
        if c == 0x30:
            self.step = self.zero
            return None
        if 0x31 <= c <= 0x39:
            self.step = self.one
            return None
        return self.fail(c, "in numeric literal")

    def one(self, c: int) -> str | None:
        if c in _DIGITS:
            return None
        return self.zero(c)

    def zero(self, c: int) -> str | None:
        if c == 0x2E:
            self.step = self.dot
            return None
        if c in b"eE":
            self.step = self.exp
            return None
        return self.end_value(c)

    def dot(self, c: int) -> str | None:
        if c in _DIGITS:
            self.step = self.dot0
            return None
        return self.fail(c, "after decimal point in numeric literal")

    def dot0(self, c: int) -> str | None:
        if c in _DIGITS:
            return None
        if c in b"eE":
            self.step = self.exp
            return None
        return self.end_value(c)

    def exp(self, c: int) -> str | None:
        if c in b"+-":
            self.step = self.exp_sign
            return None
        return self.exp_sign(c)

    def exp_sign(self, c: int) -> str | None:
        if c in _DIGITS:
            self.step = self.exp0
            return None
        return self.fail(c, "in exponent of numeric literal")

    def exp0(self, c: int) -> str | None:
        if c in _DIGITS:
            return None
        return self.end_value(c)

    def literal(self, word: str, index: int) -> Callable[[int], str | None]:
        def step(c: int) -> str | None:
            if c != ord(word[index]):
                return self.fail(c, f"in literal {word} (expecting '{word[index]}')")
            self.step = self.end_value if index + 1 == len(word) else self.literal(word, index + 1)
            return None

        return step


def _scan(data: bytes, stream: bool) -> tuple[int, str] | None:
    """The first syntax error as (bytes read including the bad one, Go's text; -1 at the end), or None."""
    scanner = _Scanner(stream)
    for offset, c in enumerate(data, 1):
        problem = scanner.step(c)
        if problem is not None:
            return offset, problem
    between_values = scanner.step == scanner.begin_value or scanner.step == scanner.end_top
    in_number = scanner.step in (scanner.one, scanner.zero, scanner.dot0, scanner.exp0)
    if scanner.stack or not (between_values or in_number):
        return -1, "unexpected EOF" if stream else "unexpected end of JSON input"
    if not stream and scanner.step == scanner.begin_value:  # nothing at all
        return -1, "unexpected end of JSON input"
    return None


def syntax_error(data: bytes) -> str | None:
    """Go's ``json.Decoder`` message (as kubectl's YAMLOrJSONDecoder wraps it) for the first syntax error in a
    stream of values, or None: ``json: offset N: ...`` counts the bytes read including the bad one; a value cut
    short is ``unexpected EOF``."""
    found = _scan(data, stream=True)
    if found is None:
        return None
    offset, problem = found
    return problem if offset < 0 else f"json: offset {offset}: {problem}"


def value_error(data: bytes) -> str | None:
    """Go's ``json.Unmarshal`` message for one value (no offset: ``invalid character '<' looking for ...``)."""
    found = _scan(data, stream=False)
    return None if found is None else found[1]


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


class _NotPlain(Exception):
    """The fast path met NaN/Infinity or a number beyond float64: decode again the careful way."""


def _plain_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotPlain
    return value


def _plain_constant(text: str) -> Any:
    raise _NotPlain


_PLAIN = json.JSONDecoder(parse_float=_plain_float, parse_constant=_plain_constant)


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
