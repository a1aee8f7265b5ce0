"""The kubelet's side of ``pods/NAME/portforward`` over WebSocket, for the emulator.

``handle_portforward`` upgrades the request (``v4.channel.k8s.io``, ``v4.base64.channel.k8s.io``, or binary
when no subprotocol is offered; offered-but-unsupported subprotocols are refused with 403 like the kubelet's
``x/net/websocket`` handshake), writes the port header on every channel, connects each requested port to
``backend(port)`` over TCP and relays bytes both ways with the framing of ``kpy.portforward.protocol``.

Semantics follow the kubelet + containerd: a port's forwarding ends when either side ends (the client closes
the WebSocket, or the pod's server closes its connection); a connection failure is written as text on the
port's error channel; the WebSocket closes once every port is done.

The relay is written for throughput, because the emulator shares the machine's cores with the clients that
the benchmarks compare: after aiohttp has answered the upgrade, the WebSocket frames are parsed and written
here, on the connection's transport (``request.protocol.set_parser`` receives the bytes, as aiohttp's own
WebSocket reader does), and the pod connections are plain asyncio protocols. Client payloads are unmasked
chunk by chunk (``websockets``' C ``apply_mask``) and written to the pod as they arrive, without assembling
messages. Backpressure is end to end: a pod connection whose write buffer fills pauses reading the
WebSocket; a WebSocket whose write buffer fills pauses reading the pods.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from collections.abc import Callable
from typing import Any

from aiohttp import web

from kpy.portforward.protocol import SUBPROTOCOLS, Framing, ServerChannels
from kpy.rest.wsdial import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, apply_mask, frame_header

#: largest message accepted from a client (golang.org/x/net/websocket's DefaultMaxPayloadBytes)
MAX_MESSAGE = 32 << 20
#: write-buffer high-water mark of a pod connection (reading the WebSocket pauses above it)
POD_WRITE_HIGH = 1 << 20
#: bytes read from a pod connection at a time
POD_READ = 256 * 1024
#: bytes read from the client's connection at a time (asyncio reads 256 KiB; fewer, larger reads cost less per GiB)
CLIENT_READ = 1024 * 1024
#: the most data in one WebSocket message to the client: the kubelet's runtime copies the pod connection
#: into the stream with ``io.Copy`` (containerd's portForward), whose 32 KiB buffer makes each write, and so
#: each message, at most 32 KiB (plus the channel byte)
FRAME_DATA = 32 * 1024
#: room for the largest frame header plus the channel byte in front of what is read from a pod
_HEAD_ROOM = 11
#: how long to wait for the client's close frame after ours
CLOSE_WAIT = 2.0

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

Backend = Callable[[int], "tuple[str, int] | None"]


class PortForwardSession:
    """One upgraded port-forward WebSocket. ``abort()`` drops it mid-stream (no close frame)."""

    def __init__(self, namespace: str, pod: str, ports: list[int]) -> None:
        self.namespace = namespace
        self.pod = pod
        self.ports = list(ports)
        self.aborted: str | None = None
        self._transport: asyncio.Transport | None = None
        self._done = asyncio.Event()
        self._stop: Callable[[], None] | None = None
        self._error_writer: Callable[[str], Any] | None = None

    def __repr__(self) -> str:
        return f"PortForwardSession({self.namespace}/{self.pod} ports={self.ports})"

    async def abort(self, reason: str = "") -> None:
        """Drop the WebSocket like a broken network path would: TCP torn down, no close frame.

        With a ``reason`` the session first writes it on every port's error channel (what a kubelet does when
        the container goes away), then drops. Returns once the session has cleaned up.
        """
        if self._done.is_set():
            return
        self.aborted = reason or "aborted"
        if reason and self._error_writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._error_writer(reason), 1.0)
        if self._transport is not None:
            self._transport.abort()
        if self._stop is not None:
            self._stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._done.wait(), 5.0)

    @property
    def done(self) -> bool:
        return self._done.is_set()


def _status(code: int, reason: str, message: str) -> web.Response:
    return web.json_response(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
        status=code,
    )


def _offered_protocols(request: web.Request) -> list[str]:
    raw = request.headers.getall("Sec-WebSocket-Protocol", [])
    return [p.strip() for value in raw for p in value.split(",") if p.strip()]


def connect_error(port: int, pod: str, uid: str, detail: str) -> str:
    """The kubelet's error-channel text (``error forwarding port P to pod NAME, uid UID: DETAIL``)."""
    return f"error forwarding port {port} to pod {pod}, uid {uid}: {detail}"


def refused_detail(port: int, pod: str) -> str:
    """What containerd reports when nothing listens on the port inside the pod."""
    return (
        f'failed to connect to localhost:{port} inside namespace "{pod}", IPv4: dial tcp4 '
        f"127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: "
        "connection refused "
    )


async def handle_portforward(
    request: web.Request,
    *,
    namespace: str,
    pod: str,
    ports: list[int],
    backend: Backend,
    sessions: set[PortForwardSession],
    uid: str = "",
) -> web.StreamResponse:
    """Serve one port-forward WebSocket (the route has already checked auth, the pod and ``ports``)."""
    offered = _offered_protocols(request)
    if offered and not any(p in SUBPROTOCOLS for p in offered):
        return web.Response(
            status=403,
            text=f"requested protocol(s) are not supported: {offered}; supports {list(SUBPROTOCOLS)}",
        )
    key = request.headers.get("Sec-WebSocket-Key", "")
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket" and "upgrade" in [
        t.strip().lower() for t in request.headers.get("Connection", "").split(",")
    ]
    if not upgrade or request.headers.get("Sec-WebSocket-Version") != "13" or not _valid_key(key):
        return _status(400, "BadRequest", "Upgrade request required")
    chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # RFC 6455's accept key
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept}
    if chosen:
        headers["Sec-WebSocket-Protocol"] = chosen
    response = web.StreamResponse(status=101, headers=headers)
    writer = await response.prepare(request)
    assert writer is not None and request.transport is not None
    request.protocol.keep_alive(False)
    transport = request.transport
    session = PortForwardSession(namespace, pod, ports)
    session._transport = transport if isinstance(transport, asyncio.Transport) else None
    sessions.add(session)
    relay = _Relay(
        request, writer, ServerChannels(ports, Framing.for_subprotocol(chosen)), session, backend, pod, uid
    )
    try:
        await relay.run()
    finally:
        sessions.discard(session)
        session._done.set()
    return response


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


class _PodConnection(asyncio.BufferedProtocol):
    """One port's TCP connection to the pod: bytes in become frames on the WebSocket.

    Reads land behind room for a frame header, so a read that fits one message goes to the client in one
    write without a copy. The buffer is reused while the client's transport had nothing left to buffer after
    the write (a transport may keep a reference to what it could not send yet); a fresh one otherwise.
    """

    def __init__(self, relay: _Relay, index: int) -> None:
        self.relay = relay
        self.index = index
        self.transport: asyncio.Transport | None = None
        self.ended = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=POD_WRITE_HIGH)
        self.relay.pod_started()

    def get_buffer(self, sizehint: int) -> memoryview:
        if not self._buffer:
            self._buffer = bytearray(_HEAD_ROOM + POD_READ)
        return memoryview(self._buffer)[_HEAD_ROOM:]

    def buffer_updated(self, nbytes: int) -> None:
        if self.relay.send_pod_bytes(self.index, self._buffer, nbytes):
            self._buffer = bytearray()  # the transport may still hold a view of it

    def eof_received(self) -> bool:
        self._end()
        return False  # close our side too: the port is done

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.pod_writable(self)  # a paused reader must not stay paused for a gone pod
        self._end()

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self.relay.pod_ended()

    def pause_writing(self) -> None:
        self.relay.pod_blocked(self)

    def resume_writing(self) -> None:
        self.relay.pod_writable(self)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _ClientReader(asyncio.BufferedProtocol):
    """The client's connection once upgraded: reads land in one reused buffer and go to the frame parser.

    aiohttp's protocol gets each read as a new ``bytes``; over TLS asyncio then allocates 256 KiB per TLS record
    and joins them (``SSLProtocol._do_read__copied``), which cost twice the CPU of decrypting straight into a
    buffer. The parser copies what it keeps (unmasking writes a new buffer), so the buffer is reused at once.
    Flow control and the end of the connection still go to aiohttp's protocol, which owns the request.
    """

    def __init__(self, relay: _Relay, owner: asyncio.BaseProtocol) -> None:
        self.relay = relay
        self.owner = owner
        self._view = memoryview(bytearray(CLIENT_READ))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.relay.feed_data(self._view[:nbytes])

    def eof_received(self) -> bool:
        self.relay.feed_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.connection_lost(exc)  # ends the request
        self.relay.feed_eof()  # aiohttp feeds its parser EOF only while it still holds the request

    def pause_writing(self) -> None:
        self.owner.pause_writing()

    def resume_writing(self) -> None:
        self.owner.resume_writing()


class _Relay:
    """One session: the client's frames (parsed as they arrive) to the pods, the pods' bytes to the client."""

    def __init__(
        self,
        request: web.Request,
        writer: Any,
        channels: ServerChannels,
        session: PortForwardSession,
        backend: Backend,
        pod: str,
        uid: str,
    ) -> None:
        assert request.transport is not None
        self.request = request
        self.transport: asyncio.Transport = request.transport
        self.writer = writer
        self.channels = channels
        self.binary = channels.framing is Framing.BINARY
        self.session = session
        self.backend = backend
        self.pod = pod
        self.uid = uid
        self.pods: list[_PodConnection | None] = [None] * len(channels.ports)
        self.client_done = asyncio.get_running_loop().create_future()  # client closed or connection lost
        self.pods_done = asyncio.get_running_loop().create_future()  # every pod connection ended
        self._pods_open = 0
        self._dialled = False  # all ports have been dialled (pods_done may be decided)
        self.close_sent = False
        self._blocked_pods: set[int] = set()
        self._pods_paused = False
        self._drainer: asyncio.Task[None] | None = None
        self._out = bytearray()  # where pod reads are framed as several messages
        # frame parser state
        self._head = bytearray()
        self._remaining = 0
        self._mask = b""
        self._offset = 0
        self._opcode = 0
        self._fin = True
        self._control = bytearray()
        self._message_op = 0  # opcode of the data message in progress (0: none)
        self._channel: int | None = None  # channel byte of the binary message in progress
        self._assembled: bytearray | None = None  # a text message being collected

    # -- client -> pods (aiohttp hands us the bytes: set_parser) -------------------------------------------
    def feed_data(self, data: bytes | memoryview) -> tuple[bool, bytes]:
        if self.client_done.done():
            return False, b""
        try:
            self._parse(memoryview(data))
        except _ProtocolError as exc:
            self._fail(exc.code, str(exc))
        return False, b""

    def feed_eof(self) -> None:
        self._client_finished()

    def _parse(self, data: memoryview) -> None:
        i, end = 0, len(data)
        while i < end and not self.client_done.done():
            if self._remaining == 0:
                i = self._parse_head(data, i)
                continue
            take = min(self._remaining, end - i)
            if self._channel is None and self._assembled is None and self._opcode < 8:
                take = 1  # the channel byte on its own: the rest is then written to the pod without a copy
            rot = self._offset & 3
            chunk = apply_mask(data[i : i + take], self._mask[rot:] + self._mask[:rot])
            i += take
            self._offset += take
            self._remaining -= take
            self._payload(chunk)
            if self._remaining == 0:
                self._frame_done()

    def _parse_head(self, data: memoryview, i: int) -> int:
        head = self._head
        need = 2
        while True:
            if len(head) < need:
                take = min(need - len(head), len(data) - i)
                head += data[i : i + take]
                i += take
                if len(head) < need:
                    return i
            b0, b1 = head[0], head[1]
            if not b1 & 0x80:
                raise _ProtocolError(1002, "client frames must be masked")
            size = b1 & 0x7F
            need = 2 + (2 if size == 126 else 8 if size == 127 else 0) + 4
            if len(head) >= need:
                break
        if b0 & 0x70:
            raise _ProtocolError(1002, "reserved bits set (no extension was negotiated)")
        if size == 126:
            size = struct.unpack_from("!H", head, 2)[0]
        elif size == 127:
            size = struct.unpack_from("!Q", head, 2)[0]
        self._mask = bytes(head[need - 4 : need])
        self._fin, self._opcode = bool(b0 & 0x80), b0 & 0x0F
        self._remaining, self._offset = size, 0
        head.clear()
        self._frame_start(size)
        if size == 0:
            self._frame_done()
        return i

    def _frame_start(self, size: int) -> None:
        op = self._opcode
        if op >= 8:
            if size > 125 or not self._fin:
                raise _ProtocolError(1002, "invalid control frame")
            self._control.clear()
            return
        if op == OP_CONT:
            if not self._message_op:
                raise _ProtocolError(1002, "continuation frame without a message")
            return
        if op not in (OP_TEXT, OP_BINARY):
            raise _ProtocolError(1002, f"unknown opcode {op}")
        if self._message_op:
            raise _ProtocolError(1002, "new message inside a fragmented message")
        self._message_op = op
        self._channel = None
        if op == OP_TEXT or not self.binary:
            self._assembled = bytearray()

    def _payload(self, chunk: bytes) -> None:
        if self._opcode >= 8:
            self._control += chunk
            return
        if self._assembled is not None:
            if len(self._assembled) + len(chunk) > MAX_MESSAGE:
                raise _ProtocolError(1009, "message too big")
            self._assembled += chunk
            return
        if not chunk:
            return
        if self._channel is None:
            self._channel = chunk[0]
            chunk = chunk[1:]
            if not chunk:
                return
        index, is_error = divmod(self._channel, 2)
        if is_error or index >= len(self.pods):
            self.channels.dropped += 1  # client writes to error channels and unknown channels are dropped
            return
        pod = self.pods[index]
        if pod is not None:
            pod.write(chunk)

    def _frame_done(self) -> None:
        op = self._opcode
        self._mask = b""
        if op >= 8:
            payload = bytes(self._control)
            if op == OP_PING:
                self._write(frame_header(OP_PONG, len(payload)) + payload)
            elif op == OP_CLOSE:
                if not self.close_sent:
                    self.close_sent = True
                    self._write(frame_header(OP_CLOSE, min(len(payload), 2)) + payload[:2])
                self._client_finished()
            self._opcode = 0 if not self._message_op else self._message_op
            return
        if not self._fin:
            return
        if self._assembled is not None:
            message = bytes(self._assembled)
            self._assembled = None
            text: bytes | str = message.decode("utf-8", "replace") if self._message_op == OP_TEXT else message
            data = self.channels.receive(text)
            if data is not None and (pod := self.pods[data.index]) is not None:
                pod.write(data.data)
        self._message_op = 0
        self._channel = None

    # -- pods -> client --------------------------------------------------------------------------------
    def _write(self, data: bytes | memoryview) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def send_message(self, message: bytes | str) -> None:
        if isinstance(message, str):
            raw = message.encode("utf-8")
            self._write(frame_header(OP_TEXT, len(raw)) + raw)
        else:
            self._write(frame_header(OP_BINARY, len(message)) + message)
        self._watch_client_buffer()

    def send_pod_bytes(self, index: int, buf: bytearray, nbytes: int) -> bool:
        """``buf[_HEAD_ROOM:_HEAD_ROOM + nbytes]`` came from the pod: send it as messages of ``FRAME_DATA``.

        Returns True when ``buf`` must not be reused (the client's transport may still reference it).
        """
        if self.close_sent or self.transport.is_closing():
            return False
        if not self.binary:
            data = bytes(buf[_HEAD_ROOM : _HEAD_ROOM + nbytes])
            self.send_message(self.channels.data_message(index, data))
            return False
        channel = bytes((2 * index,))
        held = False
        if nbytes <= FRAME_DATA:
            head = frame_header(OP_BINARY, nbytes + 1) + channel
            start = _HEAD_ROOM - len(head)
            buf[start:_HEAD_ROOM] = head
            self._write(memoryview(buf)[start : _HEAD_ROOM + nbytes])
            held = self.transport.get_write_buffer_size() > 0
        else:
            # several messages, built in one (reused) buffer for one write
            pieces = range(0, nbytes, FRAME_DATA)
            need = nbytes + len(pieces) * 5  # each: a 4-byte header, the channel byte, the data
            if len(self._out) < need:
                self._out = bytearray(need)
            out = self._out
            source = memoryview(buf)
            at = 0
            for start in pieces:
                size = min(FRAME_DATA, nbytes - start)
                head = frame_header(OP_BINARY, size + 1) + channel
                out[at : at + len(head)] = head
                at += len(head)
                out[at : at + size] = source[_HEAD_ROOM + start : _HEAD_ROOM + start + size]
                at += size
            self._write(memoryview(out)[:at])
            if self.transport.get_write_buffer_size() > 0:
                self._out = bytearray()  # the transport may still hold a view of it
        self._watch_client_buffer()
        return held

    def _watch_client_buffer(self) -> None:
        """The client reads slower than the pods write: stop reading the pods until the buffer drains."""
        if self._pods_paused or not self.request.protocol.writing_paused:
            return
        self._pods_paused = True
        for pod in self.pods:
            if pod is not None and pod.transport is not None and not pod.transport.is_closing():
                pod.transport.pause_reading()
        self._drainer = asyncio.ensure_future(self._resume_pods_when_drained())

    async def _resume_pods_when_drained(self) -> None:
        with contextlib.suppress(Exception):
            await self.writer.drain()
        self._pods_paused = False
        for pod in self.pods:
            if pod is not None and pod.transport is not None and not pod.transport.is_closing():
                pod.transport.resume_reading()

    def pod_blocked(self, pod: _PodConnection) -> None:
        if not self._blocked_pods:
            self.transport.pause_reading()
        self._blocked_pods.add(pod.index)

    def pod_writable(self, pod: _PodConnection) -> None:
        if pod.index in self._blocked_pods:
            self._blocked_pods.discard(pod.index)
            if not self._blocked_pods and not self.transport.is_closing():
                self.transport.resume_reading()

    # -- the session -----------------------------------------------------------------------------------
    async def write_errors(self, text: str) -> None:
        for index in range(len(self.channels.ports)):
            self.send_message(self.channels.error_message(index, text))

    def pod_started(self) -> None:
        self._pods_open += 1

    def pod_ended(self) -> None:
        self._pods_open -= 1
        if self._dialled and self._pods_open == 0 and not self.pods_done.done():
            self.pods_done.set_result(None)

    def _client_finished(self) -> None:
        if not self.client_done.done():
            self.client_done.set_result(None)

    def _fail(self, code: int, reason: str) -> None:
        if not self.close_sent:
            self.close_sent = True
            body = struct.pack("!H", code) + reason.encode("utf-8")[:120]
            self._write(frame_header(OP_CLOSE, len(body)) + body)
        self._client_finished()

    async def run(self) -> None:
        self.session._error_writer = self.write_errors
        self.session._stop = self._client_finished
        for message in self.channels.opening_messages():
            self.send_message(message)
        connected = await asyncio.gather(*(self._connect(i) for i in range(len(self.channels.ports))))
        self.pods = list(connected)
        self._dialled = True
        if self._pods_open == 0 and not self.pods_done.done():
            self.pods_done.set_result(None)
        # from here on the client's bytes come to us (those that arrived meanwhile first): aiohttp's own
        # WebSocket reader is installed the same way, ours has the same feed_data/feed_eof
        self.request.protocol.set_parser(self)  # type: ignore[arg-type]
        # then read the connection ourselves into one reused buffer (see _ClientReader)
        self.transport.set_protocol(_ClientReader(self, self.request.protocol))
        if self.transport.is_closing():  # the client went away while the pods were being dialled
            self._client_finished()
        try:
            await asyncio.wait({self.pods_done, self.client_done}, return_when=asyncio.FIRST_COMPLETED)
            if not self.client_done.done():
                # every pod connection ended: close the WebSocket, as the kubelet does, and wait for the answer
                if not self.close_sent:
                    self.close_sent = True
                    self._write(frame_header(OP_CLOSE, 2) + struct.pack("!H", 1000))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.client_done), CLOSE_WAIT)
        finally:
            for pod in self.pods:
                if pod is not None:
                    pod.close()  # the client is gone: end every port, like closing the pipes
            if self._drainer is not None:
                self._drainer.cancel()
            if self.session.aborted is None:
                self.transport.close()  # after what is buffered has been written

    async def _connect(self, index: int) -> _PodConnection | None:
        port = self.channels.ports[index]
        target = self.backend(port)
        if target is None:
            detail = refused_detail(port, self.pod)
        else:
            host, tcp_port = target
            loop = asyncio.get_running_loop()
            try:
                _, conn = await loop.create_connection(lambda: _PodConnection(self, index), host, tcp_port)
            except OSError as exc:
                detail = f'failed to connect to localhost:{port} inside namespace "{self.pod}": {exc}'
            else:
                return conn
        self.send_message(self.channels.error_message(index, connect_error(port, self.pod, self.uid, detail)))
        return None


class _ProtocolError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
