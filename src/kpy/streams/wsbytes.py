"""A WebSocket used as one byte stream (SPDY tunnelled in binary messages, ``SPDY/3.1+portforward.k8s.io``),
sans-I/O and built for bulk data.

Where message boundaries mean nothing, ``MessageReader``'s per-frame events are pure overhead: a port-forward
tunnel moving hundreds of MiB/s spends its CPU per frame, not per byte. ``ByteStreamReader.feed`` hands out
the payload of every binary frame as views of the fed buffer (unmasked copies on the server side) in one list,
and control frames as ``Ping``/``Pong``/``Close`` events, with ``MessageReader``'s RFC 6455 checks (masking per
role, reserved bits, control frames at most 125 bytes and unfragmented, continuation frames only inside a
message, close payloads); a text message is a ``ProtocolError`` too.

``masked_frame`` writes a client frame without copying the payload first: the caller reads the payload into a
buffer after ``FRAME_HEADROOM`` spare bytes, and one ``apply_mask`` over header and payload yields the whole
frame (the header bytes are stored pre-masked, so masking restores them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kpy.streams.websocket import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Close,
    ControlEvent,
    ProtocolError,
    apply_mask,
    control_event,
    frame_header,
)

#: the most bytes a client frame's header and masking key take (2 + 8-byte length + 4)
FRAME_HEADROOM = 14
#: bytes masked at a time by ``masked_frame_parts`` (a multiple of 4)
MASK_PIECE = 256 * 1024


class ByteStreamReader:
    """The receiving side of a WebSocket whose binary messages carry one byte stream.

    ``client=True`` reads what a client receives (unmasked frames), ``client=False`` what a server receives
    (masked frames). ``feed`` returns ``(payload, events)``: the payload bytes in order (views of the fed
    buffer, valid until it changes; copies for masked frames) and the control frames, which the caller handles
    after the payload. After a ``Close`` nothing more is read (``closed``).
    """

    def __init__(self, *, client: bool) -> None:
        self.client = client
        self.closed = False
        self._head = bytearray()  # a frame header split over feeds
        self._left = 0  # payload bytes of the current frame still to come
        self._key = b""  # the current frame's masking key, rotated to its next payload byte
        self._control = 0  # the current frame's opcode when it is a control frame
        self._control_data = bytearray()
        self._in_message = False  # a message whose final frame has not arrived

    def feed(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[list[bytes | memoryview], list[ControlEvent]]:
        payload: list[bytes | memoryview] = []
        events: list[ControlEvent] = []
        if self.closed:
            return payload, events
        view = memoryview(data)
        i, end = 0, len(view)
        while i < end:
            left = self._left
            if left:
                take = left if left <= end - i else end - i
                chunk: bytes | memoryview = view[i : i + take]
                i += take
                self._left = left - take
                key = self._key
                if key:
                    chunk = apply_mask(chunk, key)
                    rot = take & 3
                    if rot:
                        self._key = key[rot:] + key[:rot]
                if self._control:
                    self._control_data += chunk
                    if not self._left and self._end_control(events):
                        return payload, events
                else:
                    payload.append(chunk)
                continue
            if self._head:  # complete a header split over feeds (rare)
                head = self._head
                need = _header_size(head[0], head[1]) if len(head) >= 2 else 2
                while len(head) < need and i < end:
                    take = min(need - len(head), end - i)
                    head += view[i : i + take]
                    i += take
                    if len(head) >= 2:
                        need = _header_size(head[0], head[1])
                if len(head) < need:
                    return payload, events
                header = memoryview(bytes(head))
                head.clear()
                if self._start(header, 0, events) < 0:
                    return payload, events
                continue
            if end - i < 2 or end - i < _header_size(view[i], view[i + 1]):
                self._head += view[i:end]
                return payload, events
            i = self._start(view, i, events)
            if i < 0:
                return payload, events
        return payload, events

    def _start(self, view: memoryview, i: int, events: list[ControlEvent]) -> int:
        """Take the frame header at ``view[i:]`` (complete); returns where its payload starts, or -1 when the
        connection is closed (an empty close frame)."""
        b0, b1 = view[i], view[i + 1]
        size = b1 & 0x7F
        at = i + 2
        if size == 126:
            size = (view[at] << 8) | view[at + 1]
            at += 2
        elif size == 127:
            size = int.from_bytes(view[at : at + 8], "big")
            if size >> 63:
                raise ProtocolError("frame length has the most significant bit set")
            at += 8
        masked = b1 & 0x80
        if b0 & 0x70:
            raise ProtocolError("reserved bits set (no extension was negotiated)")
        if self.client and masked:
            raise ProtocolError("a server must not mask its frames")
        if not self.client and not masked:
            raise ProtocolError("client frames must be masked")
        if masked:
            self._key = bytes(view[at : at + 4])
            at += 4
        else:
            self._key = b""
        op, fin = b0 & 0x0F, b0 & 0x80
        self._left = size
        if op >= 8:
            if op not in (OP_CLOSE, OP_PING, OP_PONG):
                raise ProtocolError(f"unknown opcode {op}")
            if size > 125 or not fin:
                raise ProtocolError("invalid control frame")
            self._control = op
            if not size and self._end_control(events):
                return -1
            return at
        self._control = 0
        if op == OP_CONT:
            if not self._in_message:
                raise ProtocolError("continuation frame without a message")
        elif op == OP_TEXT:
            raise ProtocolError("a text message where binary messages carry the stream")
        elif op != OP_BINARY:
            raise ProtocolError(f"unknown opcode {op}")
        elif self._in_message:
            raise ProtocolError("a new message started inside a fragmented one")
        self._in_message = not fin
        return at

    def _end_control(self, events: list[ControlEvent]) -> bool:
        """The control frame is complete: its event; True for a close (nothing more is read)."""
        event = control_event(self._control, bytes(self._control_data))
        self._control_data.clear()
        self._control = 0
        events.append(event)
        if isinstance(event, Close):
            self.closed = True
            return True
        return False


def _header_size(b0: int, b1: int) -> int:
    """Bytes of a frame header (with its masking key) from its first two bytes."""
    size = b1 & 0x7F
    return 2 + (2 if size == 126 else 8 if size == 127 else 0) + (4 if b1 & 0x80 else 0)


def masked_frame(opcode: int, buf: bytearray, start: int, end: int) -> bytes:
    """The masked client frame whose payload is ``buf[start:end]``, as one new ``bytes``; ``start`` must be at
    least ``FRAME_HEADROOM`` (the header is written in front of the payload, pre-masked, and ``buf`` is changed
    there). One pass over the payload: no copy before masking, no join after it."""
    key = os.urandom(4)
    head = frame_header(opcode, end - start, masked=True) + key
    first = start - len(head)
    if first < 0:
        raise ValueError("not enough room for the frame header")
    # the byte at ``start + j`` is masked with key[j % 4]: rotate the key to begin at ``first``
    rot = (first - start) % 4
    rotated = key[rot:] + key[:rot]
    buf[first:start] = apply_mask(head, rotated)
    return apply_mask(memoryview(buf)[first:end], rotated)


def masked_frame_parts(
    opcode: int, buf: bytearray, start: int, end: int, *, piece: int = MASK_PIECE
) -> Iterator[bytes]:
    """``masked_frame``'s bytes in masked pieces of at most ``piece`` bytes, each made only when the one
    before has been taken: a large frame (1 MiB) is masked and encrypted without a masked copy of it all at
    once (large short-lived copies made by many threads are what the allocator keeps)."""
    key = os.urandom(4)
    head = frame_header(opcode, end - start, masked=True) + key
    first = start - len(head)
    if first < 0:
        raise ValueError("not enough room for the frame header")
    if piece <= 0 or piece % 4:
        raise ValueError("the piece size must be a positive multiple of 4")
    # the byte at ``start + j`` is masked with key[j % 4]; every piece starts a multiple of 4 after ``first``
    rot = (first - start) % 4
    rotated = key[rot:] + key[:rot]
    buf[first:start] = apply_mask(head, rotated)
    view = memoryview(buf)
    for at in range(first, end, piece):
        yield apply_mask(view[at : min(at + piece, end)], rotated)
