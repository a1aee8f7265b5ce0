"""An HTTP/1.1 response body read from a blocking socket (or ``TLSStream``): chunked, ``Content-Length`` or
up to the end of the connection, handed on piece by piece from one reused buffer.

For bodies copied as they come (``kpy logs POD``): one ``recv_into`` brings all the plaintext the TLS layer
has (many records), the pieces of chunk data in it go to ``write`` as views of the buffer, without the
copies and per-record objects of an asyncio stream reader.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpy.streams.tls import TLSStream

#: the reused receive buffer
BODY_BUFFER = 256 * 1024
#: a chunk-size line longer than this is not an API server's
MAX_CHUNK_LINE = 4096


class ReadFailed(Exception):
    """Reading the body failed (the cause: ``OSError``, ``ssl.SSLError``, ``EOFError``, ``TimeoutError``);
    kept apart from what ``write`` raises (a closed stdout)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Source:
    def __init__(self, sock: socket.socket | TLSStream, leftover: bytes) -> None:
        self.sock = sock
        self.buf = bytearray(max(BODY_BUFFER, len(leftover)))
        self.view = memoryview(self.buf)
        self.buf[: len(leftover)] = leftover
        self.start, self.end = 0, len(leftover)

    def fill(self) -> int:
        """Read more after what is buffered (moved to the front first); the count (0: the end)."""
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.buf):
            size = self.end - self.start
            self.buf[:size] = self.view[self.start : self.end]
            self.start, self.end = 0, size
        try:
            n = self.sock.recv_into(self.view[self.end :])
        except (OSError, EOFError) as exc:  # ssl.SSLError and TimeoutError are OSErrors
            raise ReadFailed(exc) from exc
        self.end += n
        return n

    def take(self, limit: int) -> memoryview:
        n = min(limit, self.end - self.start)
        piece = self.view[self.start : self.start + n]
        self.start += n
        return piece

    def line(self) -> bytes:
        """One CRLF-terminated line (without the CRLF)."""
        while (at := self.buf.find(b"\r\n", self.start, self.end)) < 0:
            if self.end - self.start > MAX_CHUNK_LINE:
                raise ReadFailed(EOFError("malformed chunked encoding"))
            if not self.fill():
                raise ReadFailed(EOFError("unexpected EOF"))
        text = bytes(self.view[self.start : at])
        self.start = at + 2
        return text


def copy_body(
    sock: socket.socket | TLSStream,
    headers: Mapping[str, str],
    leftover: bytes,
    write: Callable[[memoryview], object],
    *,
    limit: int | None = None,
) -> None:
    """Read the body that follows a response head (``headers``: names lowercased; ``leftover``: the bytes
    read after the head) and pass it to ``write`` as it arrives (views of a reused buffer: ``write`` copies
    what it keeps). Stops after ``limit`` bytes if given. A body cut short raises ``ReadFailed``."""
    src = _Source(sock, leftover)
    left = limit if limit is not None else -1

    def deliver(piece: memoryview) -> bool:
        nonlocal left
        if left >= 0:
            piece = piece[:left]
            left -= len(piece)
        if piece:
            write(piece)
        return left != 0

    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_text = src.line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ReadFailed(EOFError("malformed chunked encoding")) from None
            if size == 0:
                return  # trailers, if any, are not read: the connection is closed after one response
            while size:
                if src.start == src.end and not src.fill():
                    raise ReadFailed(EOFError("unexpected EOF"))
                piece = src.take(size)
                size -= len(piece)
                if not deliver(piece):
                    return
            if src.line():
                raise ReadFailed(EOFError("malformed chunked encoding"))
    length = headers.get("content-length", "")
    remaining = int(length) if length.isdigit() else -1
    while remaining:
        if src.start == src.end and not src.fill():
            if remaining > 0:
                raise ReadFailed(EOFError("unexpected EOF"))
            return
        piece = src.take(remaining if remaining > 0 else src.end - src.start)
        if remaining > 0:
            remaining -= len(piece)
        if not deliver(piece):
            return


def read_body(
    sock: socket.socket | TLSStream, headers: Mapping[str, str], leftover: bytes, limit: int = 1 << 20
) -> bytes:
    """The body (at most ``limit`` bytes), as far as it arrives: a short one is returned as it is."""
    out = bytearray()
    with contextlib.suppress(ReadFailed):
        copy_body(sock, headers, leftover, out.extend, limit=limit)
    return bytes(out)
