"""Go ``text/template``'s lexer and parser for ``-o go-template`` (see :mod:`kpy.jsonpath.gotemplate`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kpy.jsonpath.gofmt import GoInt, go_quote

_TOKEN = re.compile(
    r"""\s+|(?P<decl>:=)|(?P<assign>=)|(?P<pipe>\|)|(?P<lparen>\()|(?P<rparen>\))|(?P<comma>,)
    |(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)|(?P<char>'(?:[^'\\]|\\.)+')
    |(?P<num>[+-]?(?:0[xX][0-9a-fA-F_]+|(?:[0-9][0-9_]*)?\.?[0-9]+(?:[eE][+-]?[0-9]+)?))
    |(?P<var>\$[A-Za-z0-9_]*)|(?P<field>(?:\.[A-Za-z0-9_]+)+)|(?P<dot>\.)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)""",
    re.X,
)
_CHAIN = re.compile(r"(?:\.[A-Za-z0-9_]+)+")
_FUNCS = {
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "index",
    "printf",
    "print",
    "println",
    "base64decode",
    "exists",
}


class GoTemplateError(Exception):
    pass


class Break(Exception):
    pass


class Continue(Exception):
    pass


# -- parse --------------------------------------------------------------------------------------------------
@dataclass
class Node:
    kind: str  # text | action | if | range | with | break | continue
    pos: int = 0
    text: str = ""
    pipe: Any = None
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)


@dataclass
class Operand:
    kind: str  # field | var | dot | str | num | bool | nil | ident | pipe
    pos: int
    value: Any = None
    chain: tuple[str, ...] = ()
    text: str = ""


@dataclass
class Pipeline:
    decl: list[str]
    assign: bool
    commands: list[list[Operand]]


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def fail(self, pos: int, message: str) -> GoTemplateError:
        return GoTemplateError(f"template: output:{self.line(pos)}: {message}")

    def actions(self) -> Iterator[tuple[str, int, str]]:
        """("text", pos, text) and ("action", pos, inner) pieces, with trim markers applied."""
        text, pos, pending_trim = self.text, 0, False
        while True:
            start = text.find("{{", pos)
            chunk = text[pos:] if start < 0 else text[pos:start]
            if pending_trim:
                chunk = chunk.lstrip(" \t\r\n")
            if start < 0:
                if chunk:
                    yield "text", pos, chunk
                return
            inner_start = start + 2
            if (
                text.startswith("- ", inner_start)
                or text.startswith("-\t", inner_start)
                or text.startswith("-\n", inner_start)
            ):
                chunk = chunk.rstrip(" \t\r\n")
                inner_start += 1
            if chunk:
                yield "text", pos, chunk
            end = self._action_end(inner_start)
            inner_end, close = end, end + 2
            pending_trim = False
            if (
                end - 1 >= inner_start
                and text[end - 1] == "-"
                and end - 2 >= inner_start
                and text[end - 2] in " \t\r\n"
            ):
                inner_end, pending_trim = end - 1, True
            yield "action", inner_start, text[inner_start:inner_end]
            pos = close

    def _action_end(self, start: int) -> int:
        i, text = start, self.text
        stripped = text[start:].lstrip()
        if stripped.startswith("/*"):
            end = text.find("*/", start)
            if end < 0:
                raise self.fail(start, "unclosed comment")
            close = text.find("}}", end)
            if close < 0:
                raise self.fail(start, "unclosed action")
            return close
        while i < len(text):
            if text.startswith("}}", i):
                return i
            ch = text[i]
            if ch in "\"`'":
                j = i + 1
                while j < len(text) and text[j] != ch:
                    if text[j] == "\n" and ch != "`":
                        raise self.fail(i, "unterminated quoted string")
                    j += 2 if text[j] == "\\" and ch != "`" else 1
                if j >= len(text):
                    raise self.fail(
                        i, "unterminated quoted string" if ch != "`" else "unterminated raw quoted string"
                    )
                i = j + 1
                continue
            i += 1
        raise self.fail(start, "unclosed action")

    def parse(self) -> list[Node]:
        pieces = list(self.actions())
        nodes, _, end = self._list(pieces, 0)
        if end is not None:
            raise self.fail(end[1], f"unexpected {{{{{end[0]}}}}}")
        return nodes

    def _list(
        self, pieces: list[tuple[str, int, str]], i: int
    ) -> tuple[list[Node], int, tuple[str, int] | None]:
        nodes: list[Node] = []
        while i < len(pieces):
            kind, pos, text = pieces[i]
            i += 1
            if kind == "text":
                nodes.append(Node("text", pos, text))
                continue
            words = text.strip()
            if words.startswith("/*"):
                continue
            match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", words)
            keyword = match.group() if match else ""
            rest_pos = pos + text.index(keyword) + len(keyword) if keyword else pos
            if keyword in ("end", "else"):
                return nodes, i - 1, (words, pos)
            if keyword in ("if", "range", "with"):
                node = Node(
                    keyword,
                    pos,
                    pipe=self.pipeline(text[text.index(keyword) + len(keyword) :], rest_pos, keyword),
                )
                i = self._block(node, pieces, i)
                nodes.append(node)
            elif keyword in ("break", "continue"):
                nodes.append(Node(keyword, pos))
            elif keyword in ("define", "template", "block"):
                raise self.fail(pos, f'"{keyword}" is not supported by kpy\'s go-template')
            elif not words:
                raise self.fail(pos, "missing value for command")
            else:
                nodes.append(Node("action", pos, pipe=self.pipeline(text, pos, "command")))
        return nodes, i, None

    def _block(self, node: Node, pieces: list[tuple[str, int, str]], i: int) -> int:
        body, i, end = self._list(pieces, i)
        node.body = body
        if end is None:
            raise self.fail(node.pos, "unexpected EOF")
        words, pos = end
        i += 1
        if words == "end":
            return i
        rest = words[len("else") :].strip()
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
        keyword = match.group() if match else ""
        if keyword in ("if", "with"):  # {{else if ...}} / {{else with ...}}: a nested block sharing this end
            inner = Node(keyword, pos, pipe=self.pipeline(rest[len(keyword) :], pos, keyword))
            i = self._block(inner, pieces, i)
            node.orelse = [inner]
            return i
        if rest:
            raise self.fail(pos, f"unexpected {rest!r} in else")
        node.orelse, i, end = self._list(pieces, i)
        if end is None or end[0] != "end":
            raise self.fail(pos, "expected end; found " + (f"{{{{{end[0]}}}}}" if end else "EOF"))
        return i + 1

    def pipeline(self, text: str, pos: int, context: str) -> Pipeline:
        tokens = self._tokens(text, pos)
        decl: list[str] = []
        assign = False
        if len(tokens) >= 2 and tokens[0][0] == "var":
            if tokens[1][0] in ("decl", "assign"):
                decl, assign, tokens = [tokens[0][1]], tokens[1][0] == "assign", tokens[2:]
            elif (
                context == "range"
                and len(tokens) >= 4
                and tokens[1][0] == "comma"
                and tokens[2][0] == "var"
                and tokens[3][0] in ("decl", "assign")
            ):
                decl, assign, tokens = [tokens[0][1], tokens[2][1]], tokens[3][0] == "assign", tokens[4:]
        commands, rest = self._commands(tokens, pos)
        if rest:
            raise self.fail(pos, f"unexpected {rest[0][1]!r} in {context}")
        if not commands:
            raise self.fail(pos, f"missing value for {context}")
        return Pipeline(decl, assign, commands)

    def _tokens(self, text: str, pos: int) -> list[tuple[str, str, int]]:
        out: list[tuple[str, str, int]] = []
        i = 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if m is None:
                raise self.fail(pos + i, f"unexpected {go_quote(text[i])} in command")
            if m.lastgroup is not None:
                out.append((m.lastgroup, m.group(), pos + i))
            i = m.end()
        return out

    def _commands(
        self, tokens: list[tuple[str, str, int]], pos: int
    ) -> tuple[list[list[Operand]], list[tuple[str, str, int]]]:
        commands: list[list[Operand]] = []
        current: list[Operand] = []
        i = 0
        while i < len(tokens):
            kind, _, at = tokens[i]
            if kind == "pipe":
                if not current:
                    raise self.fail(at, "missing command")
                commands.append(current)
                current = []
                i += 1
                continue
            if kind == "rparen":
                break
            operand, i = self._operand(tokens, i)
            current.append(operand)
        if current:
            commands.append(current)
        elif commands:
            raise self.fail(pos, "missing command")
        return commands, tokens[i:]

    def _operand(self, tokens: list[tuple[str, str, int]], i: int) -> tuple[Operand, int]:
        kind, text, at = tokens[i]
        i += 1
        if kind == "lparen":
            inner, rest = self._commands(tokens[i:], at)
            if not rest or rest[0][0] != "rparen":
                raise self.fail(at, "unclosed left paren")
            i += len(tokens[i:]) - len(rest) + 1
            text = " | ".join(" ".join(o.text for o in command) for command in inner)
            operand = Operand("pipe", at, Pipeline([], False, inner), text=f"({text})")
        elif kind == "field":  # Go positions a chain of fields at its second one
            second = text.find(".", 1)
            operand = Operand(
                "field", at + second if second > 0 else at, chain=tuple(text[1:].split(".")), text=text
            )
        elif kind == "var":
            operand = Operand("var", at, value=text, text=text)
        elif kind == "dot":
            operand = Operand("dot", at, text=".")
        elif kind in ("str", "raw"):
            operand = Operand("str", at, _unquote(text) if kind == "str" else text[1:-1], text=text)
        elif kind == "num":
            operand = Operand("num", at, _number(text), text=text)
        elif kind == "ident":
            if text in ("true", "false"):
                operand = Operand("bool", at, text == "true", text=text)
            elif text == "nil":
                operand = Operand("nil", at, None, text=text)
            elif text in _FUNCS:
                operand = Operand("ident", at, text, text=text)
            else:
                raise self.fail(at, f'function "{text}" not defined')
        elif kind == "char":
            operand = Operand("num", at, ord(_unquote('"' + text[1:-1] + '"')), text=text)
        else:
            raise self.fail(at, f"unexpected {text!r} in operand")
        if i < len(tokens) and tokens[i][0] == "field" and operand.kind in ("var", "pipe"):
            operand.chain = tuple(tokens[i][1][1:].split("."))
            operand.text += tokens[i][1]
            operand.pos = tokens[i][2]
            i += 1
        return operand, i


def _unquote(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        value = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return str(value)


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    try:
        return GoInt(int(clean, 0))  # an integer constant is a Go int (data integers are int64)
    except ValueError:
        return float(clean)


# -- execute ------------------------------------------------------------------------------------------------
