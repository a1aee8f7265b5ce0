"""The ``kpy`` root: builds the click app, and is the one place where errors become messages and exit codes.

Exit codes follow kubectl: 0 ok, 1 error (usage errors too, in cobra's words), 130 after
Ctrl-C; ``kpy elect`` and ``kpy sandbox -- CMD`` exit with their child's code.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import click

from kpy import __version__
from kpy.cli import common
from kpy.cli.context import RunContext

HELP = """kpy: client-go's tools for kubectl users.

Port-forward over WebSocket, kubectl-identical JSONPath, leader election for any process, and event
tailing/recording, all on one kubeconfig layer that behaves like kubectl's."""

COMMAND_MODULES = (
    "get",
    "port_forward",
    "exec",
    "cp",
    "logs",
    "elect",
    "events",
    "certs",
    "sandbox",
    "version",
    "on",
)


def _root_callback(**values: Any) -> None:
    version = values.pop("version", False)
    debug = values.pop("debug", False)
    if version:
        sys.stdout.write(f"kpy {__version__}\n")
        raise click.exceptions.Exit(0)
    run = common.run_context(click.get_current_context())
    run.debug = run.debug or bool(debug)
    common.root_flags(run, values)


def build_app(only: str | None = None) -> click.Group:
    """The whole CLI. Command modules register themselves and import heavy things only when they run.

    ``only`` (a module of COMMAND_MODULES) registers just that command: ``run`` uses it when the command line
    names a command, so that one command's options are built and the others' modules are not imported.
    """
    import importlib

    from kpy.cli import framework, shells

    app = framework.Group(
        "kpy",
        params=[
            framework.Option(
                ["--version"], is_flag=True, is_eager=True, help="Print kpy's version and exit."
            ),
            common.debug_option("debug", panel=None),
            *common.connection_options(),
            *shells.completion_options(),
        ],
        callback=_root_callback,
        help=HELP,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in COMMAND_MODULES if only is None else (only,):
        try:
            module = importlib.import_module(f"kpy.cli.{name}")
        except ModuleNotFoundError as exc:  # a command still being built must not break the others
            if exc.name != f"kpy.cli.{name}":
                raise
            continue
        module.register(app)
    return app


def _normalize_argv(argv: Sequence[str]) -> list[str]:
    """kubectl accepts ``-v=6`` and ``-n=ns``; click reads the ``=`` as part of the value. Fix short flags."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if len(arg) > 3 and arg[0] == "-" and arg[1] != "-" and arg[2] == "=" and arg[1] in "vns":
            out.extend([arg[:2], arg[3:]])
        else:
            out.append(arg)
    return out


_GO_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_GO_FALSE = {"0", "f", "F", "false", "FALSE", "False"}
_BOOL_VALUE = re.compile(r"^(--[a-z0-9-]+)=(.*)$")


def _bool_flags(app: Any) -> dict[str, tuple[str, str | None]]:
    """Every boolean long flag of the app: name → (the flag itself, its ``--no-`` form if it has one)."""
    out: dict[str, tuple[str, str | None]] = {}

    def walk(command: Any) -> None:
        for param in getattr(command, "params", []):
            if getattr(param, "is_flag", False) and getattr(param, "is_bool_flag", True):
                secondary = [o for o in getattr(param, "secondary_opts", []) if o.startswith("--")]
                for opt in param.opts:
                    if opt.startswith("--"):
                        out[opt] = (opt, secondary[0] if secondary else None)
        for sub in (getattr(command, "commands", None) or {}).values():
            walk(sub)

    walk(app)
    return out


def _normalize_bool_values(args: list[str], app: Any) -> list[str]:
    """kubectl (pflag) accepts ``--flag=false`` for boolean flags; click does not. Rewrite it the click way."""
    candidates = [
        i
        for i, a in enumerate(args[: args.index("--") if "--" in args else len(args)])
        if (m := _BOOL_VALUE.match(a)) and m.group(2) in _GO_TRUE | _GO_FALSE
    ]
    if not candidates:
        return args
    flags = _bool_flags(app)
    out = list(args)
    for i in reversed(candidates):
        m = _BOOL_VALUE.match(args[i])
        assert m is not None
        name, value = m.group(1), m.group(2)
        if name not in flags:
            continue
        on, off = flags[name]
        if value in _GO_TRUE:
            out[i : i + 1] = [on]
        elif off is not None:
            out[i : i + 1] = [off]
        else:
            del out[i]  # a plain switch: false is its default
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point. Never shows a traceback unless --debug was given."""
    raise SystemExit(run(argv))


def run(argv: Sequence[str] | None = None, context: RunContext | None = None) -> int:
    """Run the CLI and return its exit code (the tests' entry point).

    ``context`` is this run's state (a fresh one by default); a test passes its own to swap the engine
    (``RunContext.open_client``). Nothing outlives the run: logging levels set by ``-v`` are undone.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:  # start-up is a feature: answer without building the app
        sys.stdout.write(f"kpy {__version__}\n")
        return 0
    args = _help_args(_normalize_argv(args))
    state = context if context is not None else RunContext(prog=_prog_name())
    try:
        return _run(args, state)
    finally:
        state.close()


def _run(args: list[str], state: RunContext) -> int:
    from kpy.errors import KpyError

    try:
        command = build_app(_command_module(args))
        if (code := _shell_completion(command)) is not None:
            return code
        args = _normalize_bool_values(args, command)
        result = command.main(args=args, prog_name=_prog_name(), standalone_mode=False, obj=state)
        return int(result) if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        return 130
    except click.ClickException as exc:  # click's usage errors
        return _usage_error(exc, args)
    except KpyError as exc:
        _debug_traceback(state)
        _print_error(exc.format())
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_broken_pipe()
        return 0
    except Exception as exc:  # a bug: one line, and the traceback only when asked for
        _debug_traceback(state)
        _print_error(f"error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        return 1


# Root options that take a value (the connection flags; --version/--debug and bool flags take none).
_ROOT_VALUE_OPTIONS = common.VALUE_FLAGS


def _command_module(args: Sequence[str]) -> str | None:
    """The command module the command line names, or None (root help, an unknown command, completing the
    command's name itself). Under shell completion the line being completed is read from the shell's variables,
    so ``kpy get pods <TAB>`` builds only ``get``."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        completed = _completion_words()
        if completed is None:
            return None
        args = completed
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg.startswith("-"):
            skip = arg in _ROOT_VALUE_OPTIONS
            continue
        module = arg.replace("-", "_")
        return module if module in COMMAND_MODULES else None
    return None


def _completion_words() -> list[str] | None:
    """The finished words (after the program name) of the line the shell is completing, as ``kpy.cli.shells``
    reads them (bash: ``COMP_WORDS``/``COMP_CWORD``; zsh, fish: ``shells.ARGS_VAR``); None if unreadable."""
    import shlex

    from kpy.cli.shells import ARGS_VAR

    try:
        if "COMP_WORDS" in os.environ and "COMP_CWORD" in os.environ:
            return shlex.split(os.environ["COMP_WORDS"])[1 : int(os.environ["COMP_CWORD"])]
        line = os.environ.get(ARGS_VAR)
        if line is None:
            return None
        words = shlex.split(line)
        return words[1:] if line.endswith(" ") else words[1:-1]
    except ValueError:
        return None


def _shell_completion(command: click.Command) -> int | None:
    """Answer the shell's completion request (``_KPY_COMPLETE`` set by the scripts in ``completions/``)."""
    instruction = os.environ.get("_KPY_COMPLETE")
    if not instruction:
        return None
    from kpy.cli import shells

    return shells.complete(command, _prog_name(), instruction)


def _usage_error(exc: click.ClickException, args: Sequence[str] = ()) -> int:
    """kubectl's two lines (``error: ...`` then where to look), exit 1; a bare ``kpy`` prints help, exit 0.

    cobra's words for the parse errors click reports: ``unknown flag: --x``, ``unknown shorthand flag: 'x' in
    -x``, ``flag needs an argument: --x``, ``unknown command "x" for "kpy"``.
    """
    ctx = getattr(exc, "ctx", None)
    name = type(exc).__name__
    path = ctx.command_path if ctx is not None else _command_path(args)
    if name == "NoArgsIsHelpError" and ctx is not None:  # the root and command groups: help, like cobra
        sys.stdout.write(ctx.get_help() + "\n")
        return 0
    option = str(getattr(exc, "option_name", "") or "")
    if name == "NoSuchOption" and option:
        message = (
            f"unknown flag: {option.partition('=')[0]}"
            if option.startswith("--")
            else f"unknown shorthand flag: {option[1:2]!r} in {option}"
        )
    elif name == "BadOptionUsage" and option and "requires an argument" in exc.format_message():
        message = (
            f"flag needs an argument: {option}"
            if option.startswith("--")
            else f"flag needs an argument: {option[1:2]!r} in {option}"
        )
    elif name in ("UsageError", "NoSuchCommand") and (
        m := re.match(r"No such command '(.*)'\.", exc.format_message())
    ):
        # click >= 8.4 raises NoSuchCommand (with the name), older ones a UsageError with this message
        command_name = getattr(exc, "command_name", None) or m.group(1)
        _print_error(f'error: unknown command "{command_name}" for "{path}"')  # cobra adds no hint here
        return 1
    else:
        message = exc.format_message().rstrip(".")
    _print_error(f"error: {message}\nSee '{path} --help' for usage.")
    return 1


def _command_path(args: Sequence[str]) -> str:
    """``kpy get`` for a command line naming ``get`` (click gives no context for some parse errors)."""
    module = _command_module(args)
    prog = _prog_name()
    return f"{prog} {module.replace('_', '-')}" if module else prog


def _help_args(args: list[str]) -> list[str]:
    """``kpy help [COMMAND...]`` is ``kpy [COMMAND...] --help``, as in kubectl."""
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            break
        elif arg.startswith("-"):
            skip = arg in _ROOT_VALUE_OPTIONS
        else:
            return [*args[:i], *args[i + 1 :], "--help"] if arg == "help" else args
    return args


def prog_name() -> str:
    """``kpy``, or ``kubectl kpy`` when run as the kubectl plugin (for messages that name the command)."""
    return _prog_name()


def _prog_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "kpy"
    return "kubectl kpy" if name == "kubectl-kpy" else "kpy"


def _print_error(line: str) -> None:
    try:
        sys.stderr.write(line if line.endswith("\n") else line + "\n")  # as kubectl's CheckErr
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _debug_traceback(state: RunContext) -> None:
    if state.debug:  # -v N logs requests; only --debug adds tracebacks
        import traceback

        traceback.print_exc(file=sys.stderr)


def _silence_broken_pipe() -> None:
    """Output piped into ``head``: exit quietly like kubectl, without Python's 'Exception ignored' noise."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
