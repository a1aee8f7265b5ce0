"""kpy.streams.spdy: SPDY/3.1 frames, bytes in -> exact frames out (no sockets).

Each frame's bytes are written out by hand from the frame layouts; every case is decoded whole, byte by byte
and in every two-piece split.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import pytest

from kpy.streams.spdy import (
    DICTIONARY,
    Data,
    Decoder,
    Encoder,
    Frame,
    GoAway,
    HeadersFrame,
    Ping,
    RstStream,
    Settings,
    SpdyError,
    SynReply,
    SynStream,
    WindowUpdate,
    data_header,
    decode_header_block,
    encode_header_block,
    header_value,
)


def splits(data: bytes) -> Iterator[list[bytes]]:
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]


def merged(frames: list[Frame]) -> list[Frame]:
    """DATA pieces of one frame as one frame (how they are cut depends on the reads)."""
    out: list[Frame] = []
    pending: Data | None = None
    for f in frames:
        if isinstance(f, Data):
            data = bytes(f.data)
            if pending is not None and pending.stream_id == f.stream_id and not pending.fin:
                pending = Data(f.stream_id, bytes(pending.data) + data, f.fin)
            else:
                if pending is not None:
                    out.append(pending)
                pending = Data(f.stream_id, data, f.fin)
            continue
        if pending is not None:
            out.append(pending)
            pending = None
        out.append(f)
    if pending is not None:
        out.append(pending)
    return out


def decode(pieces: list[bytes], decoder: Decoder | None = None) -> list[Frame]:
    decoder = decoder or Decoder()
    out: list[Frame] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out


def control(frame_type: int, flags: int, payload: bytes) -> bytes:
    return (
        bytes.fromhex("8003")
        + struct.pack("!H", frame_type)
        + bytes((flags,))
        + len(payload).to_bytes(3, "big")
        + payload
    )


def test_dictionary_is_spdy3s() -> None:
    assert len(DICTIONARY) == 1423
    assert DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")
    assert zlib.adler32(DICTIONARY) == 0xE3C6A7C2  # the dictionary id in every SPDY/3 zlib stream


@pytest.mark.parametrize(
    ("headers", "block"),
    [
        ([], b"\x00\x00\x00\x00"),
        ([("port", "80")], b"\x00\x00\x00\x01\x00\x00\x00\x04port\x00\x00\x00\x0280"),
        ([("StreamType", "data")], b"\x00\x00\x00\x01\x00\x00\x00\x0astreamtype\x00\x00\x00\x04data"),
        ([("a", "1"), ("a", "2")], b"\x00\x00\x00\x01\x00\x00\x00\x01a\x00\x00\x00\x031\x002"),
    ],
)
def test_header_blocks(headers: list[tuple[str, str]], block: bytes) -> None:
    assert encode_header_block(headers) == block
    assert decode_header_block(block) == [(n.lower(), v) for n, v in headers]


@pytest.mark.parametrize(
    "block",
    [
        b"",
        b"\x00\x00\x00\x01",  # a pair missing
        b"\x00\x00\x00\x01\x00\x00\x00\x04Port\x00\x00\x00\x0280",  # not lowercase
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0280",  # empty name
        b"\x00\x00\x00\x02" + 2 * b"\x00\x00\x00\x01a\x00\x00\x00\x011",  # duplicate name
        b"\x00\x00\x00\x01\x00\x00\x00\x01a\x00\x00\x00\x05abc",  # value runs past the end
        b"\x00\x00\x00\x00x",  # trailing bytes
        b"\x00\x00\x10\x00",  # too many headers
        b"\x00\x00\x00\x01\x00\x00\x00\x01\xff\x00\x00\x00\x00",  # not UTF-8
    ],
)
def test_bad_header_blocks(block: bytes) -> None:
    with pytest.raises(SpdyError):
        decode_header_block(block)


# frames without header blocks: exact bytes both ways
FIXED: list[tuple[str, Frame, bytes]] = [
    ("rst", RstStream(3, 5), control(3, 0, bytes.fromhex("0000000300000005"))),
    ("settings", Settings([(0, 7, 65536)]), control(4, 0, bytes.fromhex("000000010000000700010000"))),
    ("settings clear", Settings([], clear=True), control(4, 1, bytes.fromhex("00000000"))),
    ("ping", Ping(1), control(6, 0, bytes.fromhex("00000001"))),
    ("goaway", GoAway(5, 0), control(7, 0, bytes.fromhex("0000000500000000"))),
    ("window update", WindowUpdate(1, 65536), control(9, 0, bytes.fromhex("0000000100010000"))),
    ("data", Data(1, b"hi"), bytes.fromhex("0000000100000002") + b"hi"),
    ("data fin", Data(3, b"", True), bytes.fromhex("0000000301000000")),
    ("data 300", Data(0x7FFFFFFF, bytes(300), True), bytes.fromhex("7fffffff0100012c") + bytes(300)),
]


@pytest.mark.parametrize(("name", "frame", "wire"), FIXED, ids=[c[0] for c in FIXED])
def test_fixed_frames(name: str, frame: Frame, wire: bytes) -> None:
    assert Encoder().encode(frame) == wire
    for pieces in splits(wire) if len(wire) < 64 else [[wire], [wire[:5], wire[5:]]]:
        assert merged(decode(pieces)) == [frame]


def test_data_header() -> None:
    assert data_header(5, 70000, fin=True) == bytes.fromhex("0000000501011170")
    with pytest.raises(ValueError):
        data_header(1, 1 << 24)


def test_header_frames_round_trip_in_one_compression_context_per_direction() -> None:
    frames: list[Frame] = [
        SynStream(1, [("streamtype", "error"), ("port", "80"), ("requestid", "0")], fin=False, priority=0),
        SynReply(1, []),
        SynStream(3, [("streamtype", "data"), ("port", "80"), ("requestid", "0")]),
        HeadersFrame(3, [("x", "y")], fin=True),
        SynReply(5, [("a", "b")], fin=True),
        SynStream(7, [("p", "q")], unidirectional=True, associated=1, priority=7),
    ]
    encoder = Encoder()
    wire = b"".join(encoder.encode(f) for f in frames)
    for cut in range(1, len(wire), 3):
        assert decode([wire[:cut], wire[cut:]]) == frames
    assert decode([wire[i : i + 1] for i in range(len(wire))]) == frames


def test_syn_stream_layout() -> None:
    wire = Encoder().encode(SynStream(1, [("port", "80")], fin=True, priority=3))
    assert wire[:4] == bytes.fromhex("80030001") and wire[4] == 0x01
    assert struct.unpack("!I", b"\x00" + wire[5:8])[0] == len(wire) - 8
    assert wire[8:18] == bytes.fromhex("00000001000000006000")
    block = zlib.decompressobj(zdict=DICTIONARY).decompress(wire[18:])
    assert block == b"\x00\x00\x00\x01\x00\x00\x00\x04port\x00\x00\x00\x0280"


def test_a_second_decoder_cannot_read_the_second_block_alone() -> None:
    encoder = Encoder()
    encoder.encode(SynReply(1, [("port", "80")]))
    second = encoder.encode(SynReply(3, [("port", "80")]))  # refers back to the first block
    with pytest.raises(SpdyError):
        Decoder().feed(second)


def test_data_pieces_follow_the_reads() -> None:
    wire = data_header(1, 6, fin=True) + b"abcdef" + Encoder().encode(Ping(2))
    decoder = Decoder()
    assert decoder.feed(wire[:10]) == [Data(1, memoryview(b"ab"), False)]
    assert [(type(f), bytes(f.data) if isinstance(f, Data) else f) for f in decoder.feed(wire[10:])] == [
        (Data, b"cdef"),
        (Ping, Ping(2)),
    ]


def test_unknown_control_frames_are_ignored() -> None:
    wire = control(10, 0, b"\x00\x00\x00\x01") + Encoder().encode(Ping(3))
    for pieces in splits(wire):
        assert decode(pieces) == [Ping(3)]


BAD: list[tuple[str, bytes]] = [
    ("version 2", bytes.fromhex("800200060000000400000001")),
    ("data on stream 0", bytes.fromhex("0000000000000000")),
    ("data with unknown flags", bytes.fromhex("0000000102000000")),
    ("syn_stream for stream 0", control(1, 0, bytes(10))),
    ("syn_stream too short", control(1, 0, bytes(4))),
    ("syn_reply too short", control(2, 0, bytes(2))),
    ("rst_stream wrong size", control(3, 0, bytes(4))),
    ("rst_stream stream 0", control(3, 0, bytes(8))),
    ("ping id 0", control(6, 0, bytes(4))),
    ("ping with flags", control(6, 1, b"\x00\x00\x00\x01")),
    ("settings count mismatch", control(4, 0, b"\x00\x00\x00\x02" + bytes(8))),
    ("window update delta 0", control(9, 0, bytes.fromhex("0000000100000000"))),
    ("header block not zlib", control(2, 0, b"\x00\x00\x00\x01garbage")),
]


@pytest.mark.parametrize(("name", "wire"), BAD, ids=[c[0] for c in BAD])
def test_broken_peers(name: str, wire: bytes) -> None:
    with pytest.raises(SpdyError):
        decode([wire])


def test_header_value_is_case_insensitive() -> None:
    headers = [("streamtype", "data"), ("port", "80")]
    assert header_value(headers, "streamType") == "data"
    assert header_value(headers, "requestID") is None
