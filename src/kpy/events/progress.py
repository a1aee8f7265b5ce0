"""A live progress line for ``kpy events record`` on a terminal: ``events: read N, written M, R/s``.

Drawn on stderr in place (``\\r`` and erase-line) every ``interval`` seconds, and only when stderr is a terminal:
scripts and logs see the summary alone. Other diagnostics written through ``write`` erase the line first, so an
error message never ends up glued to it; the next tick draws it again below them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TextIO

ERASE = "\r\x1b[K"


def stream_is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


class ProgressLine:
    """Diagnostics stream with an optional live line; ``counts()`` gives (read, written) so far."""

    def __init__(
        self,
        out: TextIO,
        counts: Callable[[], tuple[int, int]],
        *,
        enabled: bool,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.counts = counts
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self.shown = False
        self._last: tuple[float, int] | None = None

    def write(self, text: str) -> int:
        self.clear()
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def line(self) -> str:
        read, written = self.counts()
        now = self.clock()
        rate = ""
        if self._last is not None and now > self._last[0]:
            rate = f", {(read - self._last[1]) / (now - self._last[0]):.0f}/s"
        self._last = (now, read)
        return f"events: read {read}, written {written}{rate}"

    def render(self) -> None:
        if not self.enabled:
            return
        self.out.write(ERASE + self.line())
        self.out.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.out.write(ERASE)
            self.shown = False

    async def run(self) -> None:
        """Redraw until cancelled (a no-op when disabled)."""
        if not self.enabled:
            return
        self._last = (self.clock(), self.counts()[0])
        while True:
            await asyncio.sleep(self.interval)
            self.render()
