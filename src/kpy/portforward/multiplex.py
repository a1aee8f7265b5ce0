"""Port-forward over SPDY/3.1: one connection to ``pods/NAME/portforward`` for every local connection.

kubectl's protocol (client-go ``tools/portforward``), either after an HTTP upgrade to ``SPDY/3.1`` or tunnelled
in WebSocket binary messages (subprotocol ``SPDY/3.1+portforward.k8s.io``). Each local connection opens a pair
of streams with headers ``streamType`` (``error``, then ``data``), ``port`` and ``requestID``; the error stream
is closed at once from our side (the kubelet only writes there). Unlike kubectl, kpy does not wait for each
SYN_REPLY before sending: the kubelet handles a stream's frames in order, so the pair and the first data leave
in one write (one round trip less per connection).

Threads, like the v4 relay: one reader per connection (``SpdyConnection``) parses frames (``kpy.streams.spdy``,
inside the tunnel's binary messages: ``kpy.streams.wsbytes.ByteStreamReader``) and writes each stream's data to
its local socket, everything one 1 MiB read brought for a stream with one ``sendmsg``; one thread per local
connection reads the local socket into DATA frames, after room for the frame headers, so that one masking pass
makes the whole frame (``send_buffered``). A new local connection's streams, with its first bytes when they are
there, are opened from the event loop that accepted it when that cannot block (``open_now``), else from its
thread. CPU per GiB is then close to what TLS and the system calls cost alone (``bench/portforward.py``). Half-close passes through both ways:
a local EOF sends FIN on the data stream and the pod's answer still arrives; the pod's FIN shuts the local
socket's write side. SPDY has no per-stream flow control in Kubernetes (spdystream ignores WINDOW_UPDATE), so a
local client that does not read holds up the reader, as in kubectl; TCP pushes back on the server.

When the connection breaks (EOF, GOAWAY, a protocol error), every open stream ends with ``STREAM_DROPPED`` and
the next local connection dials a new one (``PortForwarder``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kpy.portforward.stream import (
    FIRST_BUFFER,
    LARGE_BUFFERS,
    SMALL_CHUNK,
    STREAM_DROPPED,
    StreamProblem,
    _sendall_parts,
    local_problem_text,
)
from kpy.streams import spdy, tunneldata
from kpy.streams.tls import TLSStream
from kpy.streams.websocket import (
    CLOSE_NORMAL,
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    Close,
    ControlEvent,
    Ping,
    ProtocolError,
    apply_mask,
    close_payload,
    frame_header,
)
from kpy.streams.workers import workers
from kpy.streams.wsbytes import FRAME_HEADROOM, ByteStreamReader, masked_frame_parts

#: bytes in front of a local connection's data in its buffer: the WebSocket frame header and the SPDY one
HEADROOM = FRAME_HEADROOM + 8
#: most bytes read from a local connection at a time, and so the most in one DATA frame, while
#: ``LARGE_BUFFERS`` allows (else ``SMALL_CHUNK``): 1 MiB reads cost ~15% less CPU per GiB than 256 KiB ones
#: (a bulk local->pod stream: Python's work and the system calls per read, on both ends of the local socket)
MUX_CHUNK = 1 << 20
#: the shared connection's reads and writes (one connection, so larger than a v4 stream's): a read brings
#: many DATA frames, whose pieces for one local connection leave with one ``sendmsg`` (1 MiB instead of 256 KiB:
#: ~20% less CPU per GiB pod->local, kpy's and the local reader's), a write takes a whole ``MUX_CHUNK`` frame
CONNECTION_READ = 1 << 20
CONNECTION_WRITE = MUX_CHUNK + 64 * 1024

TUNNEL_SUBPROTOCOL = "SPDY/3.1+portforward.k8s.io"
PORTFORWARD_PROTOCOL = "portforward.k8s.io"
#: the headers of an upgrade to SPDY for port-forward (client-go's SpdyRoundTripper)
SPDY_UPGRADE_HEADERS = (
    ("Connection", "Upgrade"),
    ("Upgrade", "SPDY/3.1"),
    ("X-Stream-Protocol-Version", PORTFORWARD_PROTOCOL),
)


@dataclass(eq=False)
class _Forward:
    """One local connection's stream pair."""

    local: socket.socket
    peer: str
    data_id: int
    error_id: int
    error_text: bytearray = field(default_factory=bytearray)
    remote_done: threading.Event = field(default_factory=threading.Event)  # data FIN/RST, or connection lost
    error_done: threading.Event = field(default_factory=threading.Event)
    reset: bool = False
    dropped: bool = False
    local_failed: OSError | None = None
    local_op: str = "write"
    local_shut: bool = False
    local_eof: bool = False  # the local client ended its side (FIN sent)
    waiting_first: bool = False  # opened before the local client had sent anything (``send_first``)


class SpdyConnection:
    """One SPDY session over a dialed socket (``tunnel``: inside WebSocket binary messages). Thread-safe."""

    def __init__(
        self,
        sock: socket.socket | TLSStream,
        leftover: bytes,
        *,
        tunnel: bool,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.sock = sock
        self.tunnel = tunnel
        self.on_close = on_close
        self.closed = threading.Event()
        self.problem: str | None = None  # why the connection ended, when it was not us
        self._leftover = leftover
        self._lock = (
            threading.Lock()
        )  # stream ids, the encoder's compression context, frame order on the wire
        self._encoder = spdy.Encoder()
        self._next_id = 1
        self._request_id = 0
        self._forwards: dict[int, _Forward] = {}
        self._send_parts: Callable[[Iterable[bytes | memoryview]], None] = (
            sock.send_parts if isinstance(sock, TLSStream) else functools.partial(_sendall_parts, sock)
        )
        self._raw = sock.raw if isinstance(sock, TLSStream) else sock
        if isinstance(sock, TLSStream):
            sock.set_write_size(CONNECTION_WRITE)
        workers.submit(self._read_loop, "kpy-pf-spdy")

    # -- writing ---------------------------------------------------------------------------------------
    def _frame_parts(self, parts: Sequence[bytes | memoryview]) -> list[bytes | memoryview]:
        """``parts`` as they go on the wire: one masked binary message around them for the tunnel."""
        if not self.tunnel:
            return list(parts)
        size = sum(len(p) for p in parts)
        mask = os.urandom(4)
        body = apply_mask(b"".join(parts) if len(parts) > 1 else parts[0], mask)
        return [frame_header(OP_BINARY, size, masked=True) + mask, body]

    def _write(self, parts: Sequence[bytes | memoryview]) -> None:
        """Send under the lock (the caller holds it)."""
        self._send_parts(self._frame_parts(parts))

    def send_data(self, stream_id: int, data: memoryview, *, fin: bool = False) -> None:
        head = spdy.data_header(stream_id, len(data), fin=fin)
        parts: list[bytes | memoryview] = [head + bytes(data)] if len(data) < 4096 else [head, data]
        with self._lock:
            self._write(parts)

    def send_buffered(self, stream_id: int, buf: bytearray, size: int) -> None:
        """Send ``buf[HEADROOM:HEADROOM + size]`` as one DATA frame, its headers written into ``buf`` in front
        of it: one pass over the bytes (the tunnel's masking) and one write, with no copy before either."""
        start = HEADROOM - 8
        buf[start:HEADROOM] = spdy.data_header(stream_id, size)
        end = HEADROOM + size
        with self._lock:  # masked under the lock too: one masked piece at a time, whatever the streams
            if self.tunnel:
                self._send_parts(masked_frame_parts(OP_BINARY, buf, start, end))
            else:
                self._send_parts((memoryview(buf)[start:end],))

    def _send_control(self, frame: spdy.Frame) -> None:
        with self._lock:
            self._write([self._encoder.encode(frame)])

    # -- streams ---------------------------------------------------------------------------------------
    def open(self, local: socket.socket, port: int, peer: str) -> _Forward:
        """Open the stream pair for one local connection (without waiting for the replies)."""
        with self._lock:
            return self._open(local, port, peer, b"")

    def open_now(self, local: socket.socket, port: int, peer: str) -> _Forward | None:
        """``open`` from the event loop, with the local client's first bytes when they are already there (the
        streams and the data in one write): the connection is served without waiting for a thread. None when
        that could block (another thread is writing, or the connection's socket buffer is full): the caller
        opens from a thread then."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self.closed.is_set() or not _writable(self._raw):
                return None
            first, failed, waiting = b"", None, False
            try:
                first = local.recv(FIRST_BUFFER, socket.MSG_DONTWAIT)
            except BlockingIOError:
                waiting = True  # nothing yet: ``send_first`` or the relay's thread reads it
            except OSError as exc:  # reported as the relay reports a failed read
                failed = exc
            forward = self._open(local, port, peer, first)
            forward.waiting_first = waiting
            if failed is not None:
                forward.local_failed, forward.local_op = failed, "read"
            return forward
        finally:
            self._lock.release()

    def send_first(self, forward: _Forward) -> None:
        """From the event loop, once the local client of a stream opened by ``open_now`` has something to
        read: send its first bytes when that cannot block (else the relay's thread does)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self.closed.is_set() or not _writable(self._raw):
                return
            try:
                first = forward.local.recv(FIRST_BUFFER, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError as exc:  # reported as the relay reports a failed read
                forward.local_failed, forward.local_op = exc, "read"
                return
            if first:  # (an EOF is read again by the relay's thread)
                with contextlib.suppress(OSError):  # a broken connection: the relay finds out
                    self._write([spdy.data_header(forward.data_id, len(first)) + first])
        finally:
            self._lock.release()

    def _open(self, local: socket.socket, port: int, peer: str, first: bytes) -> _Forward:
        """The caller holds the lock."""
        if self.closed.is_set():
            raise OSError(STREAM_DROPPED)
        error_id, data_id = self._next_id, self._next_id + 2
        self._next_id += 4
        request_id = str(self._request_id)
        self._request_id += 1
        forward = _Forward(local, peer, data_id, error_id)
        self._forwards[error_id] = self._forwards[data_id] = forward
        common = [("port", str(port)), ("requestID", request_id)]
        error = self._encoder.encode(spdy.SynStream(error_id, [("streamType", "error"), *common]))
        data = self._encoder.encode(spdy.SynStream(data_id, [("streamType", "data"), *common]))
        # kubectl closes its side of the error stream as soon as it is open
        frames = error + spdy.data_header(error_id, 0, fin=True) + data
        if first:
            frames += spdy.data_header(data_id, len(first)) + first
        self._write([frames])
        return forward

    def _forget(self, forward: _Forward) -> None:
        with self._lock:
            self._forwards.pop(forward.data_id, None)
            self._forwards.pop(forward.error_id, None)

    def reset(self, forward: _Forward) -> None:
        """Both streams of ``forward`` are done with (RST_STREAM CANCEL unless they ended cleanly)."""
        clean = forward.remote_done.is_set() and forward.error_done.is_set() and not forward.local_failed
        self._forget(forward)
        if clean or self.closed.is_set():
            return
        with contextlib.suppress(OSError):
            for stream_id in (forward.data_id, forward.error_id):
                self._send_control(spdy.RstStream(stream_id, spdy.CANCEL))

    def close(self) -> None:
        """Tear the connection down (GOAWAY first when it is up and no writer holds it). Never blocks on
        the network for long: the event loop calls it."""
        if not self.closed.is_set() and self._lock.acquire(timeout=0.1):
            try:
                with contextlib.suppress(OSError):
                    self._write([self._encoder.encode(spdy.GoAway(0, spdy.GOAWAY_OK))])
                    if self.tunnel:
                        mask = os.urandom(4)
                        payload = close_payload(CLOSE_NORMAL)
                        head = frame_header(OP_CLOSE, len(payload), masked=True) + mask
                        self._send_parts([head + apply_mask(payload, mask)])
            finally:
                self._lock.release()
        self._end(None)

    def _end(self, problem: str | None) -> None:
        with self._lock:
            if self.closed.is_set():
                return
            self.closed.set()
            self.problem = problem
            forwards = set(self._forwards.values())
            self._forwards.clear()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        for forward in forwards:
            forward.dropped = not (forward.remote_done.is_set() and forward.error_done.is_set())
            forward.remote_done.set()
            forward.error_done.set()
            with contextlib.suppress(OSError):
                forward.local.shutdown(socket.SHUT_RDWR)
        if self.on_close is not None:
            self.on_close()

    # -- reading ---------------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        decoder = spdy.Decoder()
        ws = ByteStreamReader(client=True) if self.tunnel else None
        buf = bytearray(CONNECTION_READ)
        view = memoryview(buf)
        data: bytes | memoryview = self._leftover
        self._leftover = b""
        problem: str | None = STREAM_DROPPED
        try:
            while True:
                if data:
                    if ws is None:
                        self._frames(decoder.feed(data))
                    else:
                        pings: list[ControlEvent] = []
                        if tunneldata.ready(
                            ws, decoder
                        ):  # bulk data first, without a Python object per frame
                            taken, groups, pings = tunneldata.take_data(ws, decoder, memoryview(data))
                            self._data(groups)
                            data = data[taken:]
                        # every frame of this read, across the tunnel's messages, before the next read: what
                        # several DATA frames bring for one local connection goes out with one write
                        payload, events = ws.feed(data)
                        if pings:
                            events = pings + events
                        frames: list[spdy.Frame] = []
                        try:
                            for piece in payload:
                                frames += decoder.feed(piece)
                        except spdy.SpdyError:
                            self._frames(frames)  # what came before the broken frame is delivered
                            raise
                        self._frames(frames)
                        for event in events:
                            if isinstance(event, Ping):
                                mask = os.urandom(4)
                                pong = frame_header(OP_PONG, len(event.payload), masked=True) + mask
                                with self._lock:
                                    self._send_parts([pong + apply_mask(event.payload, mask)])
                            elif isinstance(event, Close):
                                detail = f" (code {event.code})" if event.code != CLOSE_NORMAL else ""
                                raise _Ended(f"the server closed the port-forward tunnel{detail}")
                n = self.sock.recv_into(view)
                if not n:
                    break
                data = view[:n]
        except _Ended as end:
            problem = end.problem
        except (ProtocolError, spdy.SpdyError) as exc:
            problem = f"protocol error: {exc}"
        except OSError:
            pass
        if self.closed.is_set():
            problem = None
        self._end(problem)

    def _data(self, groups: tunneldata.Groups) -> None:
        """Bulk data (``tunneldata.take_data``): each run of pieces for one stream with one write."""
        forwards = self._forwards
        for stream_id, pieces in groups:
            forward = forwards.get(stream_id)
            if forward is None:
                continue
            if stream_id == forward.error_id:
                for piece in pieces:
                    forward.error_text += piece
            else:
                self._to_local(forward, pieces)

    def _frames(self, frames: list[spdy.Frame]) -> None:
        forwards = self._forwards
        current: _Forward | None = None  # the local connection the pieces in ``chunks`` are for
        chunks: list[bytes | memoryview] = []
        for frame in frames:
            if type(frame) is spdy.Data:
                forward = forwards.get(frame.stream_id)
                if forward is None:
                    continue
                if frame.stream_id == forward.error_id:
                    forward.error_text += frame.data
                    if frame.fin:
                        forward.error_done.set()
                    continue
                if forward is not current:
                    if chunks:  # consecutive pieces for one local connection go out with one sendmsg
                        assert current is not None
                        self._to_local(current, chunks)
                        chunks = []
                    current = forward
                if frame.data:
                    chunks.append(frame.data)
                if frame.fin:
                    if chunks:
                        self._to_local(forward, chunks)
                        chunks = []
                    self._remote_fin(forward)
                continue
            if chunks:
                assert current is not None
                self._to_local(current, chunks)
                chunks = []
            if isinstance(frame, spdy.RstStream):
                forward = forwards.get(frame.stream_id)
                if forward is not None:
                    forward.reset = True
                    forward.remote_done.set()
                    forward.error_done.set()
                    self._remote_fin(forward)
            elif isinstance(frame, spdy.Ping):
                if not frame.id & 1:  # the server's: echo it
                    self._send_control(frame)
            elif isinstance(frame, spdy.GoAway):
                reason = spdy.goaway_text(frame.status)
                raise _Ended(
                    f"the server ended the port-forward connection (GOAWAY{': ' + reason if reason else ''})"
                )
        if chunks:
            assert current is not None
            self._to_local(current, chunks)

    def _to_local(self, forward: _Forward, chunks: list[bytes | memoryview]) -> None:
        if forward.local_failed is not None or forward.local_shut:
            return
        try:
            _sendall_parts(forward.local, chunks)
        except OSError as exc:
            forward.local_failed = exc
            with contextlib.suppress(OSError):
                forward.local.shutdown(socket.SHUT_RDWR)  # wakes the local reader

    def _remote_fin(self, forward: _Forward) -> None:
        """The pod's side is done: the local client gets EOF after what was written, and the local reader
        stops (as kubectl ends the connection when the remote copy ends)."""
        forward.remote_done.set()
        if not forward.local_shut:
            forward.local_shut = True
            with contextlib.suppress(OSError):
                forward.local.shutdown(socket.SHUT_RDWR)


def _writable(sock: socket.socket) -> bool:
    """Whether a small write to ``sock`` goes through at once (its send buffer has room)."""
    if not hasattr(select, "poll"):  # (Windows) no way to tell cheaply: the caller's thread writes
        return False
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(0))


class _Ended(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


#: large buffers of streams that ended, for the next ones: never more than ``LARGE_BUFFERS`` allows at once
#: (taken before one is made), and kept rather than freed: 1 MiB blocks freed by ever other threads
#: stay with the allocator (~10 MiB more peak RSS with many streams)
_LARGE_FREE: list[bytearray] = []


def _large_buffer() -> bytearray:
    try:
        return _LARGE_FREE.pop()
    except IndexError:
        return bytearray(HEADROOM + MUX_CHUNK)


class Quiet:
    """``relay_local``'s answer when its local client went quiet: nothing was lost, the caller waits on the
    event loop for the client's next bytes and calls it again."""


#: the local client sent nothing for ``relay_local``'s ``quiet`` seconds
WENT_QUIET = Quiet()


def relay_local(
    conn: SpdyConnection, forward: _Forward, *, close_timeout: float = 10.0, quiet: float | None = None
) -> StreamProblem | Quiet | None:
    """Move the local connection's bytes into the data stream until its EOF (FIN, half-close), then wait for
    the pod's side to finish; returns the problem to report, or None. Blocking; closes the local socket.

    With ``quiet``, returns ``WENT_QUIET`` (and closes nothing) once the local client has sent nothing for
    that many seconds, so that a quiet keep-alive connection holds no thread."""
    local = forward.local
    # the data goes after HEADROOM bytes, where the frame headers are written (``send_buffered``)
    buf = bytearray(HEADROOM + FIRST_BUFFER)
    view = memoryview(buf)[HEADROOM:]
    large = 0
    problem: StreamProblem | None = None
    flags = 0 if quiet is None else socket.MSG_DONTWAIT
    poller: select.poll | None = None
    went_quiet = False
    try:
        while True:
            try:
                n = local.recv_into(view, 0, flags)
            except BlockingIOError:  # only with ``quiet``: wait for more, up to that long
                if poller is None:
                    poller = select.poll()
                    poller.register(local, select.POLLIN)
                assert quiet is not None
                if not poller.poll(quiet * 1000):
                    went_quiet = True
                    return WENT_QUIET
                continue
            except OSError as exc:
                if forward.local_failed is None and not forward.remote_done.is_set():
                    forward.local_failed, forward.local_op = exc, "read"
                n = 0
            if not n:
                break
            try:
                conn.send_buffered(forward.data_id, buf, n)
            except OSError:
                break
            if n == len(view) < MUX_CHUNK:
                size = min(MUX_CHUNK, 2 * n)
                if size > SMALL_CHUNK:
                    if not large and LARGE_BUFFERS.take(MUX_CHUNK):
                        large, size = MUX_CHUNK, MUX_CHUNK
                    else:
                        size = SMALL_CHUNK
                if size > n:
                    buf = _large_buffer() if size == MUX_CHUNK else bytearray(HEADROOM + size)
                    view = memoryview(buf)[HEADROOM:]
        if forward.local_failed is None:
            forward.local_eof = not forward.remote_done.is_set()
            with contextlib.suppress(OSError):
                conn.send_data(forward.data_id, memoryview(b""), fin=True)  # half-close (or our side's end)
            forward.remote_done.wait()
            forward.error_done.wait(close_timeout)
    finally:
        if large:
            if len(buf) == HEADROOM + MUX_CHUNK:
                _LARGE_FREE.append(buf)
            LARGE_BUFFERS.give(large)
        if not went_quiet:
            conn.reset(forward)
            with contextlib.suppress(OSError):
                local.shutdown(socket.SHUT_RDWR)
            local.close()
    text = forward.error_text.decode("utf-8", "replace")
    if text:
        problem = StreamProblem("pod", text)
    elif forward.local_failed is not None:
        problem = StreamProblem(
            "local", local_problem_text(forward.peer, forward.local_op, forward.local_failed)
        )
    elif forward.dropped and not forward.local_eof:  # after the local EOF, like v4's close: not a problem
        problem = StreamProblem("dropped", conn.problem or STREAM_DROPPED)
    elif forward.reset:
        problem = StreamProblem("pod", "the pod's side reset the stream")
    return problem
