"""WebSocket upgrades on a plain blocking socket, for streams whose bytes are moved by threads.

Why not the ``websockets`` asyncio client for the data: an asyncio TLS connection allocates a buffer per TLS
record and every message passes through several Python-level buffers; a port-forward stream moving hundreds
of MiB/s spends most of its CPU there. Blocking sockets read straight into reusable buffers cost a fraction of
that. TLS is ``TLSStream``: OpenSSL on memory BIOs over the blocking socket, so that one system call moves
many TLS records (an ``ssl.SSLSocket`` makes two reads per 16 KiB record and one write per record) and the
two threads of a stream never use the TLS state at the same time. ``websockets`` still does everything but
the bulk bytes: the proxy tunnel (its sync ``connect`` helpers) and the handshake (its sans-I/O
``ClientProtocol``: the request, the ``Sec-WebSocket-Accept`` check, subprotocol negotiation, the error
response and its body).

``dial`` runs in a worker thread (see ``run_in_thread``) and returns a ``DialedWebSocket`` whose socket is
blocking, with the bytes that arrived right after the handshake in ``leftover``. The frame basics that the
port-forward relay and the emulator's kubelet side share (opcodes, ``frame_header``, ``apply_mask``) are here
too.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from websockets.client import ClientProtocol

T = TypeVar("T")


def _load_apply_mask() -> Callable[[bytes | bytearray | memoryview, bytes], bytes]:
    try:
        from websockets.speedups import apply_mask as fast
    except ImportError:  # pragma: no cover - websockets without its C extension
        from websockets.utils import apply_mask as portable

        return portable
    return fast


#: XOR ``data`` with a 4-byte masking key (``websockets``' C extension when it is built)
apply_mask = _load_apply_mask()

#: RFC 6455 opcodes
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

#: an upgrade response head larger than this is not an API server's
MAX_HEAD = 64 << 10


def frame_header(opcode: int, size: int, *, masked: bool = False) -> bytes:
    """The header of one final frame with ``size`` payload bytes. ``masked`` (client frames) sets the mask bit;
    the 4-byte masking key goes right after the header."""
    mask_bit = 0x80 if masked else 0
    if size < 126:
        return struct.pack("!BB", 0x80 | opcode, mask_bit | size)
    if size < 65536:
        return struct.pack("!BBH", 0x80 | opcode, mask_bit | 126, size)
    return struct.pack("!BBQ", 0x80 | opcode, mask_bit | 127, size)


#: ciphertext read from the socket at a time by ``TLSStream`` (many TLS records per system call); 64 KiB (not
#: more) keeps 64 concurrent port-forward streams well under 100 MiB of RSS
TLS_READ = 64 * 1024
#: plaintext encrypted and written at a time by ``TLSStream``
TLS_WRITE = 64 * 1024


class TLSStream:
    """TLS on a blocking socket, with OpenSSL working on memory BIOs: the subset of a socket's methods that a
    stream's two threads use (``sendall``/``send_parts``, ``recv_into``/``recv``, ``shutdown``, ``close``).

    Each ``recv_into`` reads up to ``TLS_READ`` bytes of ciphertext in one system call and returns all the
    plaintext that is complete; ``send_parts`` encrypts several buffers and writes their records with one
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
        self._buffer = memoryview(bytearray(TLS_READ))
        self._eof = False

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

    def _receive(self) -> None:
        """Read ciphertext from the socket into the incoming BIO (EOF included)."""
        n = self.raw.recv_into(self._buffer)
        with self._lock:
            if n:
                self._incoming.write(self._buffer[:n])
            else:
                self._incoming.write_eof()

    def send_parts(self, parts: Sequence[bytes | bytearray | memoryview]) -> None:
        """Encrypt ``parts`` (in order, as one stream of bytes) and write them: one ``sendall`` per
        ``TLS_WRITE`` bytes, so what the outgoing BIO holds (and keeps allocated) stays bounded."""
        with self._send_lock:
            waiting = 0  # plaintext encrypted since the last write
            for part in parts:
                view = memoryview(part)
                start = 0
                while start < len(view):
                    take = min(len(view) - start, TLS_WRITE - waiting)
                    with self._lock:
                        self._tls.write(view[start : start + take])  # a memory BIO takes it all at once
                    start += take
                    waiting += take
                    if waiting == TLS_WRITE:
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
                try:
                    while got < size and not self._eof:
                        n = self._tls.read(size - got, view[got:])
                        assert isinstance(n, int)  # with a buffer, read() returns a count
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
            self._receive()

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        return bytes(buf[: self.recv_into(memoryview(buf))])

    def settimeout(self, timeout: float | None) -> None:
        self.raw.settimeout(timeout)

    def shutdown(self, how: int) -> None:
        self.raw.shutdown(how)

    def close(self) -> None:
        self.raw.close()


@dataclass
class DialedWebSocket:
    """An upgraded WebSocket: a blocking socket (or ``TLSStream`` over one), the negotiated subprotocol, and
    the bytes received after the 101 response (the start of the first frames). ``protocol`` is the
    ``websockets`` sans-I/O client state, open, for callers that want ``websockets`` to frame their
    messages."""

    sock: socket.socket | TLSStream
    subprotocol: str | None
    leftover: bytes
    protocol: ClientProtocol

    def close(self) -> None:
        """Tear the socket down (no close frame: callers that want a clean close send it first)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def dial(
    url: str,
    headers: Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
    *,
    ssl_context: ssl.SSLContext | None,
    server_hostname: str | None,
    proxy: str | None,
    user_agent: str | None,
    timeout: float | None,
) -> DialedWebSocket:
    """Connect (through ``proxy``), wrap TLS for ``wss://``, and upgrade. Blocking.

    Raises what ``websockets`` raises: ``InvalidStatus`` (with the response and its body) for a refused
    upgrade, another ``InvalidHandshake`` for a bad answer, ``OSError``/``ssl.SSLError``/``TimeoutError``
    for the transport, ``EOFError`` when the server hangs up mid-handshake.
    """
    from websockets.client import ClientProtocol
    from websockets.http11 import Response
    from websockets.sync.client import ClientConnection, connect
    from websockets.sync.utils import Deadline
    from websockets.typing import Subprotocol

    # legacy=False: the connector object, not a connection (its open_socket/enable_tls do proxy + TLS)
    # an https:// proxy is verified with the cluster's TLS settings, as client-go's transport (and so kubectl,
    # and kpy's REST requests) does; websockets would use the system's trust store
    https_proxy = proxy is not None and proxy.lower().startswith("https://")
    connector = connect(
        url,
        legacy=False,
        ssl=ssl_context,
        server_hostname=server_hostname,
        proxy=proxy,
        proxy_ssl=ssl_context if https_proxy else None,
        user_agent_header=user_agent,
        compression=None,
        open_timeout=timeout,
    )
    assert not isinstance(connector, ClientConnection)
    deadline = Deadline(timeout)
    raw = connector.open_socket(deadline)  # through the proxy's tunnel, if any
    sock: socket.socket | TLSStream = raw
    try:
        if raw.family in (socket.AF_INET, socket.AF_INET6):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if connector.ws_uri.secure:
            sock = TLSStream(
                raw, ssl_context or ssl.create_default_context(), server_hostname or connector.ws_uri.host
            )
            raw.settimeout(deadline.timeout())
            sock.handshake()
        protocol = ClientProtocol(
            connector.ws_uri, subprotocols=[Subprotocol(s) for s in subprotocols] or None, max_size=None
        )
        request = protocol.connect()
        for name, value in headers:
            request.headers[name] = value
        if user_agent:
            request.headers["User-Agent"] = user_agent
        protocol.send_request(request)
        sock.settimeout(deadline.timeout())
        sock.sendall(b"".join(protocol.data_to_send()))
        # read the head ourselves, so the frames that follow it stay ours (see ``leftover``)
        buf = bytearray()
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > MAX_HEAD:
                raise EOFError("the upgrade response head is too large")
            chunk = sock.recv(65536)
            if not chunk:
                protocol.receive_data(bytes(buf))
                protocol.receive_eof()
                break
            buf += chunk
        else:
            protocol.receive_data(bytes(buf[: end + 4]))
        leftover = bytes(buf[end + 4 :]) if end >= 0 else b""
        response = next((e for e in protocol.events_received() if isinstance(e, Response)), None)
        while response is None and protocol.handshake_exc is None:
            # not a 101: the body (a Status) follows; websockets reads it per Content-Length
            if leftover:
                protocol.receive_data(leftover)
                leftover = b""
            else:
                chunk = sock.recv(65536)
                if chunk:
                    protocol.receive_data(chunk)
                else:
                    protocol.receive_eof()
            response = next((e for e in protocol.events_received() if isinstance(e, Response)), None)
            if response is None and protocol.state.name == "CLOSED":
                break
        if protocol.handshake_exc is not None:
            raise protocol.handshake_exc
        if response is None:
            raise EOFError("connection closed during the WebSocket handshake")
        sock.settimeout(None)
        return DialedWebSocket(sock, protocol.subprotocol, leftover, protocol)
    except BaseException:
        sock.close()
        raise


class Workers:
    """Daemon threads for blocking work, reused: a connection's dial and relay threads cost a thread start
    (~150 us here) only when no idle worker is waiting. A worker idle for ``idle_timeout`` seconds exits, so
    the pool shrinks back after a burst of connections."""

    def __init__(self, idle_timeout: float = 30.0) -> None:
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._idle = 0  # workers waiting for a task that no submit has claimed yet
        self._tasks: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()

    def submit(self, fn: Callable[[], object], name: str = "kpy-worker") -> None:
        """Run ``fn`` (which must not raise) in an idle worker, or in a new one."""
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._tasks.put(fn)
                return
        threading.Thread(target=self._work, args=(fn,), name=name, daemon=True).start()

    def _work(self, fn: Callable[[], object]) -> None:
        while True:
            fn()
            del fn
            with self._lock:
                self._idle += 1
            try:
                fn = self._tasks.get(timeout=self.idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # nobody claimed a worker meanwhile: this one leaves
                        self._idle -= 1
                        return
                fn = self._tasks.get()  # a submit claimed this worker just now: its task is queued


#: the process's pool for stream threads
workers = Workers()


def run_in_thread(
    fn: Callable[[], T], *, name: str = "kpy-worker", discard: Callable[[T], Any] | None = None
) -> asyncio.Future[T]:
    """Run ``fn`` in a worker thread (``workers``); the returned future (on the running loop) gets its result.

    Threads rather than the default executor: streams block for their whole life, and there may be more of
    them than executor workers. If nobody wants the result any more (the future was cancelled), ``discard``
    receives it (to close a socket that was opened too late).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if future.cancelled():
            if ok and discard is not None:
                discard(value)
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            loop.call_soon_threadsafe(deliver, *outcome)
        except RuntimeError:  # the loop is closed: nobody is waiting
            if outcome[0] and discard is not None:
                discard(outcome[1])

    workers.submit(target, name)
    return future
