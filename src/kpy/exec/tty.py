"""The local terminal for ``kpy exec -t``: raw mode, restored on every way out, and its size.

``RawTerminal`` is a context manager: on entry it saves the terminal's attributes and switches to raw mode;
on exit (normal, exception, Ctrl-C) it restores them, and while it is active SIGTERM and SIGHUP restore them
before the process ends (kpy then exits 128+N like a process killed by the signal). The size comes from the
output terminal, as kubectl's ``TTY.GetSize`` reads it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import termios
import tty
from types import FrameType, TracebackType
from typing import Any


def terminal_size(fd: int) -> tuple[int, int] | None:
    """(columns, rows) of the terminal on ``fd``, or None when it is not a terminal (or reports 0x0)."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    if size.columns == 0 and size.lines == 0:
        return None
    return size.columns, size.lines


class RawTerminal:
    """Raw mode on ``fd`` for the duration of a ``with`` block. ``termios_module`` is a seam for tests."""

    def __init__(self, fd: int, *, termios_module: Any = termios, set_raw: Any = tty.setraw) -> None:
        self.fd = fd
        self._termios = termios_module
        self._set_raw = set_raw
        self._saved: Any = None
        self._previous: dict[int, Any] = {}

    def restore(self) -> None:
        if self._saved is not None:
            with contextlib.suppress(OSError, termios.error):
                self._termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.restore()
        raise SystemExit(128 + signum)

    def __enter__(self) -> RawTerminal:
        self._saved = self._termios.tcgetattr(self.fd)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self._previous[sig] = signal.signal(sig, self._on_signal)
        try:
            self._set_raw(self.fd)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()
        for sig, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)
        self._previous.clear()
