"""The port-forward channel framing of ``pods/NAME/portforward`` over WebSocket, as a sans-I/O core.

Facts (kubelet ``cri/streaming/portforward/websocket.go``, apimachinery ``wsstream``):

* Subprotocols ``v4.channel.k8s.io`` (binary messages) and ``v4.base64.channel.k8s.io`` (text messages); a
  client that offers no subprotocol gets the binary framing.
* Requested port ``i`` (``?ports=80&ports=443``, or comma-separated) owns channel ``2i`` (data, both ways) and
  ``2i+1`` (error, server to client only).
* Every message starts with the channel: one byte (binary) or the ASCII digit ``'0' + channel`` (base64, the
  rest of the message is standard base64 of the payload).
* The server's first bytes on *each* channel (data and error) are the port number, unsigned 16-bit little
  endian. A forwarding failure is written as text on the error channel.
* Empty messages are ignored; messages for a channel that does not exist are ignored (the kubelet logs them).
* There is no half-close: a connection ends when the WebSocket closes.

Nothing here does I/O. ``ClientChannels`` takes messages in and hands events out; it never raises on bad
input: it records the failure (``failure``), emits ``ProtocolFailure`` once, and ignores whatever follows, so
the owner can close cleanly. ``ServerChannels`` is the kubelet's side, used by the emulator.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

V4_BINARY = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
#: What a client offers, best first.
SUBPROTOCOLS = (V4_BINARY, V4_BASE64)

_PORT = struct.Struct("<H")


class Framing(Enum):
    """How channel messages are encoded on the WebSocket."""

    BINARY = "binary"
    BASE64 = "base64"

    @classmethod
    def for_subprotocol(cls, subprotocol: str | None) -> Framing:
        """The framing a negotiated subprotocol implies (``None``/empty means the binary default)."""
        if not subprotocol or subprotocol == V4_BINARY:
            return cls.BINARY
        if subprotocol == V4_BASE64:
            return cls.BASE64
        raise ValueError(f"unsupported port-forward subprotocol {subprotocol!r}")


def data_channel(index: int) -> int:
    """The data channel of the ``index``-th requested port."""
    return 2 * index


def error_channel(index: int) -> int:
    """The error channel of the ``index``-th requested port."""
    return 2 * index + 1


def encode_port(port: int) -> bytes:
    """The 2-byte little-endian port header."""
    return _PORT.pack(port)


def encode_message(channel: int, payload: bytes, framing: Framing = Framing.BINARY) -> bytes | str:
    """One WebSocket message carrying ``payload`` on ``channel`` (bytes for binary framing, str for base64)."""
    if framing is Framing.BINARY:
        if not 0 <= channel <= 255:
            raise ValueError(f"channel {channel} does not fit in one byte")
        return bytes((channel,)) + payload
    if not 0 <= channel <= 0x7F - 0x30:  # '0' + channel must stay one ASCII character
        raise ValueError(f"channel {channel} does not fit in one base64-framing character")
    return chr(0x30 + channel) + base64.b64encode(payload).decode("ascii")


def decode_message(
    message: bytes | bytearray | memoryview | str, framing: Framing
) -> tuple[int, bytes] | None:
    """Split one message into ``(channel, payload)``; ``None`` for an empty message.

    Raises ``ValueError`` for a message that cannot be decoded (bad base64); the stateful parsers turn that
    into a recorded failure instead of raising.
    """
    if not message:
        return None
    if framing is Framing.BINARY:
        if isinstance(message, str):
            message = message.encode("utf-8")
        return message[0], bytes(message[1:])
    if isinstance(message, str):
        try:
            raw = message.encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError("base64 channel message is not ASCII") from exc
    else:
        raw = bytes(message)
    channel = raw[0] - 0x30
    if channel < 0:
        raise ValueError(f"invalid base64 channel character {chr(raw[0])!r}")
    try:
        payload = base64.b64decode(raw[1:], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64 payload on channel {channel}: {exc}") from exc
    return channel, payload


# --- events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortAcknowledged:
    """The server's port header arrived on a channel (``error`` False: data channel)."""

    index: int
    port: int
    error: bool


@dataclass(frozen=True, slots=True)
class DataReceived:
    """Bytes from the pod for the ``index``-th port."""

    index: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ErrorReceived:
    """Text on the error channel of the ``index``-th port: forwarding to the pod failed."""

    index: int
    message: str


@dataclass(frozen=True, slots=True)
class ProtocolFailure:
    """The peer broke the protocol; ``ClientChannels`` ignores everything after this."""

    message: str


ClientEvent = PortAcknowledged | DataReceived | ErrorReceived | ProtocolFailure


class _HeaderState:
    """Collects a channel's 2-byte port header, which may in principle arrive split over messages."""

    __slots__ = ("buffer", "done", "port")

    def __init__(self) -> None:
        self.buffer = b""
        self.done = False
        self.port = 0


class ClientChannels:
    """Client side of one port-forward WebSocket for ``ports`` (usually one port per WebSocket).

    ``receive(message)`` returns the events the message produces; ``data_message(index, data)`` builds the
    message that sends ``data`` to the pod. Port headers are checked against the requested ports.
    """

    def __init__(self, ports: Sequence[int], framing: Framing = Framing.BINARY) -> None:
        if not ports:
            raise ValueError("at least one port is required")
        for port in ports:
            if not 0 < port < 65536:
                raise ValueError(f"invalid port {port}")
        self.ports = tuple(ports)
        self.framing = framing
        self.failure: str | None = None
        #: messages for channels that do not exist (ignored, like the kubelet does)
        self.ignored = 0
        self._headers = [_HeaderState() for _ in range(2 * len(self.ports))]

    def header_received(self, index: int, *, error: bool = False) -> bool:
        """Whether the port header of that channel has been seen."""
        return self._headers[error_channel(index) if error else data_channel(index)].done

    def data_message(self, index: int, data: bytes) -> bytes | str:
        """The message carrying ``data`` to the pod on the ``index``-th port's data channel."""
        if not 0 <= index < len(self.ports):
            raise IndexError(f"no port with index {index}")
        return encode_message(data_channel(index), data, self.framing)

    def receive(self, message: bytes | bytearray | memoryview | str) -> list[ClientEvent]:
        """Feed one WebSocket message; return what it means."""
        if self.failure is not None:
            return []
        try:
            decoded = decode_message(message, self.framing)
        except ValueError as exc:
            return self._fail(str(exc))
        if decoded is None:
            return []
        channel, payload = decoded
        if channel >= len(self._headers):
            self.ignored += 1
            return []
        index, is_error = divmod(channel, 2)
        events: list[ClientEvent] = []
        header = self._headers[channel]
        if not header.done:
            needed = 2 - len(header.buffer)
            header.buffer += payload[:needed]
            payload = payload[needed:]
            if len(header.buffer) < 2:
                return []
            header.done = True
            header.port = _PORT.unpack(header.buffer)[0]
            if header.port != self.ports[index]:
                kind = "error" if is_error else "data"
                return self._fail(
                    f"port header mismatch on {kind} channel {channel}: "
                    f"expected {self.ports[index]}, got {header.port}"
                )
            events.append(PortAcknowledged(index, header.port, bool(is_error)))
        if payload:
            if is_error:
                events.append(ErrorReceived(index, payload.decode("utf-8", errors="replace")))
            else:
                events.append(DataReceived(index, payload))
        return events

    def _fail(self, message: str) -> list[ClientEvent]:
        self.failure = message
        return [ProtocolFailure(message)]


# --- server (kubelet) side ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientData:
    """Bytes the client sent for the ``index``-th port."""

    index: int
    data: bytes


class ServerChannels:
    """The kubelet's side of one WebSocket: port headers first, then data both ways, errors as text.

    Mirrors wsstream: frames for unknown channels and client writes to error channels are dropped; a
    payload that cannot be decoded is dropped too (counted in ``dropped``) and the stream continues.
    """

    def __init__(self, ports: Sequence[int], framing: Framing = Framing.BINARY) -> None:
        self.ports = tuple(ports)
        self.framing = framing
        self.dropped = 0

    def opening_messages(self) -> list[bytes | str]:
        """The port header on every data and error channel, in channel order."""
        out: list[bytes | str] = []
        for index, port in enumerate(self.ports):
            header = encode_port(port)
            out.append(encode_message(data_channel(index), header, self.framing))
            out.append(encode_message(error_channel(index), header, self.framing))
        return out

    def data_message(self, index: int, data: bytes) -> bytes | str:
        return encode_message(data_channel(index), data, self.framing)

    def error_message(self, index: int, text: str) -> bytes | str:
        return encode_message(error_channel(index), text.encode("utf-8"), self.framing)

    def receive(self, message: bytes | bytearray | memoryview | str) -> ClientData | None:
        """Feed one message from the client; the data it carries for a port, if any."""
        try:
            decoded = decode_message(message, self.framing)
        except ValueError:
            self.dropped += 1
            return None
        if decoded is None:
            return None
        channel, payload = decoded
        index, is_error = divmod(channel, 2)
        if index >= len(self.ports) or is_error:
            self.dropped += 1
            return None
        if not payload:
            return None
        return ClientData(index, payload)
