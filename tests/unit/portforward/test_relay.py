"""The threaded relay of one forwarded connection (kpy.portforward.stream.Relay), against a scripted server.

The "server" is the far end of a socketpair, written frame by frame here, so every framing case a kubelet (or
a broken proxy) can produce is exercised: fragmented messages, pings between fragments, close codes, masked
frames, a dropped connection, base64 framing. The "local" connection is another socketpair.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kpy.portforward.protocol import V4_BASE64, V4_BINARY
from kpy.portforward.stream import LARGE_BUFFERS, BufferBudget, Relay, StreamProblem
from kpy.streams.dial import DialedWebSocket

PORT_HEADER = struct.pack("<H", 80)


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None) -> bytes:
    """A frame as a server writes it (``mask`` only to test that masked server frames are refused)."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, size)
    elif size < 65536:
        head = struct.pack("!BBH", first, 126, size)
    else:
        head = struct.pack("!BBQ", first, 127, size)
    if mask is None:
        return head + payload
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head[:1] + bytes((head[1] | 0x80,)) + head[2:] + mask + masked


def read_client_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One frame from the client: (opcode, unmasked payload); client frames must be masked."""

    def exactly(n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            assert chunk, "the client closed the connection"
            out += chunk
        return out

    b0, b1 = exactly(2)
    assert b1 & 0x80, "client frames must be masked"
    size = b1 & 0x7F
    if size == 126:
        size = struct.unpack("!H", exactly(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", exactly(8))[0]
    mask = exactly(4)
    data = exactly(size)
    return b0 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@dataclass
class Harness:
    server: socket.socket  # our end of the WebSocket
    user: socket.socket  # the local user's end of the forwarded connection
    relay: Relay
    result: list[StreamProblem | None] = field(default_factory=list)
    thread: threading.Thread | None = None

    def finish(self, timeout: float = 10) -> str | None:
        """The relay's problem message (None: it ended normally)."""
        problem = self.outcome(timeout)
        return None if problem is None else problem.message

    def outcome(self, timeout: float = 10) -> StreamProblem | None:
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the relay did not finish"
        return self.result[0]

    def user_reads_all(self) -> bytes:
        out = b""
        while chunk := self.user.recv(65536):
            out += chunk
        return out


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    subprotocol, leftover = getattr(request, "param", (V4_BINARY, b""))
    ws_client, ws_server = socket.socketpair()
    local, user = socket.socketpair()
    dialed = DialedWebSocket(ws_client, subprotocol, leftover)
    relay = Relay(dialed, local, 80)
    h = Harness(ws_server, user, relay)
    h.thread = threading.Thread(target=lambda: h.result.append(relay.run()), daemon=True)
    h.thread.start()
    yield h
    relay.abort()
    for sock in (ws_server, user):
        sock.close()


def open_ports(h: Harness) -> None:
    h.server.sendall(frame(2, b"\x00" + PORT_HEADER) + frame(2, b"\x01" + PORT_HEADER))


def test_fragmented_data_with_a_ping_between_fragments_arrives_in_order_and_the_ping_is_answered(
    harness: Harness,
) -> None:
    open_ports(harness)
    harness.server.sendall(
        frame(2, b"\x00hello ", fin=False) + frame(9, b"are you there") + frame(0, b"fragmented ", fin=False)
    )
    assert read_client_frame(harness.server) == (10, b"are you there")  # pong, same payload
    harness.server.sendall(frame(0, b"world") + frame(2, b"\x00!") + frame(8, struct.pack("!H", 1000)))
    assert harness.user_reads_all() == b"hello fragmented world!"
    assert read_client_frame(harness.server) == (8, struct.pack("!H", 1000))  # the close is answered
    assert harness.finish() is None


@pytest.mark.parametrize("harness", [(V4_BINARY, frame(2, b"\x00" + PORT_HEADER))], indirect=True)
def test_bytes_that_came_with_the_handshake_are_not_lost(harness: Harness) -> None:
    harness.server.sendall(frame(2, b"\x01" + PORT_HEADER) + frame(2, b"\x00data") + frame(8, b""))
    assert harness.user_reads_all() == b"data"
    assert harness.finish() is None


def test_large_messages_in_both_directions_are_byte_exact(harness: Harness) -> None:
    open_ports(harness)
    down = os.urandom(3 << 20)
    up = os.urandom(1 << 20)
    got_up = bytearray()

    def server_side() -> None:
        for at in range(0, len(down), 100_000):
            harness.server.sendall(frame(2, b"\x00" + down[at : at + 100_000]))
        while len(got_up) < len(up):
            opcode, payload = read_client_frame(harness.server)
            assert opcode == 2 and payload[0] == 0
            got_up.extend(payload[1:])
        harness.server.sendall(frame(8, struct.pack("!H", 1000)))

    received: list[bytes] = []
    threads = [
        threading.Thread(target=server_side),
        threading.Thread(target=lambda: received.append(harness.user_reads_all())),
    ]
    for t in threads:
        t.start()
    harness.user.sendall(up)  # while both other ends are being read and written
    for t in threads:
        t.join(10)
    assert received == [down]
    assert bytes(got_up) == up
    assert harness.finish() is None
    assert LARGE_BUFFERS.used == 0  # a finished stream gives its large buffer back for the next ones


def test_the_large_buffer_budget_is_never_overdrawn() -> None:
    budget = BufferBudget(512 << 10)
    assert budget.take(256 << 10) and budget.take(256 << 10)
    assert not budget.take(1)  # spent: further streams stay at the small size
    budget.give(256 << 10)
    assert budget.take(256 << 10)


def test_local_eof_sends_a_normal_close_and_still_delivers_what_the_pod_sent(harness: Harness) -> None:
    open_ports(harness)
    harness.user.shutdown(socket.SHUT_WR)
    assert read_client_frame(harness.server) == (8, struct.pack("!H", 1000))
    harness.server.sendall(frame(2, b"\x00late bytes") + frame(8, struct.pack("!H", 1000)))
    assert harness.user_reads_all() == b"late bytes"
    assert harness.finish() is None


def test_error_channel_text_is_the_connections_error(harness: Harness) -> None:
    open_ports(harness)
    harness.server.sendall(frame(2, b"\x01error forwarding port 80 to pod web: connection refused"))
    assert harness.outcome() == StreamProblem(
        "pod", "error forwarding port 80 to pod web: connection refused"
    )
    assert harness.user_reads_all() == b""


def test_abnormal_close_code_and_reason_are_reported(harness: Harness) -> None:
    open_ports(harness)
    harness.server.sendall(frame(8, struct.pack("!H", 1011) + b"kubelet restarting"))
    assert read_client_frame(harness.server)[0] == 8
    assert (
        harness.finish() == "the port-forward stream was closed by the server (code 1011: kubelet restarting)"
    )


def test_a_dropped_connection_is_reported_as_dropped_without_blaming_anyone_yet(harness: Harness) -> None:
    open_ports(harness)
    harness.server.sendall(frame(2, b"\x00partial"))
    harness.server.close()
    assert harness.user_reads_all() == b"partial"
    assert harness.outcome() == StreamProblem(
        "dropped", "the port-forward stream ended without a close frame"
    )


def test_a_local_client_that_goes_away_is_reported_as_the_local_clients_doing(harness: Harness) -> None:
    open_ports(harness)
    harness.user.close()  # the local client is gone; the pod keeps sending
    for _ in range(64):
        try:
            harness.server.sendall(frame(2, b"\x00" + b"x" * 65536))
        except OSError:
            break
    problem = harness.outcome()
    assert problem is not None and problem.side == "local"
    assert problem.message == (
        "local client (unnamed socket) closed the connection before everything was delivered (write: broken pipe)"
    )


def test_a_masked_server_frame_is_a_protocol_error(harness: Harness) -> None:
    open_ports(harness)
    harness.server.sendall(frame(2, b"\x00x", mask=b"abcd"))
    problem = harness.finish()
    assert problem is not None and problem.startswith("protocol error:")


def test_an_oversized_control_frame_is_a_protocol_error(harness: Harness) -> None:
    open_ports(harness)
    harness.server.sendall(frame(9, b"p" * 126))
    problem = harness.finish()
    assert problem is not None and problem.startswith("protocol error:")


@pytest.mark.parametrize("harness", [(V4_BASE64, b"")], indirect=True)
def test_base64_framing_both_ways(harness: Harness) -> None:
    def text(channel: int, payload: bytes) -> bytes:
        return frame(1, (chr(0x30 + channel) + base64.b64encode(payload).decode()).encode())

    harness.server.sendall(text(0, PORT_HEADER) + text(1, PORT_HEADER) + text(0, b"from the pod"))
    harness.user.sendall(b"from the user")
    opcode, payload = read_client_frame(harness.server)
    assert opcode == 1 and payload[:1] == b"0" and base64.b64decode(payload[1:]) == b"from the user"
    harness.server.sendall(frame(8, struct.pack("!H", 1000)))
    assert harness.user_reads_all() == b"from the pod"
    assert harness.finish() is None


def test_abort_ends_both_threads_without_reporting_a_problem(harness: Harness) -> None:
    open_ports(harness)
    harness.relay.abort()
    assert harness.finish() is None


@pytest.mark.parametrize("pieces", [1, 1023, 1024, 1025, 5000])
def test_many_pieces_for_one_local_connection_arrive_whole_and_in_order(pieces: int) -> None:
    """One read of the shared SPDY connection can bring thousands of small DATA frames for one local connection
    (more than one ``sendmsg`` takes); all of them arrive, in order, also when the socket takes them partly."""
    from kpy.portforward.stream import _sendall_parts

    parts: list[bytes | memoryview] = [b"%d," % i for i in range(pieces)]
    parts.insert(pieces // 2, memoryview(os.urandom(1 << 20)))  # fills the socket buffer: partial sends
    parts.append(b"")
    expected = b"".join(parts)
    local, far = socket.socketpair()
    got = bytearray()

    def read() -> None:
        while chunk := far.recv(1 << 16):
            got.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        _sendall_parts(local, parts)
    finally:
        local.shutdown(socket.SHUT_WR)
        reader.join(30)
        local.close()
        far.close()
    assert bytes(got) == expected
