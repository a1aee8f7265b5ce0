"""The bulk path of a port-forward tunnel's receiving side: SPDY DATA payloads straight out of the read buffer.

A tunnel (``SPDY/3.1+portforward.k8s.io``) is two framings over one byte stream: WebSocket binary frames whose
payloads, joined, are SPDY frames. ``ByteStreamReader`` and ``spdy.Decoder`` take them one after the other,
which costs ~3 µs of Python per 32 KiB DATA frame (a kubelet's ``io.Copy`` writes 32 KiB at a time): ~0.1 s
of CPU per GiB, a fifth of what kpy spends on a GiB pod→local over TLS.

``take_data`` walks both framings at once, for what bulk data is made of only: unmasked binary frames
(fragmented or not) and DATA frames without flags, whatever their boundaries (an API server re-frames the
kubelet's stream as its reads go, so a DATA frame may span messages, and a header may be split between two).
It hands out the payload pieces as views of the buffer, grouped by stream in order, and the WebSocket pings
and pongs among them, and stops at anything else: an SPDY control frame, a FIN, a WebSocket close, a masked
or text frame, a frame header that the buffer ends in the middle of. Then it leaves both codecs exactly
where it stopped (their state is written back), and their own ``feed`` goes on from there with every check
it makes: what is not bulk data is never judged here.
"""

from __future__ import annotations

import struct

from kpy.streams import spdy
from kpy.streams.websocket import OP_PING, OP_PONG, ControlEvent, control_event
from kpy.streams.wsbytes import ByteStreamReader

_HEAD = struct.Struct("!II")

#: (stream id, the pieces of its data in order) for each run of DATA for one stream
Groups = list[tuple[int, list[bytes | memoryview]]]


def ready(ws: ByteStreamReader, decoder: spdy.Decoder) -> bool:
    """Whether ``take_data`` can start from the codecs' state: the client side of an open WebSocket with no
    control frame under way, and an SPDY decoder with at most a part of a frame header and no FIN to
    deliver."""
    return ws.client and not ws.closed and not ws._control and not decoder._data_fin and len(decoder._buf) < 8


def _frame_start(view: memoryview | bytes, i: int, end: int) -> tuple[int, int, int] | None:
    """The first byte, payload size and payload start of the unmasked WebSocket frame whose header is at
    ``view[i:end]``; None when the header is not all there, or is not one that ``take_data`` reads (masked,
    or a length with the top bit set)."""
    if end - i < 2:
        return None
    b1 = view[i + 1]
    if b1 < 126:
        return view[i], b1, i + 2
    if b1 == 126:
        return (view[i], (view[i + 2] << 8) | view[i + 3], i + 4) if end - i >= 4 else None
    if b1 == 127 and end - i >= 10:  # (b1 > 127, a masked frame, is for the codec to refuse)
        size = int.from_bytes(view[i + 2 : i + 10], "big")
        return (view[i], size, i + 10) if not size >> 63 else None
    return None


def take_data(
    ws: ByteStreamReader, decoder: spdy.Decoder, view: memoryview, i: int = 0
) -> tuple[int, Groups, list[ControlEvent]]:
    """Bulk data from ``view[i:]``: where it stopped, the DATA pieces before that grouped by stream, and the
    WebSocket pings and pongs among them (whole in ``view``: the caller answers them after the data, as it
    does the codec's). The caller checks ``ready`` first, and feeds ``view`` from the returned index on to
    ``ws`` (and what it hands out to ``decoder``) as usual."""
    end = len(view)
    groups: Groups = []
    events: list[ControlEvent] = []
    left = ws._left  # payload bytes of the current WebSocket frame still to come
    in_message = ws._in_message
    if ws._head:  # a frame header split between reads: complete it, if it is one read here
        split = bytes(ws._head)
        joined = split + view[i : i + 14 - len(split)]  # (a header is at most 14 bytes)
        frame = _frame_start(joined, 0, len(joined))
        if frame is None or frame[0] & 0x7F != (0 if in_message else 2):
            return i, groups, events
        in_message = not frame[0] & 0x80
        left = frame[1]
        i += frame[2] - len(split)
        ws._head.clear()
    stream = decoder._data_stream
    data_left = decoder._data_left
    head = bytes(decoder._buf)  # an SPDY frame header split between frames or reads
    unpack = _HEAD.unpack_from
    pieces: list[bytes | memoryview] = []
    current = -1
    while i < end:
        if not left:  # a WebSocket frame header
            frame = _frame_start(view, i, end)
            if frame is None:
                break
            b0, size, at = frame
            op = b0 & 0x7F  # the opcode and the reserved bits: 0 (continuation) or 2 (binary), nothing else
            if op != (0 if in_message else 2):
                if op not in (OP_PING, OP_PONG) or size > 125 or not b0 & 0x80 or at + size > end:
                    break
                events.append(control_event(op, bytes(view[at : at + size])))
                i = at + size
                continue
            in_message = not b0 & 0x80
            left, i = size, at
            continue
        if data_left:
            take = min(data_left, left, end - i)
            if stream != current:
                pieces = []
                groups.append((stream, pieces))
                current = stream
            pieces.append(view[i : i + take])
            i += take
            left -= take
            data_left -= take
            continue
        # an SPDY frame header
        if not head and left >= 8 and end - i >= 8:
            word0, word1 = unpack(view, i)
            if word0 >= 0x80000000 or not word0 or word1 >= 0x1000000:
                break  # a control frame, stream 0, or flags (FIN): the decoder's to read
            i += 8
            left -= 8
        else:
            take = min(8 - len(head), left, end - i)
            head += view[i : i + take]
            i += take
            left -= take
            if len(head) < 8:
                continue
            word0, word1 = unpack(head)
            if word0 >= 0x80000000 or not word0 or word1 >= 0x1000000:
                break  # ``head`` goes back to the decoder, which reads the frame from it
            head = b""
        stream, data_left = word0, word1
    ws._left = left
    ws._in_message = in_message
    decoder._data_stream = stream
    decoder._data_left = data_left
    decoder._buf[:] = head
    return i, groups, events
