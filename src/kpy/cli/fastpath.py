"""Answers that need no click: ``--help`` of every command, a bare ``kpy``, and ``kpy version --client``.

click, inspect and the command modules cost ~0.1 s to import; these answers never change between two
runs of one kpy build, so they are rendered once from the real app by ``python -m kpy.cli.fastpath_gen`` into
``fastpath_table`` (committed) and printed from there. A test renders them again through the app and fails when
the table is stale, so the printed bytes are always the app's.

Only exact command lines are answered (``kpy get --help``, not ``kpy get pods --help``; a bare ``kpy events``), only under the ``kpy``
name, only when no shell completion is running, and only at the terminal widths the table was rendered for
(click wraps help at ``min(columns, 80) - 2``, so every width of 80 columns or more gives the same bytes);
anything else goes to the app. This module imports nothing but ``os`` and ``sys`` (not even ``typing``).
"""

from __future__ import annotations

import os
import sys

#: click wraps help to ``min(terminal columns, 80) - 2``: at 80 columns or more the table's bytes are exact
MIN_COLUMNS = 80
_HELP_FLAGS = ("--help", "-h")
#: stands for kpy's version in the table's texts (filled in when printed)
VERSION_MARK = "\x00kpy-version\x00"


def answer(argv: list[str] | tuple[str, ...]) -> int | None:
    """Print the precomputed answer for this command line and return its exit code, or None (run the app)."""
    if len(argv) <= 1 or argv[-1] in _HELP_FLAGS or tuple(argv) == ("version", "--client"):
        if not _plain_invocation():
            return None
        from kpy.cli.fastpath_table import ANSWERS, TEXTS

        found = ANSWERS.get(tuple(argv))
        if found is None:
            return None
        out, err, code = found
        _write(sys.stdout, TEXTS[out])
        _write(sys.stderr, TEXTS[err])
        return code
    return None


def _plain_invocation() -> bool:
    """Invoked as ``kpy``, outside shell completion, on a terminal (or pipe) of at least MIN_COLUMNS columns."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "kpy"
    if name == "kubectl-kpy":
        return False
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return False
    return _columns() >= MIN_COLUMNS


def _columns() -> int:
    """The width click's help formatter sees: ``shutil.get_terminal_size().columns``, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


def _write(stream: object, text: str) -> None:
    if not text:
        return
    if VERSION_MARK in text:
        from kpy import __version__

        text = text.replace(VERSION_MARK, __version__)
    stream.write(text)  # type: ignore[attr-defined]
    stream.flush()  # type: ignore[attr-defined]
