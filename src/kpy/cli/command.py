"""The one way to write a kpy command: kubectl's Options → Complete → Validate → Run.

A command module under ``kpy/cli/`` holds one frozen dataclass (made with ``kpy.dataclasslite.dataclass``,
which ``option()`` and the others need), a subclass of ``Options`` (or of
``ClientOptions`` when it talks to a server). Its fields ARE the command line: each field is declared with
``option()``, ``flag()`` or ``argument()`` and becomes one flag or argument, in field order. Then:

* ``complete(ctx)`` returns a completed copy: defaults derived from the kubeconfig, the namespace, the engine
  (a client, a clock ...) the command will use; nothing is printed here;
* ``validate()`` is pure: it raises ``kpy.errors.UsageError`` (the one usage-error type, exit code 1);
* ``run(ctx)`` calls the library and renders; it returns the exit code (or a coroutine that does: the one
  asyncio boundary, ``asyncio.run``, is here in ``execute``).

``ctx`` is the ``RunContext`` of this one run: the root flags, ``--debug``, ``-v`` and the engine seam
(``open_client``: how a ``RestClient`` is opened). Nothing is process-wide, so in-process runs
(``kpy.cli.main.run([...])``) never leak state into each other; tests swap the engine by passing their own
``RunContext`` to ``kpy.cli.main.run``. The module's ``register(app)`` is one line: ``add_command(app, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from types import CoroutineType

from kpy.cli.context import RunContext as RunContext  # the per-run state every command's methods take
from kpy.config.flags import ConnectionFlags
from kpy.dataclasslite import dataclass, field, fields

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from dataclasses import Field
    from typing import Any, ClassVar, Literal, TypeVar

    OptionsT = TypeVar("OptionsT", bound="Options")
    T = TypeVar("T")
else:
    Any = object  # the run-time value of the aliases below (mypy reads typing's)

#: where a field's command-line declaration is kept in ``dataclasses.field(metadata=...)``
_PARAM = "kpy.cli.param"

Completer = Callable[[Any, str], list[str]]


def lazy_completer(name: str) -> Completer:
    """A completer that calls ``kpy.cli.completion.<name>``, imported when the shell asks for completions, not
    when a command runs (importing it costs ~11 ms of start-up)."""

    def complete(*args: Any, **kwargs: Any) -> list[str]:
        from kpy.cli import completion

        result: list[str] = getattr(completion, name)(*args, **kwargs)
        return result

    complete.__name__ = complete.__qualname__ = name
    return complete


@dataclass(frozen=True)
class Param:
    """How one Options field appears on the command line."""

    kind: Literal["option", "flag", "argument"]
    decls: tuple[str, ...] = ()
    help: str = ""
    metavar: str | None = None
    complete: Completer | None = None
    hidden: bool = False
    #: an option that may be repeated (``list[str]``), or an argument taking every remaining word
    multiple: bool = False
    #: True, False, or the text shown as the default (``localhost``)
    show_default: bool | str = True
    #: the help section the flag is listed in (default: ``Options``)
    panel: str | None = None


def option(
    *decls: str,
    default: Any,
    help: str,
    metavar: str | None = None,
    complete: Completer | None = None,
    multiple: bool = False,
    hidden: bool = False,
    show_default: bool | str = True,
    panel: str | None = None,
) -> Any:
    """A flag that takes a value: ``output: str = option("-o", "--output", default="", help=...)``."""
    param = Param("option", decls, help, metavar, complete, hidden, multiple, show_default, panel)
    if multiple:
        return field(default_factory=lambda: tuple(default or ()), metadata={_PARAM: param})
    return field(default=default, metadata={_PARAM: param})


def flag(
    *decls: str,
    help: str = "",
    default: bool | None = False,
    hidden: bool = False,
    show_default: bool = True,
    panel: str | None = None,
) -> Any:
    """A boolean switch (``--client``, or ``--x/--no-x`` with ``default=True``); ``--client=false`` works as in
    kubectl. ``default=None`` (with ``--x/--no-x``) tells "not given" apart."""
    param = Param("flag", decls, help, hidden=hidden, show_default=show_default, panel=panel)
    return field(default=default, metadata={_PARAM: param})


def argument(
    *,
    metavar: str,
    help: str = "",
    multiple: bool = False,
    complete: Completer | None = None,
    default: Any = None,
) -> Any:
    """A positional argument; ``multiple=True`` takes every remaining word (a tuple of strings)."""
    param = Param("argument", (), help, metavar, complete, multiple=multiple, show_default=False)
    if multiple:
        return field(default=(), metadata={_PARAM: param})
    return field(default=default, metadata={_PARAM: param})


def params(options: type[Options]) -> list[tuple[Field[Any], Param]]:
    """The command-line fields of an Options class, in declaration order."""
    from kpy._dataclasslite import Field as LiteField

    found = fields(options)
    for f in found:
        if isinstance(f.default, LiteField):
            raise TypeError(f"{options.__qualname__}: declare it with kpy.dataclasslite.dataclass")
    return [(f, f.metadata[_PARAM]) for f in found if _PARAM in f.metadata]


@dataclass(frozen=True)
class Options:
    """Base of every command's options. Subclasses are frozen dataclasses whose fields use ``option()``,
    ``flag()`` and ``argument()``; they override ``complete``/``validate``/``run``."""

    #: this command takes the global connection flags (``--kubeconfig``, ``-n``, ``--debug`` ...)
    connection: ClassVar[bool] = False

    def complete(self: OptionsT, ctx: RunContext) -> OptionsT:
        """Fill in what depends on the environment (kubeconfig, defaults, the engine); no output."""
        return self

    def validate(self) -> None:
        """Check the completed options; raise ``kpy.errors.UsageError``. Pure."""

    def run(self, ctx: RunContext) -> int | Coroutine[Any, Any, int]:
        """Do the work through the library and render it; return the exit code."""
        raise NotImplementedError

    def one_shot(self) -> bool:
        """True when ``run``'s coroutine only makes requests one after the other (no watch, no concurrency that
        matters): it is then driven without an event loop over the REST layer's blocking transport
        (``kpy.rest.blocking``), which keeps asyncio and aiohttp out of the process."""
        return False


@dataclass(frozen=True)
class ClientOptions(Options):
    """Options of a command that talks to a server: ``flags`` are the merged global flags (command-level
    values win over the ones given before the command)."""

    connection: ClassVar[bool] = True
    flags: ConnectionFlags = field(default_factory=ConnectionFlags)


def execute(options: Options, ctx: RunContext) -> int:
    """complete → validate → run; the one asyncio boundary of a command."""
    completed = options.complete(ctx)
    completed.validate()
    result = completed.run(ctx)
    if isinstance(result, CoroutineType):
        if completed.one_shot():
            from kpy.rest.blocking import run

            pending: list[Coroutine[Any, Any, int]] = [result]

            def coroutine() -> Coroutine[Any, Any, int]:
                if pending:
                    return pending.pop()
                again = completed.run(ctx)  # the first one needed the event loop after all
                assert isinstance(again, CoroutineType)
                return again

            result = run(coroutine)
        else:
            result = run_async(result)
    assert isinstance(result, int)
    return result


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``. Ctrl-C becomes KeyboardInterrupt for ``main`` to turn into 130."""
    import asyncio  # here, not at the top: start-up and offline paths (help, get --local) never load it

    return asyncio.run(coro)


def add_command(
    group: Any,
    name: str,
    options: type[Options],
    *,
    help: str,
    context_settings: dict[str, Any] | None = None,
    after_dash: str | None = None,
    no_args_is_help: bool = False,
) -> None:
    """Register ``options`` as the command ``name`` of ``group``: its fields become the parameters, and a run
    builds ``options(**values)`` and runs it (``execute``) with the run's ``RunContext``.

    ``after_dash`` names a field (``tuple[str, ...] | None``) that receives the words after ``--``
    (``kpy exec POD -- CMD ARGS``), never parsed as kpy's; it is None when the line has no ``--``.
    """
    from kpy.cli import framework

    key = f"kpy.after-dash.{after_dash}"

    def words(ctx: Any) -> dict[str, Any]:
        found = ctx.meta.get(key)
        return {after_dash: None if found is None else tuple(found)} if after_dash else {}

    command = framework.Command(
        name,
        params=click_params(options),
        callback=make_callback(options, extra=words if after_dash else None),
        help=help,
        no_args_is_help=no_args_is_help,
        dash_key=key if after_dash else None,
        context_settings={"help_option_names": ["-h", "--help"], **(context_settings or {})},
    )
    group.add_command(command, name)


def make_callback(
    options: type[Options], *, extra: Callable[[Any], dict[str, Any]] | None = None
) -> Callable[..., int]:
    """The click callback of a command (or of a group that runs like one): ``extra(ctx)`` adds the values
    of non-flag fields taken from the parsed context (``kpy elect -- CMD``)."""
    import click

    from kpy.cli import common  # not at import time: kpy.cli.quick runs commands without click
    from kpy.errors import UsageError

    declared = params(options)

    def callback(**values: Any) -> int:
        ctx = click.get_current_context()
        run = common.run_context(ctx)
        kwargs: dict[str, Any] = {}
        for f, p in declared:
            value = values.pop(f.name)
            kwargs[f.name] = tuple(value or ()) if p.multiple else value
        if options.connection:
            kwargs["flags"] = common.command_flags(run, values)
        if extra is not None:
            kwargs.update(extra(ctx))
        try:
            return execute(options(**kwargs), run)
        except UsageError as exc:
            exc.command_path = exc.command_path or ctx.command_path
            raise

    return callback


def click_params(options: type[Options]) -> list[Any]:
    """The click parameters of an Options class: its fields, then the global flags if it takes them."""
    from kpy.cli import common

    out = [_click_param(_annotation(options, f.name), f, p) for f, p in params(options)]
    if options.connection:
        out.extend([*common.connection_options(), common.debug_option()])
    return out


def _annotation(options: type[Options], name: str) -> Any:
    """The evaluated annotation of one command-line field (the others may name types only imported for
    type checking)."""
    import sys

    for cls in options.__mro__:
        annotation = cls.__dict__.get("__annotations__", {}).get(name)  # noqa: RUF063 (inspect: start-up)
        if annotation is not None:
            if isinstance(annotation, str):
                return eval(annotation, vars(sys.modules[cls.__module__]))
            return annotation
    raise LookupError(name)


def _value_type(annotation: Any) -> Any:
    import types
    import typing

    import click

    from kpy.cli import framework

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if (
        isinstance(annotation, types.UnionType)
        or typing.get_origin(annotation) is typing.Union
        or typing.get_origin(annotation) is tuple
    ):
        annotation = args[0]
    return {int: framework.INT, float: framework.FLOAT}.get(annotation, click.STRING)


def _click_param(annotation: Any, f: Field[Any], p: Param) -> Any:
    from kpy.cli import common, framework

    complete = common.completer(p.complete)
    decls = [*p.decls, f.name]
    if p.kind == "flag":
        return framework.Option(
            decls,
            is_flag=True,
            default=f.default,
            help=p.help or None,
            hidden=p.hidden,
            show_default=p.show_default,
            panel=p.panel,
        )
    if p.kind == "argument":
        return framework.Argument(
            [f.name],
            nargs=-1 if p.multiple else 1,
            required=False,
            default=None if p.multiple else f.default,
            metavar=p.metavar,
            help=p.help or None,
            shell_complete=complete,
        )
    return framework.Option(
        decls,
        type=_value_type(annotation),
        multiple=p.multiple,
        default=None if p.multiple else f.default,
        help=p.help or None,
        metavar=p.metavar,
        hidden=p.hidden,
        show_default=p.show_default if f.default != "" else False,
        shell_complete=complete,
        panel=p.panel,
    )


def add_group(
    app: Any,
    name: str,
    *,
    help: str,
    commands: list[tuple[str, type[Options], str]],
    short_help: str | None = None,
) -> None:
    """Register ``name`` as a group of subcommands (``kpy events tail``). The global flags are accepted between
    the group and its subcommand, as kubectl allows (``kpy events -n ns tail``): they count as given before
    the group, and flags after the subcommand still win. They are hidden from the group's own help (each
    subcommand's help lists them)."""
    import click

    from kpy.cli import common, framework

    def callback(**values: Any) -> None:
        common.group_flags(common.run_context(click.get_current_context()), values)

    group = framework.Group(
        name,
        params=common.connection_options(hidden=True),
        callback=callback,
        help=help,
        short_help=short_help,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for sub, options, sub_help in commands:
        add_command(group, sub, options, help=sub_help)
    app.add_command(group, name)
