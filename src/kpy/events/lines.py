"""Input lines for ``kpy events record --from-file``: read by a daemon thread, handed to the event loop.

Reading stdin (or a FIFO) blocks for as long as the writer likes. A worker of asyncio's default executor blocked
in ``read`` would keep ``asyncio.run`` from returning after Ctrl-C (it waits for its executor), so the blocking
reads happen in a daemon thread of their own, on the raw file descriptor (no Python-level buffer whose lock
interpreter shutdown would need). The thread reads at most ``AHEAD`` chunks ahead of the consumer, so a huge
input is never held in memory; ``lines`` stops between two lines as soon as its ``stop`` event is set, whether
or not more input is waiting.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator

from kpy.errors import UsageError

CHUNK = 1 << 16
#: chunks read ahead of the consumer
AHEAD = 4


class LineReader:
    """``async for number, line in LineReader.open(path).lines(stop)``: numbered lines (bytes, ``\\n`` removed)."""

    def __init__(self, fd: int, *, close: bool) -> None:
        self.fd = fd
        self._close_fd = close
        self._queue: asyncio.Queue[bytes | OSError] = asyncio.Queue()
        self._room = threading.Semaphore(AHEAD)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, path: str) -> LineReader:
        """``-`` is stdin; anything else a file opened now (a missing file is a ``UsageError``)."""
        if path == "-":
            return cls(sys.stdin.fileno(), close=False)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise UsageError(f"open {path}: {exc.strerror or exc}") from None
        return cls(fd, close=True)

    def _start(self) -> None:
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._read_all, name="kpy-events-input", daemon=True)
            self._thread.start()

    def _read_all(self) -> None:
        try:
            while True:
                self._room.acquire()
                try:
                    data = os.read(self.fd, CHUNK)
                except OSError as exc:
                    self._deliver(exc)
                    return
                if not self._deliver(data) or not data:
                    return
        finally:
            if self._close_fd:
                os.close(self.fd)

    def _deliver(self, item: bytes | OSError) -> bool:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            return False
        return True

    async def _chunk(self, stop: asyncio.Event) -> bytes | None:
        """The next chunk (b"" at the end of the input), or None once ``stop`` is set."""
        if self._queue.empty():
            getting = asyncio.ensure_future(self._queue.get())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait((getting, stopping), return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                if not getting.done():
                    getting.cancel()
            if not getting.done() or getting.cancelled():
                return None
            item = getting.result()
        else:
            item = self._queue.get_nowait()
        self._room.release()
        if isinstance(item, OSError):
            raise UsageError(f"read input: {item.strerror or item}")
        return item

    async def lines(self, stop: asyncio.Event | None = None) -> AsyncIterator[tuple[int, bytes | None]]:
        """Numbered lines; ``(n, None)`` says that no more input is there yet (the next line may take a while:
        a consumer holding lines back to batch them should deal with them now)."""
        self._start()
        stop = stop or asyncio.Event()
        number = 0
        rest = b""
        while not stop.is_set():
            if self._queue.empty():
                yield number, None
                if stop.is_set():
                    return
            chunk = await self._chunk(stop)
            if chunk is None:
                return
            if not chunk:
                if rest:
                    yield number + 1, rest
                return
            parts = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
            rest = parts.pop()
            for part in parts:
                number += 1
                yield number, part
                if stop.is_set():
                    return
