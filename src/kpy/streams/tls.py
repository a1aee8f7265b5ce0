"""``TLSStream``: TLS on a blocking socket with OpenSSL on memory BIOs, for streams moved by threads.

Why not ``ssl.SSLSocket``: it makes two reads per 16 KiB record and one write per record, and its state is not
safe for a reading and a writing thread at once. Here one system call moves many TLS records and a lock keeps
the two threads of a stream off the TLS state at the same time.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable

#: ciphertext read from the socket at a time by ``TLSStream`` when the caller's buffer is smaller than
#: ``MIN_SCRATCH`` (otherwise the caller's buffer takes the ciphertext first: no buffer of its own per stream)
TLS_READ = 16 * 1024
MIN_SCRATCH = 4 * 1024
#: plaintext encrypted and written at a time by ``TLSStream``
TLS_WRITE = 64 * 1024


class TLSStream:
    """TLS on a blocking socket, with OpenSSL working on memory BIOs: the subset of a socket's methods that a
    stream's two threads use (``sendall``/``send_parts``, ``recv_into``/``recv``, ``shutdown``, ``close``).

    Each ``recv_into(view)`` reads up to ``len(view)`` bytes of ciphertext in one system call, into ``view``
    itself (it is free until the plaintext goes there; bytes past the returned count may change), and returns
    all the plaintext that is complete; ``send_parts`` encrypts several buffers and writes their records with one
    ``sendall`` per ``TLS_WRITE`` bytes. One lock guards the TLS state (the reading and the writing thread never run OpenSSL on it at
    once; ``ssl.SSLSocket`` has no such lock) and is never held during a system call; a second one keeps the
    writers' records in order on the wire. ``raw`` may itself be TLS (an ``ssl.SSLSocket`` to an HTTPS proxy).
    """

    def __init__(self, raw: socket.socket, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self.raw = raw
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        self._lock = threading.Lock()  # the SSL object and both BIOs
        self._send_lock = threading.Lock()  # encrypt + write, so records leave in the order they were made
        self._buffer: memoryview | None = None  # for the handshake and small reads, made on first need
        self._write_size = TLS_WRITE
        self._eof = False

    def set_write_size(self, size: int) -> None:
        """Write up to ``size`` bytes of plaintext per system call (fewer, larger system calls for a
        connection that carries many streams)."""
        self._write_size = size

    def handshake(self) -> None:
        """The TLS handshake (blocking; the socket's timeout applies). Raises ``ssl.SSLError`` or ``OSError``."""
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._receive()
        self._flush()

    def _flush(self) -> None:
        with self._send_lock:
            self._write_out()

    def _receive(self, scratch: memoryview | None = None) -> None:
        """Read ciphertext from the socket (into ``scratch`` when it is large enough) and hand it to the
        incoming BIO (EOF included)."""
        if scratch is None or len(scratch) < MIN_SCRATCH:
            if self._buffer is None:
                self._buffer = memoryview(bytearray(TLS_READ))
            scratch = self._buffer
        n = self.raw.recv_into(scratch)
        with self._lock:
            if n:
                self._incoming.write(scratch[:n])
            else:
                self._incoming.write_eof()

    def send_parts(self, parts: Iterable[bytes | bytearray | memoryview]) -> None:
        """Encrypt ``parts`` (in order, as one stream of bytes; each is taken once, so an iterator may make
        them as they are needed) and write them: one ``sendall`` per ``TLS_WRITE`` bytes (``set_write_size``),
        so what the outgoing BIO holds (and keeps allocated) stays bounded."""
        limit = self._write_size
        with self._send_lock:
            waiting = 0  # plaintext encrypted since the last write
            for part in parts:
                view = memoryview(part)
                start = 0
                while start < len(view):
                    take = min(len(view) - start, limit - waiting)
                    with self._lock:
                        self._tls.write(view[start : start + take] if take < len(view) else view)
                    start += take
                    waiting += take
                    if waiting == limit:
                        self._write_out()
                        waiting = 0
            if waiting:
                self._write_out()

    def _write_out(self) -> None:
        """Write what the outgoing BIO holds (the caller holds the send lock)."""
        with self._lock:
            data = self._outgoing.read()
        if data:
            self.raw.sendall(data)

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        self.send_parts((data,))

    def recv_into(self, view: memoryview) -> int:
        """Decrypt into ``view``: at least one byte, and all that is already complete (as much as fits); 0 at
        the end of the stream (close_notify, or the connection closed without one)."""
        size = len(view)
        while True:
            got = 0
            with self._lock:
                # OpenSSL reads no further ahead than the record it works on: with nothing in the incoming BIO
                # and no plaintext left, there is nothing to decrypt (asking would only raise)
                if self._incoming.pending or self._tls.pending() or self._incoming.eof:
                    try:
                        read = self._tls.read  # (a record, at most 16 KiB, a call: 65,536 calls per GiB)
                        while got < size and not self._eof:
                            n: int = read(size - got, view[got:])  # type: ignore[assignment]  # (a count)
                            if not n:  # close_notify
                                self._eof = True
                            got += n
                    except ssl.SSLWantReadError:
                        pass
                    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):  # ragged EOFs end the stream too
                        self._eof = True
                answer = self._outgoing.pending > 0  # a post-handshake message wanted an answer
            if answer and self._send_lock.acquire(blocking=False):
                # nobody is writing: send it now (a writer takes it with its next records otherwise)
                try:
                    self._write_out()
                finally:
                    self._send_lock.release()
            if got or self._eof or not size:
                return got
            self._receive(view)

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        return bytes(buf[: self.recv_into(memoryview(buf))])

    def settimeout(self, timeout: float | None) -> None:
        self.raw.settimeout(timeout)

    def shutdown(self, how: int) -> None:
        self.raw.shutdown(how)

    def close(self) -> None:
        self.raw.close()
