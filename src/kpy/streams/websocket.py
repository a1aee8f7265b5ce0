"""RFC 6455 WebSocket framing as a sans-I/O, buffer-based codec: bytes in, frames and messages out.

Two layers, both without I/O:

* ``FrameParser`` cuts a byte stream into frame *pieces* (``Piece``: the frame's header, a part of its
  payload, whether it is the first/last part). A piece's payload is a ``memoryview`` of what was fed (no copy)
  or, for masked frames, the unmasked bytes. Large frames therefore pass through in the sizes they arrive in.
* ``MessageReader`` applies the protocol rules on top (masking per role, reserved bits, control frames at
  most 125 bytes and never fragmented, continuation frames only inside a message, close payloads, message
  size) and hands out events: ``Message`` (a whole text or binary message), ``Chunk`` (a part of a message
  that its ``stream`` callback chose to receive as it arrives), ``Ping``, ``Pong`` and ``Close``. A violation
  raises ``ProtocolError`` with the close code to answer with.

Writing is a function: ``encode_frame`` (client frames get a masking key, server frames none) with
``frame_header`` for callers that send a header and a payload without joining them. ``accept_key`` is the
handshake's ``Sec-WebSocket-Accept``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

_MaskFn = Callable[[bytes | bytearray | memoryview, bytes], bytes]
_fast_mask: _MaskFn | None = None
#: payloads shorter than this (close frames, pings, resize messages) are masked without ``websockets``
_SMALL = 1024


def _load_apply_mask() -> _MaskFn:
    global _fast_mask
    try:
        from websockets.speedups import apply_mask as fast
    except ImportError:  # pragma: no cover - websockets without its C extension
        from websockets.utils import apply_mask as portable

        _fast_mask = portable
        return portable
    _fast_mask = fast
    return fast


def apply_mask(data: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    """XOR ``data`` with a 4-byte masking key; returns new bytes. Bulk data goes through ``websockets``' C
    extension, imported on first use: importing ``websockets`` costs ~17 ms of start-up (it loads
    ``importlib.metadata``), more than a command that sends only a close frame should pay."""
    size = len(data)
    if size < _SMALL:
        if not size:
            return b""
        key = int.from_bytes((mask * (size // 4 + 1))[:size], "little")
        return (int.from_bytes(data, "little") ^ key).to_bytes(size, "little")
    return (_fast_mask or _load_apply_mask())(data, mask)


#: RFC 6455 opcodes
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
_DATA_OPS = (OP_TEXT, OP_BINARY)
_CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)

#: close codes (RFC 6455 7.4.1)
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_NO_STATUS = 1005  # never on the wire: a close frame without a code
CLOSE_ABNORMAL = 1006  # never on the wire: the connection dropped without a close frame
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

#: the codes a close frame may carry: the defined ones that are not reserved, and 3000-4999 (registered/private)
_SENDABLE = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes, base64."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def valid_key(key: str) -> bool:
    """A ``Sec-WebSocket-Key`` is base64 of exactly 16 bytes."""
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


class ProtocolError(Exception):
    """The peer broke RFC 6455; ``code`` is the close code to answer with (1002, or 1009 for a message too big)."""

    def __init__(self, message: str, code: int = CLOSE_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.code = code


def frame_header(opcode: int, size: int, *, masked: bool = False, fin: bool = True) -> bytes:
    """The header of one frame with ``size`` payload bytes. ``masked`` (client frames) sets the mask bit; the
    4-byte masking key goes right after the header."""
    b0 = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if masked else 0
    if size < 126:
        return struct.pack("!BB", b0, mask_bit | size)
    if size < 65536:
        return struct.pack("!BBH", b0, mask_bit | 126, size)
    return struct.pack("!BBQ", b0, mask_bit | 127, size)


def encode_frame(
    opcode: int,
    payload: bytes | bytearray | memoryview = b"",
    *,
    mask: bytes | None = None,
    fin: bool = True,
) -> bytes:
    """One whole frame. A client passes a 4-byte ``mask`` (``os.urandom(4)``); a server passes none."""
    if mask is None:
        return frame_header(opcode, len(payload), fin=fin) + payload
    if len(mask) != 4:
        raise ValueError("a masking key is 4 bytes")
    return frame_header(opcode, len(payload), masked=True, fin=fin) + mask + apply_mask(payload, mask)


def encode_message(
    opcode: int,
    payload: bytes | bytearray | memoryview,
    *,
    client: bool,
    fragment: int = 0,
) -> bytes:
    """A whole message as frames (``fragment`` > 0: at most that many payload bytes per frame)."""
    view = memoryview(payload)
    if fragment <= 0 or len(view) <= fragment:
        return encode_frame(opcode, view, mask=os.urandom(4) if client else None)
    out = bytearray()
    for start in range(0, len(view), fragment):
        part = view[start : start + fragment]
        last = start + fragment >= len(view)
        op = opcode if start == 0 else OP_CONT
        out += encode_frame(op, part, mask=os.urandom(4) if client else None, fin=last)
    return bytes(out)


def close_payload(code: int = CLOSE_NORMAL, reason: str = "") -> bytes:
    """The payload of a close frame: the code (2 bytes) and a UTF-8 reason, cut to fit 125 bytes."""
    if code == CLOSE_NO_STATUS:
        return b""
    if code not in _SENDABLE and not 3000 <= code <= 4999:
        raise ValueError(f"close code {code} cannot be sent")
    raw = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return struct.pack("!H", code) + raw


def parse_close(payload: bytes | bytearray | memoryview) -> tuple[int, str]:
    """The code and reason of a received close frame (1005 when it has none). Raises ``ProtocolError`` for a
    1-byte payload, a code that may not be sent, or a reason that is not UTF-8."""
    if not payload:
        return CLOSE_NO_STATUS, ""
    if len(payload) == 1:
        raise ProtocolError("close frame with a 1-byte payload")
    code = struct.unpack_from("!H", payload)[0]
    if code not in _SENDABLE and not 3000 <= code <= 4999:
        raise ProtocolError(f"invalid close code {code}")
    try:
        reason = bytes(payload[2:]).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("close reason is not UTF-8", CLOSE_INVALID_DATA) from None
    return code, reason


@dataclass(frozen=True, slots=True)
class Header:
    """A frame's header: final bit, reserved bits (``rsv``, 0..7), opcode, payload length, masking key."""

    fin: bool
    opcode: int
    length: int
    mask: bytes | None = None
    rsv: int = 0


class Piece(NamedTuple):
    """Part of one frame's payload (``data`` is empty only for an empty frame)."""

    header: Header
    data: bytes | memoryview
    first: bool
    last: bool


class FrameParser:
    """Cut bytes into frame pieces. ``feed`` may be given any split of the stream; a piece's ``data`` is valid
    until the fed buffer is changed (copy what you keep). No rule checks beyond the frame format."""

    def __init__(self) -> None:
        self._head = bytearray()  # an incomplete header carried over from the previous feed
        self._header: Header | None = None  # the frame whose payload is arriving
        self._remaining = 0
        self._offset = 0  # payload bytes of the current frame already handed out

    def feed(self, data: bytes | bytearray | memoryview) -> list[Piece]:
        view = memoryview(data)
        end = len(view)
        i = 0
        out: list[Piece] = []
        while True:
            header = self._header
            if header is None:
                if self._head:
                    i = self._carry(view, i)
                    if self._header is None:
                        return out
                    header = self._header
                else:
                    parsed = self._parse_head(view, i, end)
                    if parsed is None:
                        self._head += view[i:end]
                        return out
                    header, i = parsed
                    self._header, self._remaining, self._offset = header, header.length, 0
                if header.length == 0:
                    out.append(Piece(header, b"", True, True))
                    self._header = None
                    continue
            if i >= end:
                return out
            take = min(self._remaining, end - i)
            chunk: bytes | memoryview = view[i : i + take]
            if header.mask is not None:
                rot = self._offset & 3
                key = header.mask
                chunk = apply_mask(chunk, key[rot:] + key[:rot] if rot else key)
            i += take
            first = self._offset == 0
            self._offset += take
            self._remaining -= take
            last = self._remaining == 0
            out.append(Piece(header, chunk, first, last))
            if last:
                self._header = None

    def _carry(self, view: memoryview, i: int) -> int:
        """Complete a header split over feeds; returns the new position."""
        head = self._head
        while True:
            need = _head_size(head)
            if len(head) >= need:
                break
            take = min(need - len(head), len(view) - i)
            if take == 0:
                return i
            head += view[i : i + take]
            i += take
        parsed = self._parse_head(memoryview(head), 0, len(head))
        assert parsed is not None
        header = parsed[0]
        head.clear()
        self._header, self._remaining, self._offset = header, header.length, 0
        return i

    @staticmethod
    def _parse_head(view: memoryview, i: int, end: int) -> tuple[Header, int] | None:
        if end - i < 2:
            return None
        b0, b1 = view[i], view[i + 1]
        size = b1 & 0x7F
        masked = b1 & 0x80
        start = i + 2
        if size == 126:
            if end - start < 2:
                return None
            size = struct.unpack_from("!H", view, start)[0]
            start += 2
        elif size == 127:
            if end - start < 8:
                return None
            size = struct.unpack_from("!Q", view, start)[0]
            if size >> 63:
                raise ProtocolError("frame length has the most significant bit set")
            start += 8
        mask = None
        if masked:
            if end - start < 4:
                return None
            mask = bytes(view[start : start + 4])
            start += 4
        return Header(bool(b0 & 0x80), b0 & 0x0F, size, mask, (b0 >> 4) & 7), start


def _head_size(head: bytearray) -> int:
    """How many bytes the header that starts with ``head`` has (2 while the second byte is unknown)."""
    if len(head) < 2:
        return 2
    size = head[1] & 0x7F
    return 2 + (2 if size == 126 else 8 if size == 127 else 0) + (4 if head[1] & 0x80 else 0)


@dataclass(frozen=True, slots=True)
class Message:
    """A whole data message. ``text`` decodes a text message (invalid UTF-8 replaced)."""

    opcode: int
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A part of a streamed message (see ``MessageReader``): ``first``/``last`` mark its ends."""

    opcode: int
    data: bytes | memoryview
    first: bool
    last: bool


@dataclass(frozen=True, slots=True)
class Ping:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """The peer's close frame: ``code`` 1005 when it carried none."""

    code: int
    reason: str


Event = Message | Chunk | Ping | Pong | Close
ControlEvent = Ping | Pong | Close


def control_event(op: int, payload: bytes) -> ControlEvent:
    """The event of a complete control frame (``op`` ping, pong or close); a bad close raises ProtocolError."""
    if op == OP_PING:
        return Ping(payload)
    if op == OP_PONG:
        return Pong(payload)
    code, reason = parse_close(payload)
    return Close(code, reason)


#: decides, from a message's opcode and its first payload bytes, whether to stream it as ``Chunk`` events
StreamChooser = Callable[[int, "bytes | memoryview"], bool]


class MessageReader:
    """The receiving side of one WebSocket connection.

    ``client=True`` reads what a client receives (server frames: unmasked), ``client=False`` what a server
    receives (client frames: masked). ``max_message`` bounds an assembled message (``ProtocolError`` with
    1009 beyond it). ``stream``, when given, is asked once per message, with its opcode and its first
    non-empty payload piece, whether to hand the message out as ``Chunk`` events as it arrives instead of one
    ``Message`` (bulk data, without assembling it). After a ``Close`` nothing more is read (``closed``).
    """

    def __init__(
        self, *, client: bool, max_message: int = 32 << 20, stream: StreamChooser | None = None
    ) -> None:
        self.client = client
        self.max_message = max_message
        self.stream = stream
        self.closed = False
        self._frames = FrameParser()
        self._op = 0  # opcode of the message in progress (0: none)
        self._streaming = False
        self._decided = False  # whether ``stream`` was asked for the message in progress
        self._chunk_first = False  # the next Chunk is the first of its message
        self._parts = bytearray()
        self._control = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Events for the bytes received (any split). Streamed ``Chunk`` data may be a view of ``data``."""
        out: list[Event] = []
        if self.closed:
            return out
        for piece in self._frames.feed(data):
            header = piece.header
            if piece.first:
                self._check(header)
            op = header.opcode
            if op >= 8:
                self._control += piece.data
                if piece.last:
                    event = control_event(op, bytes(self._control))
                    self._control.clear()
                    out.append(event)
                    if isinstance(event, Close):
                        self.closed = True
                        return out
                continue
            if op != OP_CONT and piece.first:
                self._op, self._streaming, self._decided = op, False, False
                self._parts.clear()
            data_part = piece.data
            if not self._decided and data_part:
                self._decided = True
                self._streaming = self.stream is not None and self.stream(self._op, data_part)
                if self._streaming:
                    self._chunk_first = True
            end = piece.last and header.fin
            if self._streaming:
                if data_part or end:
                    out.append(Chunk(self._op, data_part, self._chunk_first, end))
                    self._chunk_first = False
            else:
                if len(self._parts) + len(data_part) > self.max_message:
                    raise ProtocolError("message too big", CLOSE_TOO_BIG)
                self._parts += data_part
                if end:
                    out.append(Message(self._op, bytes(self._parts)))
                    self._parts.clear()
            if end:
                self._op = 0
        return out

    def _check(self, header: Header) -> None:
        if header.rsv:
            raise ProtocolError("reserved bits set (no extension was negotiated)")
        if self.client and header.mask is not None:
            raise ProtocolError("a server must not mask its frames")
        if not self.client and header.mask is None:
            raise ProtocolError("client frames must be masked")
        op = header.opcode
        if op >= 8:
            if op not in _CONTROL_OPS:
                raise ProtocolError(f"unknown opcode {op}")
            if header.length > 125 or not header.fin:
                raise ProtocolError("invalid control frame")
        elif op == OP_CONT:
            if not self._op:
                raise ProtocolError("continuation frame without a message")
        elif op not in _DATA_OPS:
            raise ProtocolError(f"unknown opcode {op}")
        elif self._op:
            raise ProtocolError("a new message started inside a fragmented one")
        elif header.length > self.max_message and not self.stream:
            raise ProtocolError("message too big", CLOSE_TOO_BIG)
