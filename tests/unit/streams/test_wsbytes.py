"""kpy.streams.wsbytes: a WebSocket as one byte stream (the SPDY tunnel), bytes in -> exact payload/events out.

Every case is fed whole, byte by byte and in every two-piece split (a reader gets whatever pieces the network
delivers), and the RFC 6455 rules are those of ``MessageReader``: the same violations are refused with the same
close codes.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator

import pytest

from kpy.streams.websocket import (
    OP_BINARY,
    OP_PING,
    OP_TEXT,
    Close,
    MessageReader,
    Ping,
    Pong,
    ProtocolError,
    encode_frame,
    encode_message,
)
from kpy.streams.wsbytes import (
    FRAME_HEADROOM,
    ByteStreamReader,
    ControlEvent,
    masked_frame,
    masked_frame_parts,
)

RFC_MASK = bytes.fromhex("37fa213d")


def splits(data: bytes) -> Iterator[list[bytes]]:
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]


def read_all(reader: ByteStreamReader, pieces: list[bytes]) -> tuple[bytes, list[ControlEvent]]:
    stream = bytearray()
    events: list[ControlEvent] = []
    for piece in pieces:
        payload, more = reader.feed(piece)
        for part in payload:
            stream += part  # views of ``piece``: copy before the next feed
        events += more
    return bytes(stream), events


CASES: list[tuple[str, bytes, bytes, list[ControlEvent]]] = [
    ("one message", b"\x82\x05hello", b"hello", []),
    ("messages are one stream", b"\x82\x02he\x82\x03llo", b"hello", []),
    ("fragments", b"\x02\x02he\x00\x01l\x80\x02lo", b"hello", []),
    ("empty frames", b"\x82\x00\x02\x00\x80\x00", b"", []),
    ("16-bit length", b"\x82\x7e\x01\x00" + bytes(range(256)), bytes(range(256)), []),
    ("64-bit length", b"\x82\x7f" + (300).to_bytes(8, "big") + bytes(300), bytes(300), []),
    ("ping between fragments", b"\x02\x02he\x89\x01p\x80\x03llo", b"hello", [Ping(b"p")]),
    ("empty pong", b"\x8a\x00\x82\x01x", b"x", [Pong(b"")]),
    ("close ends the stream", b"\x82\x01a\x88\x05\x03\xe8bye\x82\x01b", b"a", [Close(1000, "bye")]),
    ("close without a code", b"\x88\x00\x82\x01b", b"", [Close(1005, "")]),
]


@pytest.mark.parametrize(("name", "data", "stream", "events"), CASES, ids=[c[0] for c in CASES])
def test_client_reader(name: str, data: bytes, stream: bytes, events: list[ControlEvent]) -> None:
    for pieces in splits(data):
        assert read_all(ByteStreamReader(client=True), pieces) == (stream, events), pieces


def test_nothing_is_read_after_close() -> None:
    reader = ByteStreamReader(client=True)
    assert reader.feed(b"\x88\x00") == ([], [Close(1005, "")])
    assert reader.closed
    assert reader.feed(b"\x82\x01x") == ([], [])


ERRORS: list[tuple[str, bytes, int]] = [
    ("masked server frame", b"\x82\x81" + RFC_MASK + b"x", 1002),
    ("reserved bit 1", b"\xc2\x00", 1002),
    ("reserved bit 3", b"\x92\x00", 1002),
    ("text message", b"\x81\x01a", 1002),
    ("unknown data opcode", b"\x83\x00", 1002),
    ("unknown control opcode", b"\x8b\x00", 1002),
    ("control frame over 125 bytes", b"\x89\x7e\x00\x7e" + bytes(126), 1002),
    ("fragmented control frame", b"\x09\x00", 1002),
    ("continuation without a message", b"\x80\x00", 1002),
    ("new message inside a fragmented one", b"\x02\x01a\x82\x01b", 1002),
    ("length with the top bit set", b"\x82\x7f\x80" + bytes(7), 1002),
    ("close with one byte", b"\x88\x01\x03", 1002),
    ("close with a reserved code", b"\x88\x02\x03\xed", 1002),
    ("close reason not UTF-8", b"\x88\x03\x03\xe8\xff", 1007),
]


@pytest.mark.parametrize(("name", "data", "code"), ERRORS, ids=[c[0] for c in ERRORS])
def test_client_reader_refuses_what_message_reader_refuses(name: str, data: bytes, code: int) -> None:
    for pieces in splits(data):
        with pytest.raises(ProtocolError) as info:
            read_all(ByteStreamReader(client=True), pieces)
        assert info.value.code == code
    if name != "text message":  # MessageReader leaves text to its caller
        with pytest.raises(ProtocolError) as info:
            MessageReader(client=True).feed(data)
        assert info.value.code == code


def test_client_reader_hands_out_views_of_the_fed_buffer() -> None:
    buf = bytearray(b"\x82\x03abc\x82\x02de")
    payload, _ = ByteStreamReader(client=True).feed(buf)
    assert [bytes(p) for p in payload] == [b"abc", b"de"]
    buf[2:5] = b"xyz"
    assert bytes(payload[0]) == b"xyz"  # no copy was made


def test_server_reader_unmasks_random_fragmentations_split_anyhow() -> None:
    rng = random.Random(6455)
    for _ in range(40):
        data = b""
        expected = b""
        messages = rng.randrange(1, 4)
        for _ in range(messages):
            payload = rng.randbytes(rng.randrange(0, 2000))
            expected += payload
            data += encode_message(OP_BINARY, payload, client=True, fragment=rng.randrange(1, 700))
            data += encode_frame(OP_PING, b"p", mask=os.urandom(4))
        pieces = []
        at = 0
        while at < len(data):
            step = rng.randrange(1, 300)
            pieces.append(data[at : at + step])
            at += step
        stream, events = read_all(ByteStreamReader(client=False), pieces)
        assert stream == expected
        assert events == [Ping(b"p")] * messages


def test_server_reader_refuses_unmasked_frames() -> None:
    with pytest.raises(ProtocolError) as info:
        ByteStreamReader(client=False).feed(b"\x82\x01x")
    assert info.value.code == 1002


def _whole(buf: bytearray, start: int, end: int) -> bytes:
    return masked_frame(OP_BINARY, buf, start, end)


def _joined_parts(buf: bytearray, start: int, end: int) -> bytes:
    parts = list(masked_frame_parts(OP_BINARY, buf, start, end, piece=65536))
    assert all(len(p) <= 65536 for p in parts)
    return b"".join(parts)


@pytest.mark.parametrize(
    "size", [0, 1, 3, 125, 126, 127, 65535, 65536, 70001, 262143, 262144, 262145, 1 << 20]
)
@pytest.mark.parametrize("spare", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("build", [_whole, _joined_parts], ids=["masked_frame", "masked_frame_parts"])
def test_masked_frames_are_the_frame_encode_frame_would_send(
    size: int, spare: int, build: Callable[[bytearray, int, int], bytes]
) -> None:
    payload = os.urandom(size)
    start = FRAME_HEADROOM + spare
    buf = bytearray(os.urandom(start)) + payload + os.urandom(7)
    frame = build(buf, start, start + size)
    head = 2 + (2 if 126 <= size < 65536 else 8 if size >= 65536 else 0)
    key = frame[head : head + 4]
    assert frame == encode_frame(OP_BINARY, payload, mask=key)
    assert MessageReader(client=False).feed(frame)[0].data == payload  # type: ignore[union-attr]


def test_masked_frame_uses_a_fresh_key_per_frame() -> None:
    buf = bytearray(FRAME_HEADROOM + 4)
    keys = {masked_frame(OP_TEXT, buf, FRAME_HEADROOM, FRAME_HEADROOM + 4)[2:6] for _ in range(8)}
    assert len(keys) > 1


def test_masked_frame_needs_room_for_the_header() -> None:
    with pytest.raises(ValueError, match="room"):
        masked_frame(OP_BINARY, bytearray(200), 4, 200)


def test_masked_frame_parts_refuse_a_piece_size_that_breaks_the_key() -> None:
    buf = bytearray(FRAME_HEADROOM + 16)
    with pytest.raises(ValueError, match="multiple of 4"):
        list(masked_frame_parts(OP_BINARY, buf, FRAME_HEADROOM, FRAME_HEADROOM + 16, piece=6))
