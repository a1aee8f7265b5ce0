"""Plain command lines of a few commands, run without click: ``kpy get pods -o name -n web``.

Building the click app costs more CPU (~0.1 s: click, inspect, the command's parameter objects) than
kubectl spends on a whole small ``get``. A command's ``Options`` already declare its command line
(``kpy.cli.command``), so a command line that uses only the simple forms is parsed here from those declarations:
``-o json``, ``-ojson``, ``--output json``, ``--output=json``, switches, ``-n=ns``/``-v=6`` (kubectl's forms),
words as arguments. Anything else (``--help``, ``--``, switches given a value, bundled short switches, an unknown
or repeated-but-single flag, a missing or malformed value, flags before the command, shell completion) returns
None and the click app parses the line, so every error message stays the app's. A test runs the same command
lines both ways and compares the output, the errors and the exit codes.

Imports nothing heavy: the command's module, ``kpy.cli.command`` and the library the command itself needs.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from kpy.cli.command import ClientOptions, Options, RunContext, execute, params

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

#: the commands (with their group word, if any) answered here: module and Options class
COMMANDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("get",): ("kpy.cli.get", "GetOptions"),
    ("events", "tail"): ("kpy.cli.events", "TailOptions"),
}

#: the global connection flags: option → (ConnectionFlags field, type); a subset of ``kpy.cli.common``'s, kept so by a test
CONNECTION_FLAGS: dict[str, tuple[str, type]] = {
    "--kubeconfig": ("kubeconfig", str),
    "--context": ("context", str),
    "--cluster": ("cluster", str),
    "--user": ("user", str),
    "-n": ("namespace", str),
    "--namespace": ("namespace", str),
    "-s": ("server", str),
    "--server": ("server", str),
    "--token": ("token", str),
    "--tls-server-name": ("tls_server_name", str),
    "--certificate-authority": ("certificate_authority", str),
    "--client-certificate": ("client_certificate", str),
    "--client-key": ("client_key", str),
    "--request-timeout": ("request_timeout", str),
    "--as": ("as_user", str),
    "--as-uid": ("as_uid", str),
    "--cache-dir": ("cache_dir", str),
    "-v": ("verbosity", int),
    "--v": ("verbosity", int),
}
#: global switches: option → ConnectionFlags field (``--debug`` is the run's, not a connection flag)
CONNECTION_SWITCHES = {"--insecure-skip-tls-verify": "insecure_skip_tls_verify"}
_INT = re.compile(r"-?[0-9]+")
_KUBECTL_EQUALS = ("-v", "-n", "-s")  # ``-v=6``: kpy.cli.main normalizes these three


class _Unsupported(Exception):
    """The command line uses a form this parser leaves to the click app."""


def answer(argv: Sequence[str]) -> int | None:
    """Run ``argv`` (without the program name) and return its exit code, or None when the click app must parse it."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None
    for words, (module, name) in COMMANDS.items():
        if tuple(argv[: len(words)]) == words:
            import importlib

            options_cls = getattr(importlib.import_module(module), name)
            try:
                parsed = parse(options_cls, argv[len(words) :])
            except _Unsupported:
                return None
            return _run(parsed, " ".join(words))
    return None


def parse(options_cls: type[Options], argv: Sequence[str]) -> tuple[Options, bool]:
    """``(options, debug)`` from the words after the command; ``_Unsupported`` for anything unusual."""
    from kpy.cli.command import _annotation

    values: dict[str, Any] = {}
    given: set[str] = set()
    longs: dict[str, tuple[str, str, bool]] = {}  # option → (field, kind, multiple)
    negations: dict[str, str] = {}
    arguments: list[tuple[str, bool]] = []
    for f, p in params(options_cls):
        if p.kind == "argument":
            arguments.append((f.name, p.multiple))
            continue
        for decl in p.decls:
            on, _, off = decl.partition("/")
            longs[on] = (f.name, p.kind, p.multiple)
            if off:
                negations[off] = f.name
    connection: dict[str, Any] = {}
    debug = False
    words: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if not word.startswith("-") or word == "-":
            words.append(word)
            continue
        if word in ("--", "-h", "--help"):
            raise _Unsupported(word)
        name, eq, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        if not word.startswith("--") and len(word) > 2:  # -ojson, -n=ns
            name, attached, eq = word[:2], word[2:], "="
            if attached.startswith("=") and name in _KUBECTL_EQUALS:
                attached = attached[1:]
        takes_value = name in CONNECTION_FLAGS or (name in longs and longs[name][1] == "option")
        if not takes_value:
            if eq:  # a switch given a value (--x=false), or bundled short switches (-Aw): the app's forms
                raise _Unsupported(word)
            if name == "--debug":
                debug = True
            elif name in CONNECTION_SWITCHES:
                connection[CONNECTION_SWITCHES[name]] = True
            elif name in negations:
                values[negations[name]] = False
            elif name in longs:
                values[longs[name][0]] = True
            else:
                raise _Unsupported(word)
            continue
        if eq:
            value = attached
        elif i < len(argv):
            value = argv[i]
            i += 1
        else:
            raise _Unsupported(word)
        if name in CONNECTION_FLAGS:
            field, kind = CONNECTION_FLAGS[name]
            if field in connection:
                raise _Unsupported(word)
            connection[field] = _convert(value, kind)
            continue
        field, _, multiple = longs[name]
        if multiple:
            values.setdefault(field, []).append(value)
            continue
        if field in given:
            raise _Unsupported(word)
        given.add(field)
        annotation = _annotation(options_cls, field)
        if annotation not in (str, str | None, int, int | None):
            raise _Unsupported(word)
        values[field] = _convert(value, int if annotation in (int, int | None) else str)
    for field, multiple in arguments:
        if multiple:
            values[field] = tuple(words)
            words = []
        elif words:
            values[field] = words.pop(0)
    if words:
        raise _Unsupported("extra arguments")
    for field, value in list(values.items()):
        if isinstance(value, list):
            values[field] = tuple(value)
    if issubclass(options_cls, ClientOptions):
        from kpy.config.flags import ConnectionFlags

        values["flags"] = ConnectionFlags(**connection)
    elif connection:
        raise _Unsupported("connection flags")
    return options_cls(**values), debug


def _convert(value: str, kind: type) -> Any:
    if kind is int:
        if not _INT.fullmatch(value):
            raise _Unsupported(value)  # the app says how it is wrong
        return int(value)
    return value


def _prog_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "kpy"
    return "kubectl kpy" if name == "kubectl-kpy" else "kpy"


def _run(parsed: tuple[Options, bool], command: str) -> int:
    """``execute`` with the error handling of ``kpy.cli.main.run``."""
    from kpy.errors import KpyError, UsageError

    options, debug = parsed
    if not options.one_shot():  # a watch runs on: with the cyclic collector (kpy.cli.entry pauses it)
        import gc

        gc.enable()
    prog = _prog_name()
    ctx = RunContext(prog=prog, debug=debug)
    flags = getattr(options, "flags", None)
    if flags is not None:
        ctx.set_logging(flags.verbosity)
    try:
        try:
            return execute(options, ctx)
        except UsageError as exc:
            exc.command_path = exc.command_path or f"{prog} {command}"
            raise
    except KpyError as exc:
        _traceback(ctx)
        _print_error(exc.format())
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 0
    except Exception as exc:  # a bug: one line, and the traceback only when asked for
        _traceback(ctx)
        _print_error(f"error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        return 1
    finally:
        ctx.close()


def _print_error(line: str) -> None:
    try:
        sys.stderr.write(line if line.endswith("\n") else line + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _traceback(ctx: RunContext) -> None:
    if ctx.debug:
        import traceback

        traceback.print_exc(file=sys.stderr)
