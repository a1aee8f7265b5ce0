"""The v4 WebSocket relay of the emulator's port-forward (``kpy.testing.portforward``): the client's
connection handed to a protocol of ours, the pod connections as plain asyncio protocols, frames parsed and
written here, backpressure end to end."""

from __future__ import annotations

import asyncio
import contextlib

from kpy.portforward.protocol import Framing, ServerChannels
from kpy.streams.websocket import (
    CLOSE_NO_STATUS,
    CLOSE_NORMAL,
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
    close_payload,
    encode_frame,
    frame_header,
)
from kpy.testing.pfsession import Backend, PortForwardSession

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

    def write(self, data: bytes | memoryview) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _ClientReader(asyncio.BufferedProtocol):
    """The client's connection once upgraded: reads land in one reused buffer and go to the frame parser.

    aiohttp's protocol gets each read as a new ``bytes``; over TLS asyncio then allocates 256 KiB per TLS record
    and joins them (``SSLProtocol._do_read__copied``), which cost twice the CPU of decrypting straight into a
    buffer. The codec copies what it keeps (unmasking writes a new buffer), so the buffer is reused at once.
    The end of the connection and flow control are also passed on to aiohttp's protocol, which owns the request.
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
        self.relay.writing_paused = True
        self.owner.pause_writing()

    def resume_writing(self) -> None:
        self.owner.resume_writing()
        self.relay.client_writable()


class _Relay:
    """One session: the client's frames (parsed as they arrive) to the pods, the pods' bytes to the client."""

    def __init__(
        self,
        transport: asyncio.Transport,
        channels: ServerChannels,
        session: PortForwardSession,
        backend: Backend,
        pod: str,
        uid: str,
    ) -> None:
        self.transport = transport
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
        self._out = bytearray()  # where pod reads are framed as several messages
        # the client's frames: binary messages (channel byte + data) are streamed to the pods as they arrive
        self.reader = MessageReader(
            client=False, max_message=MAX_MESSAGE, stream=lambda op, _first: self.binary and op == OP_BINARY
        )
        self._channel = 0  # channel byte of the binary message in progress
        self._early = bytearray()  # client bytes that arrived before the pods were dialled
        self.writing_paused = False  # the client's transport buffer is full

    # -- client -> pods (the codec parses what _ClientReader reads) -----------------------------------------
    def feed_data(self, data: memoryview) -> None:
        if self.client_done.done():
            return
        if not self._dialled:
            self._early += data
            return
        try:
            events = self.reader.feed(data)
        except ProtocolError as exc:
            self._fail(exc.code, str(exc))
            return
        for event in events:
            if isinstance(event, Chunk):
                self._client_chunk(event)
            elif isinstance(event, Message):
                text: bytes | str = event.text if event.opcode == OP_TEXT else event.data
                received = self.channels.receive(text)
                if received is not None and (pod := self.pods[received.index]) is not None:
                    pod.write(received.data)
            elif isinstance(event, Ping):
                self._write(encode_frame(OP_PONG, event.payload))
            elif isinstance(event, Close):
                if not self.close_sent:
                    self.close_sent = True
                    code = b"" if event.code == CLOSE_NO_STATUS else close_payload(event.code)
                    self._write(encode_frame(OP_CLOSE, code))
                self._client_finished()

    def feed_eof(self) -> None:
        self._client_finished()

    def _client_chunk(self, chunk: Chunk) -> None:
        """Part of a binary message: the first byte of its first part is the channel; the rest goes to the pod."""
        data = memoryview(chunk.data)
        if chunk.first:
            self._channel = data[0]
            data = data[1:]
        if not data:
            return
        index, is_error = divmod(self._channel, 2)
        if is_error or index >= len(self.pods):
            self.channels.dropped += 1  # client writes to error channels and unknown channels are dropped
            return
        pod = self.pods[index]
        if pod is not None:
            pod.write(data)

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
        if self._pods_paused or not self.writing_paused:
            return
        self._pods_paused = True
        for pod in self.pods:
            if pod is not None and pod.transport is not None and not pod.transport.is_closing():
                pod.transport.pause_reading()

    def client_writable(self) -> None:
        """The client's transport buffer drained: read the pods again."""
        self.writing_paused = False
        if not self._pods_paused:
            return
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
            self._write(encode_frame(OP_CLOSE, close_payload(code, reason)))
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
        if self._early:  # what the client sent while the pods were dialled
            early, self._early = bytes(self._early), bytearray()
            self.feed_data(memoryview(early))
        if self.transport.is_closing():  # the client went away while the pods were being dialled
            self._client_finished()
        try:
            await asyncio.wait({self.pods_done, self.client_done}, return_when=asyncio.FIRST_COMPLETED)
            if not self.client_done.done():
                # every pod connection ended: close the WebSocket, as the kubelet does, and wait for the answer
                if not self.close_sent:
                    self.close_sent = True
                    self._write(encode_frame(OP_CLOSE, close_payload(CLOSE_NORMAL)))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.client_done), CLOSE_WAIT)
        finally:
            for pod in self.pods:
                if pod is not None:
                    pod.close()  # the client is gone: end every port, like closing the pipes
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
