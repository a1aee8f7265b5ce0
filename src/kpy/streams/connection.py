"""``WebSocketConnection``: messages over a dialed WebSocket with blocking calls, for threads.

A small message-level layer for streams that are not bulk relays (exec, attach, logs): ``send`` writes one
message as one masked frame, ``receive`` returns the next message (answering pings on the way), ``close``
does the closing handshake. One thread may send while another receives.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading

from kpy.streams.dial import DialedWebSocket
from kpy.streams.websocket import (
    CLOSE_NORMAL,
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    OP_TEXT,
    Close,
    Message,
    MessageReader,
    Ping,
    close_payload,
    encode_frame,
)

#: bytes read from the socket at a time
READ_SIZE = 64 * 1024


class WebSocketConnection:
    """Message-level blocking access to a ``DialedWebSocket`` (a client: frames are masked)."""

    def __init__(self, ws: DialedWebSocket, *, max_message: int = 32 << 20) -> None:
        self.ws = ws
        self.subprotocol = ws.subprotocol
        self.reader = MessageReader(client=True, max_message=max_message)
        self.close_received: Close | None = None
        self._pending: list[Message | Close] = []
        self._leftover = ws.leftover
        self._send_lock = threading.Lock()
        self._close_sent = False
        self._buffer = bytearray(READ_SIZE)

    def _send_frame(self, opcode: int, payload: bytes | bytearray | memoryview) -> None:
        frame = encode_frame(opcode, payload, mask=os.urandom(4))
        with self._send_lock:
            if self._close_sent:
                raise BrokenPipeError("the WebSocket is closing")
            if opcode == OP_CLOSE:
                self._close_sent = True
            self.ws.sock.sendall(frame)

    def send(self, data: bytes | bytearray | memoryview | str) -> None:
        """One message: text for ``str``, binary otherwise."""
        if isinstance(data, str):
            self._send_frame(OP_TEXT, data.encode("utf-8"))
        else:
            self._send_frame(OP_BINARY, data)

    def receive(self) -> Message | Close | None:
        """The next message, or the peer's ``Close`` (answered), or None when the connection ended without
        one. Raises ``kpy.streams.websocket.ProtocolError`` for a peer that breaks RFC 6455."""
        while not self._pending:
            if self.close_received is not None:
                return None
            if self._leftover:
                data: bytes | memoryview = self._leftover
                self._leftover = b""
            else:
                n = self.ws.sock.recv_into(memoryview(self._buffer))
                if not n:
                    return None
                data = memoryview(self._buffer)[:n]
            for event in self.reader.feed(data):
                if isinstance(event, Ping):
                    with contextlib.suppress(OSError, BrokenPipeError):
                        self._send_frame(OP_PONG, event.payload)
                elif isinstance(event, Close):
                    self.close_received = event
                    with contextlib.suppress(OSError, BrokenPipeError):
                        self._send_frame(OP_CLOSE, close_payload(event.code) if event.code != 1005 else b"")
                    self._pending.append(event)
                elif isinstance(event, Message):
                    self._pending.append(event)
        return self._pending.pop(0)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Send a close frame (once), then tear the socket down; pending reads end."""
        with contextlib.suppress(OSError, BrokenPipeError):
            self._send_frame(OP_CLOSE, close_payload(code, reason))
        with contextlib.suppress(OSError):
            self.ws.sock.shutdown(socket.SHUT_WR)
        self.ws.close()
