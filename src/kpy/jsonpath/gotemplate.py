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

import functools
from collections.abc import Callable
from typing import Any

from kpy.errors import TemplateError
from kpy.jsonpath.gofmt import go_v
from kpy.jsonpath.gotemplate_funcs import (
    FUNCTIONS,
    MISSING,
    ArgCountError,
    CallError,
    Missing,
    identity,
    print_value,
    truth,
)
from kpy.jsonpath.gotemplate_parse import (
    Break,
    Continue,
    GoTemplateError,
    Node,
    Operand,
    Parser,
    Pipeline,
)

__all__ = ["GoTemplate", "GoTemplateError"]


class GoTemplate:
    def __init__(self, text: str, *, allow_missing_keys: bool = True) -> None:
        self.text = text
        self.allow_missing_keys = allow_missing_keys
        try:
            self.nodes = Parser(text).parse()
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
                    self.write(print_value(value))
            elif node.kind in ("if", "with"):
                mark = len(self.vars)
                value = self.pipeline(node.pipe, dot)
                if truth(value):
                    self.walk(node.body, value if node.kind == "with" else dot)
                else:
                    self.walk(node.orelse, dot)
                del self.vars[mark:]
            elif node.kind == "range":
                self.range(node, dot)
            elif node.kind == "break":
                raise Break
            elif node.kind == "continue":
                raise Continue

    def range(self, node: Node, dot: Any) -> None:
        mark = len(self.vars)
        pipe: Pipeline = node.pipe
        value = self.pipeline(Pipeline([], False, pipe.commands), dot)
        if isinstance(value, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(value))
        elif isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif value is None or isinstance(value, Missing):
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
            except Break:
                del self.vars[mark:]
                break
            except Continue:
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
                args.append(functools.partial(identity, piped))
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
            if isinstance(value, Missing):
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
                    raise CallError(f"wrong number of args for {name}: want at least 1 got 0")
                value: Any = MISSING
                for arg in args:
                    value = arg()
                    if truth(value) == (name == "or"):
                        return value
                return value
            values = [arg() for arg in args]
            return FUNCTIONS[name](*values)
        except CallError as exc:
            raise self.fail(ident.pos, context, f"error calling {name}: {exc}") from None
        except ArgCountError as exc:
            raise self.fail(ident.pos, context, str(exc)) from None
