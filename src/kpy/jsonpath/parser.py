"""kubectl's JSONPath template grammar (client-go ``util/jsonpath/parser.go``), parsed the same way.

The upstream parser is a hand-written scanner with quirks that decide what kubectl accepts and prints:
``['a.b']`` is re-parsed as ``.a.b``; unions are split on every comma before anything else; filters are split
on the first run of ``!<>=`` characters; only a space (not a tab) is skipped inside an action; ``[]`` means
``[0]``; numbers too big for ``int`` become floats. This module follows the same scanning decisions (as a loop,
not recursion, so long templates cannot hit Python's recursion limit) and reports the character offset of
every error so the CLI can point at it.
"""

from __future__ import annotations

import re
import unicodedata

from kpy.errors import TemplateError
from kpy.jsonpath.nodes import (
    ArrayNode,
    BoolNode,
    FieldNode,
    FilterNode,
    FloatNode,
    IdentifierNode,
    IntNode,
    ListNode,
    Node,
    Param,
    RecursiveNode,
    TextNode,
    UnionNode,
    WildcardNode,
)

__all__ = [
    "ArrayNode",
    "BoolNode",
    "FieldNode",
    "FilterNode",
    "FloatNode",
    "IdentifierNode",
    "IntNode",
    "ListNode",
    "Node",
    "Param",
    "RecursiveNode",
    "TextNode",
    "UnionNode",
    "WildcardNode",
    "go_atoi",
    "parse_nodes",
    "unquote_extend",
]


_DICT_KEY = re.compile(r"'([^']*)'")
_SLICE = re.compile(r"(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?")
_FILTER = re.compile(r"([^!<>=]+)([!<>=]+)(.+?)")
_ATOI = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_TERMINATORS = frozenset(" \t\r\n.,[]$@{}")
_EOF = ""
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1


class _ParseError(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def _is_digit(ch: str) -> bool:
    return ch.isdecimal() if ch else False


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or _is_digit(ch)


def _is_terminator(ch: str) -> bool:
    return ch == _EOF or ch in _TERMINATORS


def go_atoi(text: str) -> int | None:
    """``strconv.Atoi`` on a 64-bit platform: ASCII digits with an optional sign, within int64."""
    if not _ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else None


def _go_parse_float(text: str) -> float | None:
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return None if value in (float("inf"), float("-inf")) else value


def _rune_name(ch: str) -> str:
    """Go's ``%#U``: ``U+007B '{'`` for printable runes, ``U+0009`` otherwise."""
    code = f"U+{ord(ch):04X}"
    printable = (ch.isprintable() and unicodedata.category(ch) not in ("Zs",)) or ch == " "
    return f"{code} '{ch}'" if printable else code


def unquote_extend(text: str) -> str:
    """client-go's ``UnquoteExtend``: Go's ``strconv.Unquote`` rules for both ``"..."`` and ``'...'`` strings."""
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "\"'":
        raise ValueError("invalid syntax")
    quote = text[0]
    body = text[1:-1]
    if "\\" not in body and quote not in body:
        return body
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == quote:
            raise ValueError("invalid syntax")
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        if i + 1 >= n:
            raise ValueError("invalid syntax")
        esc = body[i + 1]
        i += 2
        simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
        if esc in simple:
            out.append(simple[esc])
        elif esc in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i : i + width]
            if len(digits) < width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("invalid syntax")
            value = int(digits, 16)
            i += width
            if esc == "x":
                out.append(value)
            else:
                if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                    raise ValueError("invalid syntax")
                out += chr(value).encode("utf-8")
        elif esc in "01234567":
            digits = esc + body[i : i + 2]
            if len(digits) < 3 or not all(c in "01234567" for c in digits):
                raise ValueError("invalid syntax")
            value = int(digits, 8)
            if value > 255:
                raise ValueError("invalid syntax")
            i += 2
            out.append(value)
        elif esc in "'\"":
            if esc != quote:
                raise ValueError("invalid syntax")
            out.append(ord(esc))
        else:
            raise ValueError("invalid syntax")
    return out.decode("utf-8", "surrogateescape")


class _Parser:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.root = ListNode()

    # -- scanning primitives (positions are characters; upstream counts bytes, which only matters for UTF-8) --
    def next(self) -> str:
        if self.pos >= len(self.input):
            self._width = 0
            return _EOF
        self._width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def backup(self) -> None:
        self.pos -= self._width

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else _EOF

    def consume(self) -> str:
        value = self.input[self.start : self.pos]
        self.start = self.pos
        return value

    def fail(self, message: str, position: int | None = None) -> _ParseError:
        return _ParseError(message, self.pos if position is None else position)

    # -- grammar ---------------------------------------------------------------------------------------------
    def parse(self) -> ListNode:
        text = self.input
        cur: ListNode | None = None
        while True:
            if cur is None:  # parseText
                i = text.find("{", self.pos)
                if i < 0:
                    if len(text) > self.start:
                        self.root.nodes.append(TextNode(text[self.start :]))
                    return self.root
                if i > self.start:
                    self.root.nodes.append(TextNode(text[self.start : i]))
                self.pos = i + 1
                self.start = self.pos
                cur = ListNode()
                self.root.nodes.append(cur)
                continue
            if text.startswith("}", self.pos):
                self.pos += 1
                self.start = self.pos
                cur = None
                continue
            if text.startswith("[?(", self.pos):
                self.parse_filter(cur)
                continue
            if text.startswith("..", self.pos):
                self.parse_recursive(cur)
                continue
            at = self.pos
            r = self.next()
            if r == _EOF or r in "\r\n":
                raise self.fail("unclosed action", at)
            if r == " " or r == "@" or r == "$":
                self.consume()
            elif r == "[":
                self.parse_array(cur)
            elif r in "\"'":
                self.parse_quote(cur, r)
            elif r == ".":
                self.parse_field(cur)
            elif r in "+-" or _is_digit(r):
                self.backup()
                self.parse_number(cur)
            elif _is_alnum(r):
                self.backup()
                self.parse_identifier(cur)
            else:
                raise self.fail(f"unrecognized character in action: {_rune_name(r)}", at)

    def parse_identifier(self, cur: ListNode) -> None:
        while True:
            r = self.next()
            if _is_terminator(r):
                self.backup()
                break
        value = self.consume()
        if value in ("true", "false"):
            cur.nodes.append(BoolNode(value == "true"))
        else:
            cur.nodes.append(IdentifierNode(value))

    def parse_recursive(self, cur: ListNode) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], RecursiveNode):
            raise self.fail("invalid multiple recursive descent")
        self.pos += 2
        self.consume()
        cur.nodes.append(RecursiveNode())
        if _is_alnum(self.peek()):
            self.parse_field(cur)

    def parse_number(self, cur: ListNode) -> None:
        at = self.pos
        if self.peek() in ("+", "-"):
            self.next()
        while True:
            r = self.next()
            if r != "." and not _is_digit(r):
                self.backup()
                break
        value = self.consume()
        as_int = go_atoi(value)
        if as_int is not None:
            cur.nodes.append(IntNode(as_int))
            return
        as_float = _go_parse_float(value)
        if as_float is not None:
            cur.nodes.append(FloatNode(as_float))
            return
        raise self.fail(f"cannot parse number {value}", at)

    def parse_array(self, cur: ListNode) -> None:
        at = self.pos - 1
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise self.fail("unterminated array")
            if r == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            lists = [_parse_action(f"[{part.strip(' ')}]", at) for part in parts]
            cur.nodes.append(UnionNode(lists))
            return
        key = _DICT_KEY.fullmatch(text)
        if key is not None:
            cur.nodes.extend(_parse_action(f".{key.group(1)}", at).nodes)
            return
        match = _SLICE.fullmatch(text)
        if match is None:
            raise self.fail(f"invalid array index {text}", at)
        groups = [g or "" for g in match.groups()]
        params = (Param(), Param(), Param())
        for i in range(3):
            value = groups[i]
            if value:
                if i > 0:
                    value = value[1:]
                if i > 0 and value == "":
                    params[i].known = False
                else:
                    number = go_atoi(value)
                    if number is None:
                        raise self.fail(f"array index {value} is not a number", at)
                    params[i].known = True
                    params[i].value = number
            elif i == 1:
                params[i].known = True
                params[i].value = params[0].value + 1
                params[i].derived = True
        cur.nodes.append(ArrayNode(params))

    def parse_filter(self, cur: ListNode) -> None:
        at = self.pos
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise self.fail("unterminated filter", at)
            if r in "\"'":
                if not begin:
                    begin = True
                    pair = r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self.next() != "]":
            raise self.fail("unclosed array expect ]", at)
        text = self.consume()[:-2]
        match = _FILTER.fullmatch(text)
        if match is None:
            cur.nodes.append(FilterNode(_parse_action(text, at), ListNode(), "exists"))
        else:
            left = _parse_action(match.group(1), at)
            right = _parse_action(match.group(3), at)
            cur.nodes.append(FilterNode(left, right, match.group(2)))

    def parse_quote(self, cur: ListNode, end: str) -> None:
        at = self.pos - 1
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise self.fail("unterminated quoted string", at)
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self.consume()
        try:
            text = unquote_extend(value)
        except ValueError as exc:
            raise self.fail(f"unquote string {value} error {exc}", at) from None
        cur.nodes.append(TextNode(text))

    def parse_field(self, cur: ListNode) -> None:
        self.consume()
        while True:
            r = self.next()
            if r == "\\":
                self.next()
            elif _is_terminator(r):
                self.backup()
                break
        value = self.consume()
        if value == "*":
            cur.nodes.append(WildcardNode())
        else:
            cur.nodes.append(FieldNode(value.replace("\\", "")))


def _parse_action(text: str, position: int) -> ListNode:
    """Upstream's ``parseAction``: parse ``{TEXT}`` on its own and keep its first action."""
    try:
        root = _Parser("{" + text + "}").parse()
    except _ParseError as exc:
        raise _ParseError(str(exc), position) from None
    first = root.nodes[0]
    assert isinstance(first, ListNode)
    return first


def parse_nodes(template: str) -> ListNode:
    """Parse a template into upstream's node tree; errors are ``TemplateError`` with the offending offset."""
    try:
        return _Parser(template).parse()
    except _ParseError as exc:
        raise TemplateError(str(exc), template, exc.position) from None
