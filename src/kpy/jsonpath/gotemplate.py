"""``-o go-template``: the part of Go's ``text/template`` kubectl users write, with kubectl's functions.

Supported: text with ``{{ }}`` actions (``{{-``/``-}}`` trimming, ``{{/* comments */}}``); fields (``.a.b``),
variables (``$``, ``$x := …``, ``$x = …``, ``range $i, $v := …``), parenthesised pipelines and ``|``; ``if``/
``else if``/``else``, ``range`` (lists, maps in key order; ``else``), ``with``, ``break``, ``continue``;
the functions ``and or not eq ne lt le gt ge len index printf print println`` and kubectl's ``base64decode`` and
``exists``. Values print as Go's ``fmt`` prints them (``<no value>`` for a missing key, ``map[k:v]``, ``[a b]``).
Missing keys follow ``missingkey=default`` or, with ``--allow-missing-template-keys=false``, ``missingkey=error``.
Error texts are Go's (``template: output:1:2: executing "output" at <.x>: map has no entry for key "x"``).
Not supported (a parse error names them): ``define``/``template``/``block``, ``html``/``js``/``urlquery``/
``slice``/``call``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kpy.errors import TemplateError
from kpy.jsonpath.gofmt import GoInt, go_quote, go_v


class _Missing:
    """Go's invalid ``reflect.Value``: what a missing map key gives under ``missingkey=default``."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


class _Zero(_Missing):
    """What ``index`` gives for a missing key or a null: prints as ``<no value>``, indexing it is a nil pointer."""


ZERO: Any = _Zero()

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


class _Break(Exception):
    pass


class _Continue(Exception):
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


class _Parser:
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
class GoTemplate:
    def __init__(self, text: str, *, allow_missing_keys: bool = True) -> None:
        self.text = text
        self.allow_missing_keys = allow_missing_keys
        try:
            self.nodes = _Parser(text).parse()
        except GoTemplateError as exc:
            raise TemplateError(str(exc), text) from None

    def execute(self, data: Any, write: Callable[[str], object]) -> None:
        """Run the template over ``data``, writing as it goes (like Go, output before an error stays)."""
        state = _State(self, data, write)
        state.walk(self.nodes, data)


class _State:
    def __init__(self, template: GoTemplate, data: Any, write: Callable[[str], object]) -> None:
        self.template = template
        self.write = write
        self.vars: list[tuple[str, Any]] = [("$", data)]

    def fail(self, pos: int, context: str, message: str) -> GoTemplateError:
        text = self.template.text
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1)
        return GoTemplateError(f'template: output:{line}:{col}: executing "output" at <{context}>: {message}')

    def walk(self, nodes: list[Node], dot: Any) -> None:
        for node in nodes:
            if node.kind == "text":
                self.write(node.text)
            elif node.kind == "action":
                value = self.pipeline(node.pipe, dot)
                if not node.pipe.decl:
                    self.write(_print(value))
            elif node.kind in ("if", "with"):
                mark = len(self.vars)
                value = self.pipeline(node.pipe, dot)
                if _truth(value):
                    self.walk(node.body, value if node.kind == "with" else dot)
                else:
                    self.walk(node.orelse, dot)
                del self.vars[mark:]
            elif node.kind == "range":
                self.range(node, dot)
            elif node.kind == "break":
                raise _Break
            elif node.kind == "continue":
                raise _Continue

    def range(self, node: Node, dot: Any) -> None:
        mark = len(self.vars)
        pipe: Pipeline = node.pipe
        value = self.pipeline(Pipeline([], False, pipe.commands), dot)
        if isinstance(value, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(value))
        elif isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif value is None or isinstance(value, _Missing):
            pairs = []
        else:
            first = pipe.commands[0][0]
            text = " | ".join(" ".join(o.text for o in command) for command in pipe.commands)
            raise self.fail(first.pos, text, f"range can't iterate over {go_v(value)}")
        for key, item in pairs:
            if len(pipe.decl) == 1:
                self.vars.append((pipe.decl[0], item))
            elif len(pipe.decl) == 2:
                self.vars.extend([(pipe.decl[0], key), (pipe.decl[1], item)])
            try:
                self.walk(node.body, item)
            except _Break:
                del self.vars[mark:]
                break
            except _Continue:
                pass
            del self.vars[mark:]
        if not pairs:
            self.walk(node.orelse, dot)
        del self.vars[mark:]

    def pipeline(self, pipe: Pipeline, dot: Any) -> Any:
        value: Any = MISSING
        final = False
        for command in pipe.commands:
            value = self.command(command, dot, value if final else None, final)
            final = True
        if pipe.decl:
            name = pipe.decl[0]
            if pipe.assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == name:
                        self.vars[i] = (name, value)
                        break
                else:
                    raise GoTemplateError(f"template: output: undefined variable: {name}")
            else:
                self.vars.append((name, value))
        return value

    def command(self, command: list[Operand], dot: Any, piped: Any, has_piped: bool) -> Any:
        first = command[0]
        if first.kind == "ident":
            args: list[Callable[[], Any]] = [functools.partial(self.operand, op, dot) for op in command[1:]]
            if has_piped:
                args.append(functools.partial(_identity, piped))
            return self.call(first, args, " ".join(op.text for op in command))
        if len(command) > 1 or has_piped:
            raise self.fail(first.pos, first.text, f"can't give argument to non-function {first.text}")
        return self.operand(first, dot)

    def operand(self, op: Operand, dot: Any) -> Any:
        if op.kind == "dot":
            return dot
        if op.kind in ("str", "num", "bool", "nil"):
            return op.value
        if op.kind == "field":
            return self.chain(op, dot, op.chain)
        if op.kind == "var":
            for name, value in reversed(self.vars):
                if name == op.value:
                    return self.chain(op, value, op.chain)
            raise GoTemplateError(f"template: output: undefined variable: {op.value}")
        if op.kind == "pipe":
            return self.chain(op, self.pipeline(op.value, dot), op.chain)
        raise self.fail(op.pos, op.text, f"can't evaluate {op.text}")  # an identifier used as a value

    def chain(self, op: Operand, value: Any, names: tuple[str, ...]) -> Any:
        for name in names:
            if isinstance(value, _Missing):
                if not self.template.allow_missing_keys:
                    raise self.fail(op.pos, op.text, f'nil data; no entry for key "{name}"')
                continue
            if value is None:
                raise self.fail(op.pos, op.text, f"nil pointer evaluating interface {{}}.{name}")
            if not isinstance(value, dict):
                raise self.fail(op.pos, op.text, f"can't evaluate field {name} in type interface {{}}")
            if name in value:
                value = value[name]
            elif self.template.allow_missing_keys:
                value = MISSING
            else:
                raise self.fail(op.pos, op.text, f'map has no entry for key "{name}"')
        return value

    def call(self, ident: Operand, args: list[Callable[[], Any]], context: str) -> Any:
        name = str(ident.value)
        try:
            if name in ("and", "or"):
                if not args:
                    raise _CallError(f"wrong number of args for {name}: want at least 1 got 0")
                value: Any = MISSING
                for arg in args:
                    value = arg()
                    if _truth(value) == (name == "or"):
                        return value
                return value
            values = [arg() for arg in args]
            return _FUNCTIONS[name](*values)
        except _CallError as exc:
            raise self.fail(ident.pos, context, f"error calling {name}: {exc}") from None
        except _ArgCountError as exc:
            raise self.fail(ident.pos, context, str(exc)) from None


def _identity(value: Any) -> Any:
    return value


class _CallError(Exception):
    pass


class _ArgCountError(Exception):
    pass


def _truth(value: Any) -> bool:
    if isinstance(value, _Missing) or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    if isinstance(value, (int, float)):
        return value != 0
    return True


def _print(value: Any) -> str:
    """An action's value as Go prints it: a missing key and a null are both ``<no value>``."""
    return "<no value>" if isinstance(value, _Missing) or value is None else go_v(value)


def _fmt_v(value: Any) -> str:
    """``%v`` of a function argument (a null or a missing key is ``<nil>`` there)."""
    return "<nil>" if isinstance(value, _Missing) else go_v(value)


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
    raise _CallError("invalid type for comparison")


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise _ArgCountError("wrong number of args for eq: want at least 2 got 1")
    for other in others:
        a, b = _basic(first), _basic(other)
        if a != b:
            if "nil" in (a, b):
                raise _CallError("incompatible types for comparison")
            raise _CallError("incompatible types for comparison")
        if first == other:
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _basic(a), _basic(b)
    if ka != kb:
        raise _CallError("incompatible types for comparison")
    if ka in ("bool", "nil"):
        raise _CallError("invalid type for comparison")
    return bool(a < b)


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, dict)):
        return len(value)
    raise _CallError(f"len of type {'<nil>' if value is None or value is MISSING else _go_type(value)}")


def _go_type(value: Any) -> str:
    if isinstance(value, GoInt):
        return "int"
    return {bool: "bool", int: "int64", float: "float64", str: "string"}.get(type(value), "interface {}")


def _index(item: Any, *indices: Any) -> Any:
    for index in indices:
        if isinstance(item, (list, str)):
            if not isinstance(index, int) or isinstance(index, bool):
                raise _CallError(f"cannot index slice/array with type {_go_type(index)}")
            if not 0 <= index < len(item):
                raise _CallError(f"index out of range: {index}")
            item = item[index] if isinstance(item, list) else item.encode()[index]
        elif isinstance(item, dict):
            if not isinstance(index, str):
                raise _CallError(f"value has type {_go_type(index)}; should be string")
            item = item.get(index, ZERO)
        elif item is None or item is ZERO:
            raise _CallError("index of nil pointer")
        elif item is MISSING:
            raise _CallError("index of untyped nil")
        else:
            raise _CallError(f"can't index item of type {_go_type(item)}")
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
        raise _CallError(f"wrong type for value; expected string; got {_go_type(value)}")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as exc:
        raise _CallError(f"base64 decode failed: {_b64_reason(value, exc)}") from None


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
        raise _CallError(f"wrong type for value; expected string; got {_go_type(fmt)}")
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
    if value is None or isinstance(value, _Missing):
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


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "not": lambda *a: _arity("not", 1, a) or not _truth(a[0]),
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
        raise _ArgCountError(f"wrong number of args for {name}: want {want} got {len(args)}")
    return False
