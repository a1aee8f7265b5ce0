"""Start-up tuning of the click command tree that typer builds: cheap value coercion and plain-text help.

typer (>= 0.29) coerces every parameter value, even an unset one, through a pydantic ``TypeAdapter`` that it
builds on first use; importing pydantic and building ~40 adapters costs more than the rest of a ``kpy`` run. For
the plain annotations kpy uses (``str``, ``int``, ``float``, ``bool``, ``list[str]``) the unambiguous values
(strings, canonical integers and decimals, values already of the right type) are converted here directly, with
the results pydantic would give; anything else (``1_000``, `` 5``, ``abc``, a parser, bounds, paths, choices)
goes to typer's own coercion, so results and error messages stay exactly typer's.

Help is rendered with click's plain formatter instead of rich (rich costs ~100 ms to import and boxes
help into panels truncated at 80 columns): the description wrapped, the ``Examples:`` block verbatim like
kubectl's, then ``Arguments``, ``Options`` and one section per ``rich_help_panel`` (``Global flags``).

Both hooks rely on typer's parameter internals (``type_descriptor``/``_runtime_param``); when they are missing
(another typer version), nothing is changed and typer's behaviour is kept.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")


class FastCoercion:
    """Duck-typed stand-in for typer's ``RuntimeParam``: the common cases here, the rest to typer's own."""

    __slots__ = ("_typer", "descriptor", "kind")

    def __init__(self, descriptor: Any, kind: str) -> None:
        self.descriptor = descriptor
        self.kind = kind
        self._typer: Any = None

    def _fallback(self) -> Any:
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self.descriptor)
        return self._typer

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        converted = self._convert(value, multi)
        if converted is not _NO:
            return converted
        return self._fallback().coerce(value, param=param, ctx=ctx)

    def _convert(self, value: Any, multi: bool) -> Any:
        kind = self.kind
        if kind == "list":
            if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
            return _NO
        if multi:
            return _NO
        value_type = type(value)
        if kind == "str":
            return value if value_type is str else _NO
        if kind == "bool":
            return value if value_type is bool else _NO
        if kind == "int":
            if value_type is int:
                return value
            if value_type is str and _INT.fullmatch(value):
                return int(value)
            return _NO
        if kind == "float":
            if value_type is float:
                return value
            if value_type is str and _FLOAT.fullmatch(value):
                return float(value)
            return _NO
        return _NO


_NO = object()
_KINDS: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool", list[str]: "list"}


def _fast_kind(param: Any) -> str | None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not hasattr(param, "_runtime_param") or not hasattr(param, "get_runtime_param"):
        return None
    kind = _KINDS.get(descriptor.annotation)
    info = descriptor.parameter_info
    if kind is None or getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return None
    if getattr(info, "min", None) is not None or getattr(info, "max", None) is not None or getattr(info, "clamp", False):
        return None
    try:
        if descriptor.is_file or descriptor.is_path or descriptor.is_choice:
            return None
    except Exception:  # an unexpected descriptor: leave the parameter to typer
        return None
    return kind


def tune(command: Any) -> Any:
    """Install the fast coercion and plain help on ``command`` and every subcommand; returns ``command``."""
    seen: set[int] = set()

    def walk(cmd: Any) -> None:
        if id(cmd) in seen:
            return
        seen.add(id(cmd))
        for param in getattr(cmd, "params", []):
            _tune_param(param)
        if hasattr(cmd, "get_help_option"):  # click creates --help on first use: tune it then
            cmd.get_help_option = _tuned_help_option(cmd.get_help_option)
        if hasattr(cmd, "rich_markup_mode"):
            cmd.rich_markup_mode = None
            cmd.format_help_text = _bind(_format_help_text, cmd)
            cmd.format_options = _bind(_format_options, cmd)
        if hasattr(cmd, "collect_usage_pieces"):
            cmd.collect_usage_pieces = lambda ctx, cmd=cmd: usage_pieces(cmd, ctx)
        for sub in (getattr(cmd, "commands", None) or {}).values():
            walk(sub)

    walk(command)
    return command


def _tune_param(param: Any) -> None:
    kind = _fast_kind(param)
    if kind is not None and param._runtime_param is None:
        param._runtime_param = FastCoercion(param.type_descriptor, kind)


def _tuned_help_option(get_help_option: Any) -> Any:
    def tuned(ctx: Any) -> Any:
        option = get_help_option(ctx)
        if option is not None:
            _tune_param(option)
        return option

    return tuned


def _bind(fn: Any, cmd: Any) -> Any:
    def bound(ctx: Any, formatter: Any) -> None:
        fn(cmd, ctx, formatter)

    return bound


def _format_help_text(cmd: Any, ctx: Any, formatter: Any) -> None:
    text = inspect.cleandoc(cmd.help or "").partition("\f")[0]
    if not text:
        return
    description, marker, examples = text.partition("\nExamples:")
    if not marker and text.startswith("Examples:"):
        description, marker, examples = "", "Examples:", text[len("Examples:"):]
    if description.strip():
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(description.strip())
    if marker:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text("Examples:")
            lines = examples.strip("\n").split("\n")
            common = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
            for line in lines:
                line = line[common:].rstrip()
                formatter.write(f"{'':>{formatter.current_indent + 2}}{line}\n" if line else "\n")


_PY_TYPE = re.compile(r" <(str|int|float|bool|list\[str\])>$")
_CLICK_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "list[str]": "TEXT"}
_LONG_FLOAT_DEFAULT = re.compile(r"\[default: (-?\d+\.\d{7,})\]")


def usage_pieces(cmd: Any, ctx: Any) -> list[str]:
    """click's usage pieces, with an argument's own metavar verbatim (typer wraps it in more brackets)."""
    pieces = [cmd.options_metavar] if getattr(cmd, "options_metavar", None) else []
    for param in cmd.get_params(ctx):
        if param.param_type_name == "argument" and param.metavar:
            pieces.append(str(param.metavar))
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    if getattr(cmd, "subcommand_metavar", None):
        pieces.append(cmd.subcommand_metavar)
    return pieces


def _clean_record(param: Any, record: tuple[str, str]) -> tuple[str, str]:
    """No Python types in help (``<str>`` → ``TEXT`` like click, none after an argument's metavar) and no
    float noise in defaults (``0.0033333333333333335`` → ``0.00333333``)."""
    names, text = record
    match = _PY_TYPE.search(names)
    if match:
        kind = "" if param.param_type_name == "argument" else " " + _CLICK_NAMES[match.group(1)]
        names = names[: match.start()] + kind
    text = _LONG_FLOAT_DEFAULT.sub(lambda m: f"[default: {float(m.group(1)):.6g}]", text)
    return names, text


def _format_options(cmd: Any, ctx: Any, formatter: Any) -> None:
    sections: dict[str, list[tuple[str, str]]] = {}
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        record = _clean_record(param, record)
        if param.param_type_name == "argument":
            title = "Arguments"
        else:
            title = getattr(param, "rich_help_panel", None) or "Options"
        sections.setdefault(title, []).append(record)
    ordered = ["Arguments", "Options", *[t for t in sections if t not in ("Arguments", "Options")]]
    for title in ordered:
        if sections.get(title):
            with formatter.section(title):
                formatter.write_dl(sections[title])
    format_commands = getattr(cmd, "format_commands", None)
    if format_commands is not None:
        format_commands(ctx, formatter)
