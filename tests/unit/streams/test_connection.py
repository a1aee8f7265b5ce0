"""kpy.streams.connection.WebSocketConnection: blocking messages over a dialed socket (a socketpair here)."""

from __future__ import annotations

import socket

from kpy.streams.connection import WebSocketConnection
from kpy.streams.dial import DialedWebSocket
from kpy.streams.websocket import OP_BINARY, OP_TEXT, Close, Message, MessageReader, Pong


def pair(leftover: bytes = b"") -> tuple[WebSocketConnection, socket.socket, MessageReader]:
    client, server = socket.socketpair()
    server.settimeout(10)
    dialed = DialedWebSocket(client, "v5.channel.k8s.io", leftover)
    return WebSocketConnection(dialed), server, MessageReader(client=False)


def events(server: socket.socket, reader: MessageReader, n: int) -> list[object]:
    out: list[object] = []
    while len(out) < n:
        data = server.recv(100)
        assert data, "the connection ended early"
        out += reader.feed(data)
    return out


def test_send_writes_one_masked_frame_per_message() -> None:
    ws, server, reader = pair()
    ws.send(b"\x00hello")
    ws.send("text")
    assert events(server, reader, 2) == [Message(OP_BINARY, b"\x00hello"), Message(OP_TEXT, b"text")]
    ws.close()
    server.close()


def test_receive_starts_with_the_leftover_answers_pings_and_ends_with_close() -> None:
    ws, server, reader = pair(leftover=b"\x82\x02\x01a\x89")  # a message and half a ping
    server.sendall(b"\x02ok" + b"\x88\x02\x03\xe8")
    assert ws.receive() == Message(OP_BINARY, b"\x01a")
    assert ws.receive() == Close(1000, "")
    assert ws.receive() is None
    assert events(server, reader, 2) == [Pong(b"ok"), Close(1000, "")]
    ws.close()
    server.close()


def test_close_sends_a_close_frame_once_and_a_dropped_peer_reads_as_none() -> None:
    ws, server, _ = pair()
    server.close()
    assert ws.receive() is None
    ws.close()
    ws2, server2, reader2 = pair()
    ws2.close(1000, "done")
    data = b""
    while chunk := server2.recv(100):
        data += chunk
    assert reader2.feed(data) == [Close(1000, "done")]
    server2.close()
