"""Go's ``encoding/json`` scanner (``scanner.go``), run only on the error path to word a syntax error as Go
does: ``json: offset 69: invalid character 'N' looking for beginning of value``. See :mod:`.gojson`.

What :mod:`.gojson` says about the decoder:

Python's ``json`` accepts ``NaN``/``Infinity``, recurses in C (``RecursionError`` at ~1,000 levels) and refuses
numbers of more than 4,300 digits with a ``ValueError``; Go refuses the first, allows 10,000 levels and refuses
numbers beyond float64. ``decode_stream`` decodes with Python's fast parser and, when anything goes wrong, runs
a port of Go's scanner state machine (``encoding/json/scanner.go``) over the bytes to say what Go would say:
``json: offset 69: invalid character 'N' looking for beginning of value``. The scanner is pure Python and runs
only on the error path. ``marshal`` is ``json.Marshal``'s compact form (sorted keys, HTML-safe escapes).
"""

from __future__ import annotations

from collections.abc import Callable

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
