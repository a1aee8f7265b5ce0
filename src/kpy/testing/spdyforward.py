"""The kubelet's side of ``pods/NAME/portforward`` over SPDY/3.1, for the emulator: what kubectl speaks.

Two ways in, one session: after an HTTP upgrade to ``SPDY/3.1`` (kubectl 1.30 and older; client-go's SPDY
round tripper, ``X-Stream-Protocol-Version: portforward.k8s.io``), or tunnelled in the binary messages of a
WebSocket whose subprotocol is ``SPDY/3.1+portforward.k8s.io`` (kubectl 1.31+, KEP-4006).

Semantics follow the kubelet (cri-streaming ``portforward/httpstream.go`` over moby/spdystream): each forwarded
connection is a pair of client-opened streams with headers ``streamtype`` (``error``/``data``), ``port`` and
``requestid``; every stream is answered with SYN_REPLY; a stream with a missing or bad header is reset. Once the
pair is complete the port is dialled; a failure is written as text on the error stream and both streams are
reset. Data flows both ways with half-close: the client's FIN on the data stream shuts the pod connection's
write side; the pod's EOF ends the data stream (FIN) and the error stream. PINGs are echoed; GOAWAY or the end of
the connection closes every pod connection. No flow control (spdystream has none): the pods stop being read
while the client's transport is full, and the client's connection stops being read while a pod's is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kpy.streams import spdy
from kpy.streams.websocket import (
    CLOSE_NO_STATUS,
    CLOSE_NORMAL,
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    Chunk,
    Close,
    Message,
    MessageReader,
    Ping,
    ProtocolError,
    close_payload,
    encode_frame,
    frame_header,
)

if TYPE_CHECKING:
    from kpy.testing.pfsession import Backend, PortForwardSession

#: the tunnel's WebSocket subprotocol and the SPDY upgrade's stream protocol
TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
PORTFORWARD_PROTOCOL = "portforward.k8s.io"
#: bytes read from a pod at a time; each becomes one DATA frame (the kubelet's io.Copy writes 32 KiB)
POD_READ = 32 * 1024
#: bytes read from the client's connection at a time
CLIENT_READ = 256 * 1024
#: write-buffer high-water mark of a pod connection
POD_WRITE_HIGH = 1 << 20


@dataclass
class _Pair:
    """One forwarded connection: its two streams and the pod connection."""

    request_id: str
    port: int = 0
    data: int = 0  # stream ids (0: not opened yet)
    error: int = 0
    pod: _Pod | None = None
    early: list[bytes] = field(default_factory=list)  # client data before the pod connection is up
    client_fin: bool = False
    pod_done: bool = False
    failed: bool = False


class _Pod(asyncio.Protocol):
    def __init__(self, session: SpdySession, pair: _Pair) -> None:
        self.session = session
        self.pair = pair
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pair.pod = self
        transport.set_write_buffer_limits(high=POD_WRITE_HIGH)
        for chunk in self.pair.early:  # what the client sent while the port was dialled, first
            transport.write(chunk)
        self.pair.early.clear()
        if self.pair.client_fin:
            transport.write_eof()
        if self.session.pods_paused:
            transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), POD_READ):
            self.session.send_data(self.pair.data, view[start : start + POD_READ])

    def eof_received(self) -> bool:
        self.session.pod_finished(self.pair)
        return True  # keep our write side: the client may still send (half-close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.pod_writable(self)
        self.session.pod_finished(self.pair)

    def pause_writing(self) -> None:
        self.session.pod_blocked(self)

    def resume_writing(self) -> None:
        self.session.pod_writable(self)


class SpdySession(asyncio.BufferedProtocol):
    """One upgraded connection speaking SPDY (``tunnel``: inside WebSocket binary messages). Installed as the
    transport's protocol before the 101 is written; ``owner`` (aiohttp's) is told when the connection ends."""

    def __init__(
        self,
        transport: asyncio.Transport,
        owner: asyncio.BaseProtocol,
        *,
        tunnel: bool,
        backend: Backend,
        pod: str,
        uid: str,
        session: PortForwardSession,
        connect_error: Callable[[int, str], str],
    ) -> None:
        self.transport = transport
        self.owner = owner
        self.tunnel = tunnel
        self.backend = backend
        self.pod = pod
        self.uid = uid
        self.session = session
        self.connect_error = connect_error
        self.decoder = spdy.Decoder()
        self.encoder = spdy.Encoder()
        self.ws = MessageReader(client=False, stream=lambda _op, _first: True) if tunnel else None
        self.pairs: dict[str, _Pair] = {}
        self.by_stream: dict[int, _Pair] = {}
        self.done = asyncio.get_running_loop().create_future()
        self.pods_paused = False
        self.writing_paused = False
        self._blocked: set[int] = set()
        self._view = memoryview(bytearray(CLIENT_READ))
        self._tasks: set[asyncio.Future[None]] = set()

    # -- the connection ------------------------------------------------------------------------------
    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        data = self._view[:nbytes]
        try:
            if self.ws is None:
                self._spdy_bytes(data)
                return
            for event in self.ws.feed(data):
                if isinstance(event, Chunk | Message):
                    if event.opcode != OP_BINARY:
                        raise ProtocolError("the tunnel carries binary messages only")
                    self._spdy_bytes(event.data)
                elif isinstance(event, Ping):
                    self._raw(encode_frame(OP_PONG, event.payload))
                elif isinstance(event, Close):
                    code = b"" if event.code == CLOSE_NO_STATUS else close_payload(event.code)
                    self._raw(encode_frame(OP_CLOSE, code))
                    self.finish()
        except ProtocolError as exc:
            self._raw(encode_frame(OP_CLOSE, close_payload(exc.code, str(exc))))
            self.finish()
        except spdy.SpdyError:
            self._send(self.encoder.encode(spdy.GoAway(0, spdy.GOAWAY_PROTOCOL_ERROR)))
            self.finish()

    def eof_received(self) -> bool:
        self.finish()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.connection_lost(exc)
        self.finish()

    def pause_writing(self) -> None:
        self.writing_paused = True
        self._set_pods_reading(False)
        self.owner.pause_writing()

    def resume_writing(self) -> None:
        self.writing_paused = False
        self.owner.resume_writing()
        if not self._blocked:
            self._set_pods_reading(True)

    def _set_pods_reading(self, on: bool) -> None:
        self.pods_paused = not on
        for pair in self.pairs.values():
            t = pair.pod.transport if pair.pod is not None else None
            if t is not None and not t.is_closing():
                t.resume_reading() if on else t.pause_reading()

    def finish(self) -> None:
        """The client's side is gone or done: close every pod connection and end the session."""
        if self.done.done():
            return
        self.done.set_result(None)
        for pair in list(self.pairs.values()):
            if pair.pod is not None and pair.pod.transport is not None:
                pair.pod.transport.close()
        self.pairs.clear()
        self.by_stream.clear()

    def _raw(self, data: bytes | bytearray | memoryview) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def _send(self, frame: bytes | bytearray) -> None:
        """One SPDY frame (the tunnel: one binary message)."""
        if self.tunnel:
            self._raw(frame_header(OP_BINARY, len(frame)) + frame)
        else:
            self._raw(frame)

    def send_data(self, stream_id: int, data: memoryview, *, fin: bool = False) -> None:
        head = spdy.data_header(stream_id, len(data), fin=fin)
        if self.tunnel:
            self._raw(frame_header(OP_BINARY, len(head) + len(data)) + head + data)
        else:
            self._raw(head + data)

    # -- SPDY ----------------------------------------------------------------------------------------
    def _spdy_bytes(self, data: bytes | memoryview) -> None:
        for frame in self.decoder.feed(data):
            if isinstance(frame, spdy.Data):
                self._client_data(frame)
            elif isinstance(frame, spdy.SynStream):
                self._stream_opened(frame)
            elif isinstance(frame, spdy.RstStream):
                pair = self.by_stream.get(frame.stream_id)
                if pair is not None:
                    self._drop(pair)
            elif isinstance(frame, spdy.Ping):
                if frame.id & 1:  # the client's: echo it
                    self._send(self.encoder.encode(frame))
            elif isinstance(frame, spdy.GoAway):
                self.finish()
                self.transport.close()

    def _stream_opened(self, frame: spdy.SynStream) -> None:
        headers = frame.headers
        port_text = spdy.header_value(headers, "port") or ""
        kind = spdy.header_value(headers, "streamtype") or ""
        if not port_text.isdigit() or not 0 < int(port_text) < 65536 or kind not in ("error", "data"):
            self._send(self.encoder.encode(spdy.RstStream(frame.stream_id, spdy.PROTOCOL_ERROR)))
            return
        request_id = spdy.header_value(headers, "requestid")
        if not request_id:  # old clients: the pair is (error n, data n + 2)
            request_id = str(frame.stream_id if kind == "error" else frame.stream_id - 2)
        self._send(self.encoder.encode(spdy.SynReply(frame.stream_id, [])))
        pair = self.pairs.setdefault(request_id, _Pair(request_id))
        if (pair.error if kind == "error" else pair.data) or frame.stream_id in self.by_stream:
            return  # a second stream of one kind: the kubelet logs it and ignores the stream
        if kind == "error":
            pair.error = frame.stream_id
        else:
            pair.data, pair.port = frame.stream_id, int(port_text)
            pair.client_fin = frame.fin
        self.by_stream[frame.stream_id] = pair
        if pair.error and pair.data:
            task = asyncio.ensure_future(self._connect(pair))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _client_data(self, frame: spdy.Data) -> None:
        pair = self.by_stream.get(frame.stream_id)
        if pair is None or frame.stream_id != pair.data:
            return  # the error stream (clients write nothing there) or a stream that is gone
        if frame.data:
            if pair.pod is not None and pair.pod.transport is not None:
                pair.pod.transport.write(bytes(frame.data))
            else:
                pair.early.append(bytes(frame.data))
        if frame.fin:
            pair.client_fin = True
            if pair.pod is not None and pair.pod.transport is not None and pair.pod.transport.can_write_eof():
                pair.pod.transport.write_eof()
            self._maybe_done(pair)

    async def _connect(self, pair: _Pair) -> None:
        target = self.backend(pair.port)
        detail = None
        if target is None:
            detail = self.connect_error(pair.port, "")
        else:
            loop = asyncio.get_running_loop()
            try:
                await loop.create_connection(lambda: _Pod(self, pair), *target)
            except OSError as exc:
                detail = self.connect_error(pair.port, str(exc))
        if self.done.done():
            return
        if detail is not None:
            pair.failed = True
            self.send_data(pair.error, memoryview(detail.encode()))
            self._reset(pair)
            return

    def pod_finished(self, pair: _Pair) -> None:
        if pair.pod_done or self.done.done():
            return
        pair.pod_done = True
        if pair.request_id in self.pairs:
            self.send_data(pair.data, memoryview(b""), fin=True)
            self.send_data(pair.error, memoryview(b""), fin=True)
        self._maybe_done(pair)

    def _maybe_done(self, pair: _Pair) -> None:
        if pair.pod_done and pair.client_fin:
            self._forget(pair)
            if pair.pod is not None and pair.pod.transport is not None:
                pair.pod.transport.close()

    def _reset(self, pair: _Pair) -> None:
        for stream_id in (pair.data, pair.error):
            self._send(self.encoder.encode(spdy.RstStream(stream_id, spdy.CANCEL)))
        self._forget(pair)

    def _drop(self, pair: _Pair) -> None:
        """The client reset a stream of the pair: end the pod connection."""
        self._forget(pair)
        if pair.pod is not None and pair.pod.transport is not None:
            pair.pod.transport.abort()

    def _forget(self, pair: _Pair) -> None:
        self.pairs.pop(pair.request_id, None)
        self.by_stream.pop(pair.data, None)
        self.by_stream.pop(pair.error, None)

    def pod_blocked(self, pod: _Pod) -> None:
        if not self._blocked:
            self.transport.pause_reading()
        self._blocked.add(id(pod))

    def pod_writable(self, pod: _Pod) -> None:
        if id(pod) in self._blocked:
            self._blocked.discard(id(pod))
            if not self._blocked and not self.transport.is_closing():
                self.transport.resume_reading()

    # -- faults --------------------------------------------------------------------------------------
    async def write_errors(self, text: str) -> None:
        for pair in list(self.pairs.values()):
            if pair.error:
                self.send_data(pair.error, memoryview(text.encode()))

    def go_away(self, status: int) -> None:
        self._send(self.encoder.encode(spdy.GoAway(0, status)))
        self.finish()

    async def run(self) -> None:
        self.session._error_writer = self.write_errors
        self.session._stop = self.finish
        self.session._go_away = self.go_away
        try:
            await self.done
        finally:
            with contextlib.suppress(Exception):
                if self.tunnel and not self.transport.is_closing():
                    self._raw(encode_frame(OP_CLOSE, close_payload(CLOSE_NORMAL)))
            if self.session.aborted is None:
                self.transport.close()
