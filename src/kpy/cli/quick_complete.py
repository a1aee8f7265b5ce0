"""A warm ``kpy get TYPE <TAB>`` answered without click: the object names straight from the completion cache.

Building the click app to complete one line costs more CPU than kubectl's whole ``__complete``; the answer of
a repeated ``<TAB>`` is a file read. This path takes only the simplest lines: ``kpy get TYPE [NAME...] <word>``
through the scripts' protocol (``_KPY_COMPLETE=complete_bash|zsh|fish``, the line in ``COMP_WORDS``/
``COMP_CWORD`` or ``_TYPER_COMPLETE_ARGS``), with no flags, quotes, backslashes or ``/``, when the cache holds
a fresh answer (``kpy.cli.completion.fresh_object_names``). Anything else, a miss, a stale entry or any error
returns None and the click app answers (``kpy.cli.shells``), so every answer is the app's: the same values,
formatted the same way for each shell. A test compares both paths on the same lines.

Imports neither click nor asyncio nor ssl: ``kpy.cli.completion`` and the kubeconfig loader.
"""

from __future__ import annotations

import os
import sys

#: the variables of ``kpy.cli.shells`` (the protocol of the scripts in ``completions/``)
COMPLETE_VAR = "_KPY_COMPLETE"
ARGS_VAR = "_TYPER_COMPLETE_ARGS"
FISH_ACTION_VAR = "_TYPER_COMPLETE_FISH_ACTION"
_SHELLS = ("bash", "zsh", "fish")
#: characters that make the shell's words more than a split on blanks (left to click's shlex-based split):
#: quotes, backslashes, the blanks ``str.split`` knows and shlex does not, and ``/`` (``TYPE/NAME``)
_UNUSUAL = frozenset("\"'\\\x0b\x0c\x1c\x1d\x1e\x1f/")


def answer(argv: list[str] | tuple[str, ...]) -> int | None:
    """Answer the completion request in the environment and return the exit code, or None (the app answers)."""
    instruction = os.environ.get(COMPLETE_VAR, "")
    action, _, shell = instruction.partition("_")
    if argv or action != "complete" or shell not in _SHELLS:
        return None
    line = _words(shell)
    if line is None:
        return None
    args, incomplete = line
    if (
        len(args) < 2
        or args[0] != "get"
        or any(a.startswith("-") for a in args)
        or incomplete.startswith("-")
    ):
        return None
    try:
        values = _names(args[1], set(args[2:]))
    except Exception:  # the app answers, with its own error handling
        return None
    if values is None:
        return None
    return _write(shell, values)


def _words(shell: str) -> tuple[list[str], str] | None:
    """The finished words after the program name and the word being completed, as ``kpy.cli.shells`` reads
    them, for lines that split on spaces alone; None for any other line."""
    if shell == "bash":
        text = os.environ.get("COMP_WORDS")
        cword_text = os.environ.get("COMP_CWORD", "")
        if text is None or not cword_text.isdigit() or not cword_text.isascii():
            return None
        if not _plain(text):
            return None
        words = text.split()  # the scripts join the words with newlines (bash's IFS), or spaces
        cword = int(cword_text)
        incomplete = words[cword] if cword < len(words) else ""
        return words[1:cword], incomplete
    text = os.environ.get(ARGS_VAR)
    if text is None or not _plain(text):
        return None
    words = text.split()[1:]
    if words and not text.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _plain(text: str) -> bool:
    return text.isascii() and not any(c in _UNUSUAL for c in text)


def _names(type_arg: str, typed: set[str]) -> list[str] | None:
    """``kpy.cli.completion.get_args`` for ``get TYPE NAME...`` when the cache answers, else None."""
    import contextlib
    import io

    from kpy.cli.completion import fresh_object_names, in_background, target_for
    from kpy.config.flags import ConnectionFlags

    if in_background():  # the detached refresh must ask the server: the app's path
        return None
    sink = io.StringIO()  # as the app's completers: nothing but the protocol reaches the terminal
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        names = fresh_object_names(target_for(ConnectionFlags()), type_arg)
    if names is None:
        return None
    return [n for n in names if n not in typed]


def _write(shell: str, values: list[str]) -> int:
    """The app's answer for ``values`` (``kpy.cli.shells``: BashComplete, ZshComplete, FishComplete)."""
    if shell == "bash":
        out = "\n".join(values)
    elif shell == "zsh":
        lines = [f'"{_zsh_escape(v)}"' for v in values]
        out = f"_arguments '*: :(({chr(10).join(lines)}))'" if lines else "_files"
    else:
        action = os.environ.get(FISH_ACTION_VAR, "")
        if action == "is-args":
            return 0 if values else 1
        out = "\n".join(values) if action == "get-args" else ""
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return 0


def _zsh_escape(s: str) -> str:
    return (
        s.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")
    )
