"""One forwarded connection: dial ``pods/NAME/portforward`` as a WebSocket and relay bytes both ways.

The I/O layer around ``protocol.ClientChannels``. The upgrade goes through the shared layer
(``RestClient.dial_websocket``: TLS, proxy, credentials); the bytes are then moved by two threads on blocking
sockets, because that is where Python port-forwarding spends its CPU (see ``kpy.streams.dial``):

* local -> pod: read the local socket straight into a buffer after room for the frame header and the channel
  byte, and mask header and payload with one ``apply_mask`` pass (``kpy.streams.wsbytes.masked_frame``: no copy
  before masking, no join after it) into the frame that is written;
* pod -> local: read the WebSocket into a reusable buffer and feed it to the codec
  (``kpy.streams.websocket.MessageReader``), which hands bulk data for the port out as views of that buffer;
  they are written to the local socket without assembling messages. Everything that is not bulk data (the port
  headers, error-channel text, base64 framing, control frames) goes through the sans-I/O cores.

Backpressure is end to end and every buffer is bounded: a thread reads its source only after the previous bytes
were written to the other side, so a slow pod stops the reads from the local socket and a slow local reader
stops the reads from the WebSocket (TCP windows then push back on both peers). Buffers are allocated on need:
each starts at ``FIRST_BUFFER`` and doubles only when a read fills it, so an idle or interactive stream, or the
quiet direction of a bulk one, holds a few KiB. Past 16 KiB they grow only while the process-wide
``LARGE_BUFFERS`` budget lasts (pod->local reads to ``RECV_BUFFER``, local->pod messages to ``CHUNK``), else stay
at 16 KiB (``V4_SMALL_CHUNK``): each v4 stream has its own TLS connection, whose buffers follow the reads and
messages, so memory is bounded whatever the number of streams (128 concurrent bulk v4 streams stay under 100 MiB
of RSS; ``bench/portforward_rss.py``).

v4 has no half-close: when the local peer ends its side, the client sends a close frame (the kubelet then
closes the pod connection), while bytes already on their way from the pod are still delivered until the
server's close frame arrives (at most ``CLOSE_TIMEOUT``). When the pod side ends (the server closes the
WebSocket), the local socket is closed after everything received was written.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import os
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kpy.errors import ConnectionFailed
from kpy.portforward.protocol import (
    SUBPROTOCOLS,
    ClientChannels,
    DataReceived,
    ErrorReceived,
    Framing,
    ProtocolFailure,
)
from kpy.streams.tls import TLSStream
from kpy.streams.websocket import (
    CLOSE_NO_STATUS,
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    OP_TEXT,
    Chunk,
    Close,
    Message,
    MessageReader,
    Ping,
    ProtocolError,
    apply_mask,
    close_payload,
    frame_header,
)
from kpy.streams.workers import run_in_thread, workers
from kpy.streams.wsbytes import FRAME_HEADROOM, masked_frame

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.streams.dial import DialedWebSocket

#: most bytes read from the local socket per message: ``CHUNK`` when ``LARGE_BUFFERS`` allows, else
#: ``SMALL_CHUNK`` on the shared SPDY connection (a 256 KiB message costs a third less CPU per GiB than 64 KiB
#: ones, measured local->pod) and ``V4_SMALL_CHUNK`` on a v4 stream
CHUNK = 256 * 1024
SMALL_CHUNK = 64 * 1024
#: most bytes read from the WebSocket at a time (larger reads gain nothing measurable here), while
#: ``LARGE_BUFFERS`` allows; else reads stay at ``FIRST_BUFFER``
RECV_BUFFER = 64 * 1024
#: what each direction's buffer starts at (it doubles when a read fills it)
FIRST_BUFFER = 16 * 1024
#: most bytes per v4 message once ``LARGE_BUFFERS`` is spent: every v4 stream has its own TLS connection,
#: whose buffers follow the messages' size (128 concurrent bulk v4 streams stay under 100 MiB of RSS)
V4_SMALL_CHUNK = 16 * 1024


class BufferBudget:
    """A process-wide allowance for the large buffers of busy streams, so that memory stays bounded whatever
    the number of streams: the first streams to need one get it, the others stay at the small size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


#: 4 MiB: 16 streams with 256 KiB messages (64 concurrent bulk streams stay well under 100 MiB of RSS)
LARGE_BUFFERS = BufferBudget(4 << 20)
#: largest message (other than bulk data for the port, which is streamed) accepted from the server
MAX_MESSAGE = 32 << 20
#: how long to wait for the server's close frame after the local side ended
CLOSE_TIMEOUT = 10.0

#: close codes that end a stream normally (RFC 6455: normal, going away, no status)
_OK_CLOSE = (1000, 1001, 1005)
_NORMAL_CLOSE_FRAME = close_payload(1000)


def portforward_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward"


async def open_stream(
    client: RestClient,
    namespace: str,
    pod: str,
    ports: Sequence[int],
    subprotocols: Sequence[str] = SUBPROTOCOLS,
) -> DialedWebSocket:
    """Upgrade ``pods/NAME/portforward?ports=...`` with the client's TLS, credentials and proxy.

    ``throttle=False``: like kubectl's streams (its SPDY or WebSocket dialer does not use the client-side rate
    limiter), one local connection is not an API request, so 64 connections at once are not spread over
    seconds by the 5 QPS token bucket. No pings (kubectl sends none on port-forward streams), no compression.
    A rejected upgrade raises the typed API error from the answer's Status (404 when the pod is gone); a
    transport failure raises ``ConnectionFailed("error upgrading connection: ...")``.
    """
    path = portforward_path(namespace, pod)
    try:
        return await client.dial_websocket(
            path, [("ports", ",".join(str(p) for p in ports))], subprotocols, throttle=False
        )
    except ConnectionFailed as exc:
        raise ConnectionFailed(f"error upgrading connection: {exc}", exc.host) from exc


#: the WebSocket ended without a close frame; the forwarder finds out whose side failed
STREAM_DROPPED = "the port-forward stream ended without a close frame"

Side = Literal["local", "pod", "server", "dropped"]


@dataclass(frozen=True)
class StreamProblem:
    """Why one forwarded connection ended badly, and on whose side.

    ``local``: the local client (reset, or gone before everything was delivered); the pod is fine.
    ``pod``: the kubelet said so on the error channel (nothing listens on the port, the container went away).
    ``server``: the server side closed the WebSocket with an error code or broke the protocol.
    ``dropped``: the WebSocket ended without a close frame (the kubelet, the API server or the path between).
    """

    side: Side
    message: str

    def __str__(self) -> str:
        return self.message


class _Closed(Exception):
    """The WebSocket ended: ``problem`` is what to report (None for a normal end)."""

    def __init__(self, problem: str | None, side: Side = "server") -> None:
        super().__init__(problem)
        self.problem = problem
        self.side: Side = side


class _LocalWriteFailed(Exception):
    """Writing to the local client failed (it reset or closed the connection)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _peer_name(sock: socket.socket) -> str:
    """``127.0.0.1:54321`` / ``[::1]:54321`` for a TCP peer; something readable otherwise."""
    try:
        peer = sock.getpeername()
    except OSError:
        return "(disconnected)"
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = str(peer[0]), int(peer[1])
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "(unnamed socket)"


def _local_write(sock: socket.socket, parts: Sequence[bytes | memoryview]) -> None:
    try:
        _sendall_parts(sock, parts)
    except OSError as exc:
        raise _LocalWriteFailed(exc) from exc


_LOCAL_WHAT = {
    errno.ECONNRESET: "reset the connection",
    errno.EPIPE: "closed the connection before everything was delivered",
}


def local_problem_text(peer: str, op: str, exc: OSError) -> str:
    """What happened to the local client, in its words: ``local client 127.0.0.1:5000 reset the connection
    (read: connection reset by peer)``."""
    what = _LOCAL_WHAT.get(exc.errno or 0, "connection failed")
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    reason = reason[:1].lower() + reason[1:]
    return f"local client {peer} {what} ({op}: {reason})"


class Relay:
    """The two threads of one forwarded connection. ``run()`` blocks until both sides are done."""

    def __init__(
        self,
        ws: DialedWebSocket,
        local: socket.socket,
        remote_port: int,
        peer: str | None = None,
        on_unanswered_eof: Callable[[], None] | None = None,
    ) -> None:
        self.ws = ws
        #: called (from the relay's thread) when the local client ends its side right after sending, before
        #: any answer: v4 cannot pass that half-close on, so the answer may never come
        self.on_unanswered_eof = on_unanswered_eof
        self._awaiting_answer = False  # the local client sent data and nothing came back since
        self.sock = ws.sock
        self.local = local
        self.channels = ClientChannels([remote_port], Framing.for_subprotocol(ws.subprotocol))
        self.problem: StreamProblem | None = None
        self.peer = peer or _peer_name(local)  #: the local client's address, for messages
        #: the local side ended and our close frame went out: a lost stream is no longer a problem
        self.closing = False
        self._send_lock = threading.Lock()
        self._close_sent = False
        self._aborted = False
        self._fatal = False
        self._large = 0  # bytes of LARGE_BUFFERS the local->pod buffer holds
        self._large_down = 0  # and the pod->local one
        self._down_done = threading.Event()  # the pod -> local side has finished
        #: write several buffers as one: sendmsg on a socket; TLS encrypts them and writes the records together
        self._send_parts: Callable[[Sequence[bytes | memoryview]], None] = (
            ws.sock.send_parts
            if isinstance(ws.sock, TLSStream)
            else functools.partial(_sendall_parts, ws.sock)
        )

    # -- control --------------------------------------------------------------------------------------
    def abort(self) -> None:
        """Stop both threads now (forwarder shutting down): tear both sockets down. Thread-safe."""
        self._aborted = True
        for sock in (self.sock, self.local):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> StreamProblem | None:
        """Relay until either side ends; returns the problem to report for this connection, or None.

        Never raises for stream problems: an error-channel message, a protocol violation or a dropped
        WebSocket all become the returned message.
        """
        up_done = threading.Event()

        def up() -> None:
            try:
                self._local_to_pod()
            except BaseException as exc:  # a bug, not a stream problem: report it and end the connection
                self.problem = self.problem or StreamProblem(
                    "server", f"internal error relaying to the pod: {exc!r}"
                )
                self._fatal = True
                self.abort()
            finally:
                up_done.set()

        workers.submit(up, "kpy-pf-up")
        try:
            self._pod_to_local()
        finally:
            # the pod side is done: wake the other thread (blocked reading the local socket) and wait for it
            self._down_done.set()
            with contextlib.suppress(OSError):
                self.local.shutdown(socket.SHUT_RDWR)
            up_done.wait()
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
            self.local.close()
        return self.problem if self._fatal or not self._aborted else None

    def _local_problem(self, op: str, exc: OSError) -> None:
        if self.problem is None:
            self.problem = StreamProblem("local", local_problem_text(self.peer, op, exc))

    # -- local -> pod ---------------------------------------------------------------------------------
    def _send_frame(self, opcode: int, payload: bytes | bytearray | memoryview) -> None:
        """One masked frame (client frames must be masked), sent whole under the send lock."""
        mask = os.urandom(4)
        size = len(payload)
        head = frame_header(opcode, size, masked=True)
        body = apply_mask(payload, mask)
        # a small frame goes out as one piece (one TLS record); a large one without concatenating
        self._send_masked((head + mask + body,) if size < 4096 else (head + mask, body), opcode)

    def _send_masked(self, parts: Sequence[bytes], opcode: int = OP_BINARY) -> None:
        """A frame masked already, under the send lock (nothing after our close frame)."""
        with self._send_lock:
            if self._close_sent:
                return
            if opcode == OP_CLOSE:
                self._close_sent = True
            self._send_parts(parts)

    def _local_to_pod(self) -> None:
        try:
            self._relay_up()
        finally:
            if self._large:
                LARGE_BUFFERS.give(self._large)
                self._large = 0

    def _grown(self, current: int) -> int:
        """The local->pod buffer's next size after a read filled ``current`` bytes."""
        size = min(CHUNK, 2 * current)
        if size > V4_SMALL_CHUNK and not self._large:
            if LARGE_BUFFERS.take(CHUNK):
                self._large, size = CHUNK, CHUNK
            else:
                size = V4_SMALL_CHUNK  # the budget is spent: other streams hold it
        return max(size, current)

    def _relay_up(self) -> None:
        binary = self.channels.framing is Framing.BINARY
        # [frame header room][channel byte 0: the data channel of the one port][data read from the local socket]
        start = FRAME_HEADROOM
        buf = bytearray(start + 1 + FIRST_BUFFER)
        view = memoryview(buf)[start + 1 :]
        try:
            while True:
                try:
                    n = self.local.recv_into(view)
                except OSError as exc:
                    if not (self._close_sent or self._aborted or self._down_done.is_set()):
                        self._local_problem("read", exc)
                    n = 0  # a reset local peer ends the connection like EOF does
                if not n:
                    break
                self._awaiting_answer = True
                if binary:  # masked in place: one pass over the data, one buffer for the frame
                    self._send_masked((masked_frame(OP_BINARY, buf, start, start + 1 + n),))
                else:
                    message = self.channels.data_message(0, bytes(view[:n]))
                    assert isinstance(message, str)
                    self._send_frame(OP_TEXT, message.encode("ascii"))
                if n == len(view) < CHUNK:  # a full read: bulk data, read more at a time
                    size = self._grown(n)
                    if size > n:
                        buf = bytearray(start + 1 + size)
                        view = memoryview(buf)[start + 1 :]
        except OSError:
            if self._close_sent or self._aborted:
                return  # the WebSocket ended first (the other thread is finishing)
        if self._aborted or self._down_done.is_set():
            return  # nothing left to close: the other side has finished
        # local EOF: no half-close in v4, so end the stream; keep delivering what the pod already sent
        self.closing = True
        if self._awaiting_answer and self.on_unanswered_eof is not None:
            self.on_unanswered_eof()
        try:
            self._send_frame(OP_CLOSE, _NORMAL_CLOSE_FRAME)
        except OSError:
            return
        # the server's close frame should follow what it had sent; do not wait for it forever
        if not self._down_done.wait(CLOSE_TIMEOUT):
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    # -- pod -> local ---------------------------------------------------------------------------------
    def _pod_to_local(self) -> None:
        try:
            self._read_frames()
        except _LocalWriteFailed as failed:
            if not self._aborted:
                self._local_problem("write", failed.error)
        except _Closed as end:
            if end.problem is not None and not self.closing and self.problem is None:
                self.problem = StreamProblem(end.side, end.problem)
        except OSError:
            if not self.closing and not self._aborted and self.problem is None:
                self.problem = StreamProblem("dropped", STREAM_DROPPED)
        finally:
            if self._large_down:
                LARGE_BUFFERS.give(self._large_down)
                self._large_down = 0

    def _read_frames(self) -> None:
        """Read the WebSocket into a reusable buffer and act on the codec's events; returns or raises
        ``_Closed``/``OSError`` when the stream ends."""
        sock, local, channels = self.sock, self.local, self.channels
        binary = channels.framing is Framing.BINARY

        def bulk(opcode: int, first: bytes | memoryview) -> bool:
            # data for the port (channel byte 0, port header already received): write it as it arrives
            return binary and opcode == OP_BINARY and first[0] == 0 and channels.header_received(0)

        reader = MessageReader(client=True, max_message=MAX_MESSAGE, stream=bulk)
        buf = bytearray(FIRST_BUFFER)
        view = memoryview(buf)
        data: bytes | memoryview = self.ws.leftover
        # data for the port from one read, written with one sendmsg before ``buf`` is read into again
        pending: list[bytes | memoryview] = []
        while True:
            if data:
                try:
                    events = reader.feed(data)
                except ProtocolError as exc:
                    raise _Closed(f"protocol error: {exc}") from None
                for event in events:
                    if isinstance(event, Chunk):
                        piece = event.data[1:] if event.first else event.data
                        if piece:
                            pending.append(piece)
                        continue
                    if pending:
                        self._awaiting_answer = False
                        _local_write(local, pending)
                        pending.clear()
                    if isinstance(event, Message):
                        self._deliver(event.data if event.opcode == OP_BINARY else event.text)
                    elif isinstance(event, Ping):
                        self._send_frame(OP_PONG, event.payload)
                    elif isinstance(event, Close):
                        self._closed_by_server(event)
                if pending:
                    self._awaiting_answer = False
                    _local_write(local, pending)
                    pending.clear()
            # the last read filled the buffer: bulk data, read more at a time (while the budget allows)
            if len(data) == len(buf) < RECV_BUFFER and (self._large_down or LARGE_BUFFERS.take(RECV_BUFFER)):
                self._large_down = RECV_BUFFER
                buf = bytearray(min(RECV_BUFFER, 2 * len(buf)))
                view = memoryview(buf)
            n = sock.recv_into(view)  # TLSStream: every complete record at once
            if not n:
                raise _Closed(STREAM_DROPPED, "dropped")
            data = view[:n]

    def _deliver(self, message: bytes | str) -> None:
        for event in self.channels.receive(message):
            if isinstance(event, DataReceived):
                self._awaiting_answer = False
                _local_write(self.local, (event.data,))
            elif isinstance(event, ErrorReceived):
                raise _Closed(event.message, "pod")
            elif isinstance(event, ProtocolFailure):
                raise _Closed(f"protocol error: {event.message}")

    def _closed_by_server(self, close: Close) -> None:
        with contextlib.suppress(OSError):
            self._send_frame(OP_CLOSE, b"" if close.code == CLOSE_NO_STATUS else close_payload(close.code))
        if close.code in _OK_CLOSE:
            raise _Closed(None)
        detail = f": {close.reason}" if close.reason else ""
        raise _Closed(f"the port-forward stream was closed by the server (code {close.code}{detail})")


#: most buffers one ``sendmsg`` takes (Linux refuses more with EMSGSIZE: "Message too long")
IOV_MAX = 1024


def _sendall_parts(sock: socket.socket, parts: Iterable[bytes | memoryview]) -> None:
    """``sendall`` of several buffers with one ``sendmsg`` per ``IOV_MAX`` of them (scatter/gather: the payload
    is not copied). One read of the shared SPDY connection may bring thousands of small DATA frames for one
    local connection."""
    views = [memoryview(p) for p in parts]
    i, count = 0, len(views)
    while i < count:
        sent = sock.sendmsg(views[i : i + IOV_MAX] if count - i > IOV_MAX else views[i:] if i else views)
        while i < count and sent >= len(views[i]):
            sent -= len(views[i])
            i += 1
        if sent:
            views[i] = views[i][sent:]


async def relay(
    ws: DialedWebSocket,
    local: socket.socket,
    remote_port: int,
    peer: str | None = None,
    on_unanswered_eof: Callable[[], None] | None = None,
) -> StreamProblem | None:
    """Move bytes between ``local`` and the WebSocket until either side ends (both sockets are closed after).

    Returns the problem to report for this connection (with the side it happened on), or None. Cancelling the awaiting task aborts the relay
    (both sockets torn down) and waits for its threads to finish.
    """
    local.setblocking(True)
    worker = Relay(ws, local, remote_port, peer, on_unanswered_eof)
    done = run_in_thread(worker.run, name="kpy-pf-down")
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        worker.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(done, CLOSE_TIMEOUT)
        raise
