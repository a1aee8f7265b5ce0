"""kpy.streams.websocket: RFC 6455 framing, bytes in -> exact frames/events out (no sockets).

Every parsing case is fed whole, one byte at a time, and in every two-piece split, because a reader gets the
stream in whatever pieces the network delivers.
"""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Iterator

import pytest

from kpy.streams import websocket as ws
from kpy.streams.websocket import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Chunk,
    Close,
    Event,
    FrameParser,
    Header,
    Message,
    MessageReader,
    Ping,
    Pong,
    ProtocolError,
    accept_key,
    close_payload,
    encode_frame,
    encode_message,
    frame_header,
    new_key,
    parse_close,
    valid_key,
)

# RFC 6455 5.7's examples
HELLO = bytes.fromhex("810548656c6c6f")
HELLO_MASKED = bytes.fromhex("818537fa213d7f9f4d5158")
HEL_LO = bytes.fromhex("010348656c") + bytes.fromhex("80026c6f")
PING_HELLO = bytes.fromhex("890548656c6c6f")
PONG_HELLO_MASKED = bytes.fromhex("8a8537fa213d7f9f4d5158")
RFC_MASK = bytes.fromhex("37fa213d")


def splits(data: bytes) -> Iterator[list[bytes]]:
    """The ways to deliver ``data``: whole, byte by byte, and every split into two pieces."""
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]


def normal(events: list[Event]) -> list[Event]:
    """Chunks hold views of the fed buffer: compare their bytes."""
    return [Chunk(e.opcode, bytes(e.data), e.first, e.last) if isinstance(e, Chunk) else e for e in events]


def merge_chunks(events: list[Event]) -> list[Event]:
    """Consecutive chunks of one message as one (how they are cut depends on the split)."""
    out: list[Event] = []
    for e in normal(events):
        if isinstance(e, Chunk) and out and isinstance(out[-1], Chunk) and not out[-1].last:
            prev = out[-1]
            out[-1] = Chunk(prev.opcode, bytes(prev.data) + bytes(e.data), prev.first, e.last)
        else:
            out.append(e)
    return out


def read_all(reader: MessageReader, pieces: list[bytes]) -> list[Event]:
    out: list[Event] = []
    for piece in pieces:
        out += normal(reader.feed(piece))
    return out


# --- writing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opcode", "size", "masked", "fin", "expected"),
    [
        (OP_TEXT, 0, False, True, "8100"),
        (OP_BINARY, 125, False, True, "827d"),
        (OP_BINARY, 126, False, True, "827e007e"),
        (OP_BINARY, 65535, False, True, "827effff"),
        (OP_BINARY, 65536, False, True, "827f0000000000010000"),
        (OP_BINARY, 5, True, True, "8285"),
        (OP_BINARY, 300, True, True, "82fe012c"),
        (OP_BINARY, 1 << 32, True, True, "82ff0000000100000000"),
        (OP_TEXT, 3, False, False, "0103"),
        (OP_CONT, 2, False, True, "8002"),
        (OP_CLOSE, 2, True, True, "8882"),
    ],
)
def test_frame_header(opcode: int, size: int, masked: bool, fin: bool, expected: str) -> None:
    assert frame_header(opcode, size, masked=masked, fin=fin) == bytes.fromhex(expected)


@pytest.mark.parametrize(
    ("opcode", "payload", "mask", "fin", "expected"),
    [
        (OP_TEXT, b"Hello", None, True, HELLO),
        (OP_TEXT, b"Hello", RFC_MASK, True, HELLO_MASKED),
        (OP_PING, b"Hello", None, True, PING_HELLO),
        (OP_PONG, b"Hello", RFC_MASK, True, PONG_HELLO_MASKED),
        (OP_TEXT, b"Hel", None, False, HEL_LO[:5]),
        (OP_CONT, b"lo", None, True, HEL_LO[5:]),
        (OP_BINARY, bytes(256), None, True, b"\x82\x7e\x01\x00" + bytes(256)),
        (OP_BINARY, bytes(65536), None, True, b"\x82\x7f" + struct.pack("!Q", 65536) + bytes(65536)),
        (OP_BINARY, b"", RFC_MASK, True, b"\x82\x80" + RFC_MASK),
        (OP_CLOSE, b"\x03\xe8", None, True, b"\x88\x02\x03\xe8"),
    ],
)
def test_encode_frame(opcode: int, payload: bytes, mask: bytes | None, fin: bool, expected: bytes) -> None:
    assert encode_frame(opcode, payload, mask=mask, fin=fin) == expected


def test_encode_frame_rejects_a_mask_that_is_not_four_bytes() -> None:
    with pytest.raises(ValueError):
        encode_frame(OP_BINARY, b"x", mask=b"abc")


def test_encode_message_fragments_with_continuations_and_one_final_frame() -> None:
    assert encode_message(OP_TEXT, b"Hello", client=False, fragment=3) == HEL_LO
    assert encode_message(OP_TEXT, b"Hello", client=False, fragment=5) == HELLO
    assert encode_message(OP_TEXT, b"Hello", client=False) == HELLO


def test_client_messages_use_a_fresh_mask_per_frame() -> None:
    frames = encode_message(OP_BINARY, bytes(6), client=True, fragment=3)
    assert (frames[0], frames[1], frames[9], frames[10]) == (OP_BINARY, 0x83, OP_CONT | 0x80, 0x83)
    first_mask, second_mask = frames[2:6], frames[11:15]
    assert frames[6:9] == first_mask[:3] and frames[15:18] == second_mask[:3]  # zeros XOR mask
    assert first_mask != second_mask
    assert MessageReader(client=False).feed(frames) == [Message(OP_BINARY, bytes(6))]


def test_accept_key_is_rfc_6455s_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("dGhlIHNhbXBsZSBub25jZQ==", True),
        ("", False),
        ("dGhlIHNhbXBsZSBub25j", False),  # 15 bytes
        ("not base64!", False),
        ("AAAAAAAAAAAAAAAAAAAAAAAA", False),  # 18 bytes
    ],
)
def test_valid_key(key: str, valid: bool) -> None:
    assert valid_key(key) is valid


def test_new_keys_are_valid_and_differ() -> None:
    keys = {new_key() for _ in range(8)}
    assert len(keys) == 8 and all(valid_key(k) for k in keys)


# --- close payloads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", (1005, "")),
        (b"\x03\xe8", (1000, "")),
        (b"\x03\xe8bye", (1000, "bye")),
        (b"\x03\xe9", (1001, "")),
        (b"\x03\xf3", (1011, "")),
        (b"\x03\xf6", (1014, "")),
        (b"\x0b\xb8", (3000, "")),
        (b"\x13\x87caf\xc3\xa9", (4999, "café")),
    ],
)
def test_parse_close(payload: bytes, expected: tuple[int, str]) -> None:
    assert parse_close(payload) == expected


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),  # one byte
        (b"\x03\xe7", 1002),  # 999
        (b"\x03\xec", 1002),  # 1004 reserved
        (b"\x03\xed", 1002),  # 1005 never on the wire
        (b"\x03\xee", 1002),  # 1006 never on the wire
        (b"\x03\xf7", 1002),  # 1015 never on the wire
        (b"\x0b\xb7", 1002),  # 2999
        (b"\x13\x88", 1002),  # 5000
        (b"\x03\xe8\xff", 1007),  # reason not UTF-8
    ],
)
def test_parse_close_refuses(payload: bytes, code: int) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_close(payload)
    assert info.value.code == code


def test_close_payload() -> None:
    assert close_payload() == b"\x03\xe8"
    assert close_payload(1011, "boom") == b"\x03\xf3boom"
    assert close_payload(1005) == b""
    long = close_payload(1000, "é" * 100)  # cut to 125 bytes without splitting a character
    assert len(long) <= 125 and parse_close(long) == (1000, "é" * 61)
    for bad in (999, 1004, 1006, 1015, 2999, 5000):
        with pytest.raises(ValueError):
            close_payload(bad)


# --- the frame layer ---------------------------------------------------------------------------------------


def test_frame_parser_pieces_follow_the_reads_and_mark_the_ends() -> None:
    parser = FrameParser()
    data = encode_frame(OP_BINARY, b"abcdef") + encode_frame(OP_PING, b"")
    out = parser.feed(data[:5])  # header + 3 payload bytes
    assert [(p.header, bytes(p.data), p.first, p.last) for p in out] == [
        (Header(True, OP_BINARY, 6), b"abc", True, False)
    ]
    out = parser.feed(data[5:])
    assert [(p.header.opcode, bytes(p.data), p.first, p.last) for p in out] == [
        (OP_BINARY, b"def", False, True),
        (OP_PING, b"", True, True),
    ]


def test_frame_parser_unmasks_across_reads_at_any_offset() -> None:
    payload = os.urandom(1000)
    data = encode_frame(OP_BINARY, payload, mask=os.urandom(4))
    for cut in (7, 8, 9, 10, 11, 500):
        parser = FrameParser()
        got = b"".join(bytes(p.data) for p in parser.feed(data[:cut]) + parser.feed(data[cut:]))
        assert got == payload


def test_frame_parser_keeps_header_fields() -> None:
    (piece,) = FrameParser().feed(b"\x72\x80" + RFC_MASK)  # rsv 7, binary, masked, empty, not final
    assert piece.header == Header(False, OP_BINARY, 0, RFC_MASK, 7)


# --- the message layer: a client reading server frames ----------------------------------------------------

CLIENT_CASES: list[tuple[str, bytes, list[Event]]] = [
    ("text", HELLO, [Message(OP_TEXT, b"Hello")]),
    ("fragmented text", HEL_LO, [Message(OP_TEXT, b"Hello")]),
    ("binary 256", b"\x82\x7e\x01\x00" + bytes(range(256)), [Message(OP_BINARY, bytes(range(256)))]),
    ("empty binary", b"\x82\x00", [Message(OP_BINARY, b"")]),
    ("empty fragments", b"\x02\x00\x00\x00\x80\x00", [Message(OP_BINARY, b"")]),
    ("ping", PING_HELLO, [Ping(b"Hello")]),
    ("pong", b"\x8a\x00", [Pong(b"")]),
    (
        "ping between fragments",
        HEL_LO[:5] + PING_HELLO + HEL_LO[5:],
        [Ping(b"Hello"), Message(OP_TEXT, b"Hello")],
    ),
    ("close with a code", b"\x88\x05\x03\xe8bye", [Close(1000, "bye")]),
    ("close without a code", b"\x88\x00", [Close(1005, "")]),
    ("nothing after close", b"\x88\x00" + HELLO + b"\xff\xff", [Close(1005, "")]),
    ("two messages", HELLO + b"\x82\x01\x07", [Message(OP_TEXT, b"Hello"), Message(OP_BINARY, b"\x07")]),
    ("invalid UTF-8 text kept as bytes", b"\x81\x01\xff", [Message(OP_TEXT, b"\xff")]),
]


@pytest.mark.parametrize(("name", "data", "expected"), CLIENT_CASES, ids=[c[0] for c in CLIENT_CASES])
def test_client_reader(name: str, data: bytes, expected: list[Event]) -> None:
    for pieces in splits(data):
        assert read_all(MessageReader(client=True), pieces) == expected, pieces


CLIENT_ERRORS: list[tuple[str, bytes, int]] = [
    ("masked server frame", HELLO_MASKED, 1002),
    ("reserved bit 1", b"\xc1\x00", 1002),
    ("reserved bit 3", b"\x91\x00", 1002),
    ("unknown data opcode", b"\x83\x00", 1002),
    ("unknown control opcode", b"\x8b\x00", 1002),
    ("control frame over 125 bytes", b"\x89\x7e\x00\x7e" + bytes(126), 1002),
    ("fragmented control frame", b"\x09\x00", 1002),
    ("continuation without a message", b"\x80\x00", 1002),
    ("new message inside a fragmented one", b"\x01\x01a\x81\x01b", 1002),
    ("length with the top bit set", b"\x82\x7f\x80" + bytes(7), 1002),
    ("close with one byte", b"\x88\x01\x03", 1002),
    ("close with a reserved code", b"\x88\x02\x03\xed", 1002),
    ("close reason not UTF-8", b"\x88\x03\x03\xe8\xff", 1007),
    ("message too big (one frame)", b"\x82\x7e\x00\x80" + bytes(128), 1009),
    ("message too big (fragments)", b"\x02\x40" + bytes(64) + b"\x80\x41" + bytes(65), 1009),
]


@pytest.mark.parametrize(("name", "data", "code"), CLIENT_ERRORS, ids=[c[0] for c in CLIENT_ERRORS])
def test_client_reader_refuses(name: str, data: bytes, code: int) -> None:
    for pieces in splits(data):
        reader = MessageReader(client=True, max_message=100)
        with pytest.raises(ProtocolError) as info:
            read_all(reader, pieces)
        assert info.value.code == code


# --- the message layer: a server reading client frames ----------------------------------------------------


def test_server_reader_unmasks_rfc_example() -> None:
    for pieces in splits(HELLO_MASKED + PONG_HELLO_MASKED):
        assert read_all(MessageReader(client=False), pieces) == [Message(OP_TEXT, b"Hello"), Pong(b"Hello")]


@pytest.mark.parametrize("data", [HELLO, PING_HELLO, b"\x88\x00"], ids=["text", "ping", "close"])
def test_server_reader_refuses_unmasked_client_frames(data: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        MessageReader(client=False).feed(data)
    assert info.value.code == 1002


def test_server_reader_round_trips_random_fragmentations() -> None:
    rng = random.Random(6455)
    for _ in range(50):
        payload = rng.randbytes(rng.randrange(0, 3000))
        fragment = rng.randrange(1, 700)
        data = encode_message(OP_BINARY, payload, client=True, fragment=fragment)
        data += encode_frame(OP_PING, b"p", mask=os.urandom(4))
        cut = rng.randrange(0, len(data) + 1)
        reader = MessageReader(client=False)
        events = reader.feed(data[:cut]) + reader.feed(data[cut:])
        assert normal(events) == [Message(OP_BINARY, payload), Ping(b"p")]


# --- streamed messages ------------------------------------------------------------------------------------


def bulk(opcode: int, first: bytes | memoryview) -> bool:
    """Stream binary messages whose first byte is 0 (like port-forward data for the first port)."""
    return opcode == OP_BINARY and first[0] == 0


STREAM_CASES: list[tuple[str, bytes, list[Event]]] = [
    ("streamed", b"\x82\x04\x00abc", [Chunk(OP_BINARY, b"\x00abc", True, True)]),
    ("not chosen", b"\x82\x04\x01abc", [Message(OP_BINARY, b"\x01abc")]),
    ("text never streamed", b"\x81\x02\x00a", [Message(OP_TEXT, b"\x00a")]),
    (
        "fragmented, streamed",
        b"\x02\x02\x00a" + b"\x00\x01b" + b"\x80\x01c",
        [Chunk(OP_BINARY, b"\x00abc", True, True)],
    ),
    (
        "empty first fragment: decided on the first bytes",
        b"\x02\x00" + b"\x00\x02\x00a" + b"\x80\x00",
        [Chunk(OP_BINARY, b"\x00a", True, True)],
    ),
    ("empty message: a Message", b"\x82\x00", [Message(OP_BINARY, b"")]),
    (
        "ping inside a streamed message",
        b"\x02\x02\x00a" + PING_HELLO + b"\x80\x01b",
        [Chunk(OP_BINARY, b"\x00a", True, False), Ping(b"Hello"), Chunk(OP_BINARY, b"b", False, True)],
    ),
    (
        "streamed then assembled",
        b"\x82\x02\x00a\x82\x02\x01b",
        [Chunk(OP_BINARY, b"\x00a", True, True), Message(OP_BINARY, b"\x01b")],
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), STREAM_CASES, ids=[c[0] for c in STREAM_CASES])
def test_streamed_messages(name: str, data: bytes, expected: list[Event]) -> None:
    for pieces in splits(data):
        got = merge_chunks(read_all(MessageReader(client=True, stream=bulk), pieces))
        assert got == expected, pieces


def test_streamed_chunks_are_views_of_the_fed_buffer() -> None:
    buf = bytearray(b"\x82\x7e\x10\x00\x00" + bytes(4095))
    (chunk,) = MessageReader(client=True, stream=bulk).feed(memoryview(buf))
    assert isinstance(chunk, Chunk) and isinstance(chunk.data, memoryview)
    assert chunk.data.obj is buf  # no copy of bulk data


def test_streamed_messages_are_not_bounded_by_max_message() -> None:
    data = b"\x82\x7e\x01\x00\x00" + bytes(255)
    got = merge_chunks(MessageReader(client=True, max_message=10, stream=bulk).feed(data))
    assert got == [Chunk(OP_BINARY, b"\x00" + bytes(255), True, True)]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 125, 126, 1023, 1024, 1025, 70_000])
def test_masking_matches_rfc6455_for_small_and_bulk_payloads(size: int) -> None:
    # small payloads are masked without websockets' C extension, bulk ones with it: both must be RFC 6455's XOR
    data = os.urandom(size)
    key = b"\x01\x80\xfe\x37"
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    for form in (data, bytearray(data), memoryview(data)):
        assert ws.apply_mask(form, key) == expected
