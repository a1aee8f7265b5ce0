"""kpy.streams.tunneldata: the tunnel's bulk path gives exactly what the two codecs give one after the other.

Differential: random SPDY frame sequences (DATA on several streams, FIN, empty frames, control frames),
wrapped in WebSocket binary frames at random boundaries (as an API server re-frames the kubelet's stream:
DATA frames across messages, headers split between them, fragmented messages, pings in between), read in
random pieces. Read once by the codecs alone and once with ``take_data`` first at every read (as
``kpy.portforward.multiplex`` does): the same data per stream, FINs, control frames, WebSocket events and
errors, in the same order. And the bulk path must carry the bulk: a DATA-only stream leaves nothing to the codecs.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from kpy.streams import spdy, tunneldata
from kpy.streams.websocket import (
    OP_BINARY,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    ControlEvent,
    ProtocolError,
    encode_frame,
)
from kpy.streams.wsbytes import ByteStreamReader

Item = tuple[Any, ...]


def _merge(items: list[Item], item: Item) -> None:
    """Consecutive data of one stream as one item (how the pieces are cut is not the output)."""
    if item[0] == "data" and items and items[-1][0] == "data" and items[-1][1] == item[1]:
        items[-1] = ("data", item[1], items[-1][2] + item[2])
    elif item[0] != "data" or item[2]:
        items.append(item)


def _frames_items(items: list[Item], frames: list[spdy.Frame]) -> None:
    for frame in frames:
        if isinstance(frame, spdy.Data):
            _merge(items, ("data", frame.stream_id, bytes(frame.data)))
            if frame.fin:
                items.append(("fin", frame.stream_id))
        else:
            items.append(("frame", repr(frame)))


def read(pieces: list[bytes], *, fast: bool) -> tuple[list[Item], int]:
    """What a reader makes of ``pieces``: items in order (an error ends them), and how many bytes of DATA
    payload the codecs' own ``feed`` handed out (the rest came through ``take_data``)."""
    ws, decoder = ByteStreamReader(client=True), spdy.Decoder()
    items: list[Item] = []
    slow = 0
    try:
        for piece in pieces:
            view = memoryview(piece)
            pings: list[ControlEvent] = []
            if fast and tunneldata.ready(ws, decoder):
                taken, groups, pings = tunneldata.take_data(ws, decoder, view)
                for stream_id, parts in groups:
                    _merge(items, ("data", stream_id, b"".join(bytes(p) for p in parts)))
                view = view[taken:]
            payload, events = ws.feed(view)
            for part in payload:
                frames = decoder.feed(part)
                slow += sum(len(f.data) for f in frames if isinstance(f, spdy.Data))
                _frames_items(items, frames)
            # control frames after the read's data, as ``multiplex`` answers them
            items += [("event", repr(e)) for e in [*pings, *events]]
    except (ProtocolError, spdy.SpdyError) as exc:
        items.append(("error", type(exc).__name__, str(exc)))
    return items, slow


def spdy_stream(rng: random.Random, frames: int, *, controls: bool) -> bytes:
    encoder = spdy.Encoder()
    out = bytearray()
    for _ in range(frames):
        roll = rng.random()
        if controls and roll < 0.1:
            out += encoder.encode(spdy.Ping(rng.randrange(1, 1000)))
        elif controls and roll < 0.15:
            out += encoder.encode(spdy.RstStream(rng.choice([1, 3, 5]), spdy.CANCEL))
        elif controls and roll < 0.2:
            out += encoder.encode(spdy.SynReply(rng.choice([1, 3, 5]), [("status", "ok")]))
        else:
            size = rng.choice([0, 1, 7, 8, 9, 100, 4096, 32768, rng.randrange(1, 70000)])
            fin = controls and rng.random() < 0.1
            out += spdy.data_header(rng.choice([1, 3, 5]), size, fin=fin) + os.urandom(size)
    return bytes(out)


def ws_wrap(rng: random.Random, stream: bytes, *, pings: bool, aligned: bool = False) -> bytes:
    """``stream`` in binary WebSocket frames cut at random (or one frame per SPDY frame: ``aligned``)."""
    out = bytearray()
    i = 0
    cuts: list[int] = []
    if aligned:
        while i < len(stream):
            size = 8 + (int.from_bytes(stream[i + 4 : i + 8], "big") & 0xFFFFFF)
            cuts.append(size)
            i += size
    else:
        while i < len(stream):
            size = rng.choice([1, 3, 8, 125, 126, 1000, 32768, 65535, 65536, 100000])
            cuts.append(min(size, len(stream) - i))
            i += cuts[-1]
    i = 0
    for size in cuts:
        body = stream[i : i + size]
        i += size
        if pings and rng.random() < 0.1:
            out += encode_frame(OP_PING, b"p", mask=None)
        if not aligned and len(body) > 2 and rng.random() < 0.2:  # a fragmented message
            a, b = sorted(rng.sample(range(1, len(body)), 2))
            out += encode_frame(OP_BINARY, body[:a], fin=False, mask=None)
            out += encode_frame(OP_CONT, body[a:b], fin=False, mask=None)
            out += encode_frame(OP_CONT, body[b:], mask=None)
        else:
            out += encode_frame(OP_BINARY, body, mask=None)
    return bytes(out)


def cut(rng: random.Random, data: bytes) -> list[bytes]:
    pieces = []
    i = 0
    while i < len(data):
        size = rng.choice([1, 2, 5, 9, 100, 16384, 100000, 1 << 20])
        pieces.append(data[i : i + size])
        i += size
    return pieces


@pytest.mark.parametrize("seed", range(60))
def test_same_output_as_the_codecs_alone(seed: int) -> None:
    rng = random.Random(seed)
    controls = seed % 3 != 0
    wire = ws_wrap(rng, spdy_stream(rng, rng.randrange(1, 40), controls=controls), pings=seed % 2 == 0)
    pieces = cut(rng, wire)
    want, _ = read(pieces, fast=False)
    got, _ = read(pieces, fast=True)
    assert got == want
    assert not any(item[0] == "error" for item in want)


def test_aligned_frames_are_all_bulk() -> None:
    """The emulator's shape (a kubelet's 32 KiB writes, one message each): nothing is left to the codecs."""
    rng = random.Random(1)
    stream = b"".join(spdy.data_header(3, 32768) + os.urandom(32768) for _ in range(64))
    wire = ws_wrap(rng, stream, pings=False, aligned=True)
    pieces = cut(rng, wire)
    got, slow = read(pieces, fast=True)
    assert got == [("data", 3, b"".join(stream[i + 8 : i + 8 + 32768] for i in range(0, len(stream), 32776)))]
    assert slow == 0
    assert read(pieces, fast=False) == (got, 2 * 1024 * 1024)


def test_reframed_stream_is_bulk_between_control_frames() -> None:
    """An API server's re-framing (DATA across messages, headers split between messages and between reads,
    fragmented messages, pings in between) is all bulk: the codecs see none of the data."""
    rng = random.Random(7)
    stream = spdy_stream(rng, 200, controls=False)
    wire = ws_wrap(rng, stream, pings=True)
    pieces = [wire[i : i + (1 << 20)] for i in range(0, len(wire), 1 << 20)]
    want, total = read(pieces, fast=False)
    got, slow = read(pieces, fast=True)
    assert got == want
    assert any(item[0] == "event" for item in got)
    assert slow == 0, (slow, total)


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("masked frame", encode_frame(OP_BINARY, spdy.data_header(1, 2) + b"hi", mask=b"abcd")),
        ("text frame", encode_frame(OP_TEXT, b"x", mask=None)),
        ("reserved bit", b"\xc2\x01x"),
        ("continuation outside a message", encode_frame(OP_CONT, b"xyz", mask=None)),
        ("DATA on stream 0", encode_frame(OP_BINARY, spdy.data_header(0, 1) + b"x", mask=None)),
        (
            "DATA flag other than FIN",
            encode_frame(OP_BINARY, b"\x00\x00\x00\x01\x02\x00\x00\x01x", mask=None),
        ),
        ("bad SPDY version", encode_frame(OP_BINARY, b"\x80\x02\x00\x06\x00\x00\x00\x04abcd", mask=None)),
    ],
)
def test_violations_are_the_codecs_to_refuse(name: str, wire: bytes) -> None:
    ok = encode_frame(OP_BINARY, spdy.data_header(5, 3) + b"abc", mask=None)
    pieces = [ok + wire + ok]
    got, _ = read(pieces, fast=True)
    # the same error; the data before it is delivered (the codecs alone lose the read it came in)
    assert got == [("data", 5, b"abc"), read(pieces, fast=False)[0][-1]]
    assert got[-1][0] == "error", name


def test_a_header_cut_by_the_read_is_completed() -> None:
    """A WebSocket header split between reads (the codec keeps its first part) and an SPDY header split
    between reads: both are completed from the next read, and the data stays bulk."""
    body = spdy.data_header(1, 300) + bytes(300)
    frame = encode_frame(OP_BINARY, body, mask=None)
    for cut_at in (1, 3, 4 + 5):  # in the WebSocket header (2 and 4 bytes), in the SPDY one
        pieces = [frame + frame[:cut_at], frame[cut_at:] + frame]
        got, slow = read(pieces, fast=True)
        assert got == [("data", 1, bytes(900))]
        assert slow == 0, cut_at
