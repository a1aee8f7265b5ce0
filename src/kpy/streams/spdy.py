"""SPDY/3.1 framing as a sans-I/O codec: what kubectl's port-forward speaks (alone after an HTTP upgrade to
``SPDY/3.1``, or tunnelled in WebSocket binary messages as ``SPDY/3.1+portforward.k8s.io``).

Frames (draft-mbelshe-httpbis-spdy-00 with SPDY/3.1's changes): a control frame is ``1 | version(15) |
type(16) | flags(8) | length(24) | payload``; a data frame is ``0 | stream-id(31) | flags(8) | length(24) |
data``. Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are ``count(32)`` then ``len(32) name len(32) value``
pairs (several values of one name joined by NUL), lowercase names, zlib-compressed with the SPDY/3 dictionary
in *one* compression context per direction for the whole connection (each block ends with a sync flush), so the
``Encoder`` and ``Decoder`` of a connection must see every header block in order.

What Kubernetes does with it (moby/spdystream under apimachinery's httpstream/spdy): the client opens streams
with SYN_STREAM and waits for SYN_REPLY before sending data (data for a stream not yet replied to is dropped);
a side ends its half with FLAG_FIN (an empty DATA frame); RST_STREAM ends both; PING ids are echoed by the side
that did not send them (odd ids: the client's); GOAWAY ends the connection. SETTINGS and WINDOW_UPDATE are read
and ignored: spdystream does no flow control, so neither does kpy (TCP's window is the back-pressure).

``Decoder.feed(bytes)`` returns frames; DATA comes as ``Data`` pieces in the sizes it arrives in (``fin`` on
the last piece of a frame that carries the flag), so a large frame is never held whole. ``Encoder`` builds
frames; ``data_header`` is the 8 bytes in front of a payload sent without copying it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02
FLAG_SETTINGS_CLEAR = 0x01

#: RST_STREAM status codes
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, UNSUPPORTED_VERSION, CANCEL = 1, 2, 3, 4, 5
INTERNAL_ERROR, FLOW_CONTROL_ERROR, STREAM_IN_USE, STREAM_ALREADY_CLOSED = 6, 7, 8, 9
#: GOAWAY status codes
GOAWAY_OK, GOAWAY_PROTOCOL_ERROR, GOAWAY_INTERNAL_ERROR = 0, 1, 2
_GOAWAY_TEXT = {GOAWAY_PROTOCOL_ERROR: "protocol error", GOAWAY_INTERNAL_ERROR: "internal error"}


def goaway_text(status: int) -> str:
    """What a GOAWAY's status says, for a message: "" for OK (the peer just ends the connection)."""
    return "" if status == GOAWAY_OK else _GOAWAY_TEXT.get(status, f"status {status}")


#: largest payload of a frame (24-bit length)
MAX_LENGTH = (1 << 24) - 1
#: most header pairs and bytes per name/value accepted (spdystream's defaults)
MAX_HEADERS = 1000
MAX_FIELD = 1 << 20

# The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): length-prefixed words,
# then a run of status codes, reason phrases, dates and common values.
_WORDS = [
    *[
        "options",
        "head",
        "post",
        "put",
        "delete",
        "trace",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "age",
        "allow",
        "authorization",
        "cache-control",
        "connection",
        "content-base",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expect",
        "expires",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "pragma",
        "proxy-authenticate",
        "proxy-authorization",
        "range",
        "referer",
        "retry-after",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "method",
        "get",
        "status",
    ],
    "200 OK",
    *["version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin"],
]
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(struct.pack("!I", len(w)) + w.encode("ascii") for w in _WORDS) + _TAIL.encode("ascii")

Headers = list[tuple[str, str]]


class SpdyError(Exception):
    """The peer broke SPDY/3.1 (the connection cannot go on): answer GOAWAY with ``GOAWAY_PROTOCOL_ERROR``."""


@dataclass(frozen=True, slots=True)
class SynStream:
    stream_id: int
    headers: Headers
    fin: bool = False
    unidirectional: bool = False
    associated: int = 0
    priority: int = 0


@dataclass(frozen=True, slots=True)
class SynReply:
    stream_id: int
    headers: Headers = field(default_factory=list)
    fin: bool = False


@dataclass(frozen=True, slots=True)
class RstStream:
    stream_id: int
    status: int


@dataclass(frozen=True, slots=True)
class Settings:
    entries: list[tuple[int, int, int]]  # (flags, id, value)
    clear: bool = False


@dataclass(frozen=True, slots=True)
class Ping:
    id: int


@dataclass(frozen=True, slots=True)
class GoAway:
    last_good: int
    status: int = GOAWAY_OK


@dataclass(frozen=True, slots=True)
class HeadersFrame:
    stream_id: int
    headers: Headers
    fin: bool = False


@dataclass(frozen=True, slots=True)
class WindowUpdate:
    stream_id: int
    delta: int


@dataclass(frozen=True, slots=True)
class Data:
    """A DATA frame, or a piece of one (``fin`` only on the last piece of a frame with FLAG_FIN)."""

    stream_id: int
    data: bytes | memoryview
    fin: bool = False


Frame = SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate | Data


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of ``name`` (case-insensitive), or None."""
    name = name.lower()
    return next((v for n, v in headers if n == name), None)


def encode_header_block(headers: Headers) -> bytes:
    """The uncompressed block: names lowercased; repeated names joined with NUL, in first-seen order."""
    merged: dict[str, list[str]] = {}
    for name, value in headers:
        merged.setdefault(name.lower(), []).append(value)
    out = [struct.pack("!I", len(merged))]
    for name, values in merged.items():
        raw_name, raw_value = name.encode("utf-8"), "\0".join(values).encode("utf-8")
        out += [struct.pack("!I", len(raw_name)), raw_name, struct.pack("!I", len(raw_value)), raw_value]
    return b"".join(out)


def decode_header_block(block: bytes) -> Headers:
    """Pairs from an uncompressed block (a NUL-joined value gives one pair per value). Raises ``SpdyError``."""
    try:
        (count,) = struct.unpack_from("!I", block)
        if count > MAX_HEADERS:
            raise SpdyError(f"too many headers ({count})")
        at = 4
        out: Headers = []
        seen: set[str] = set()
        for _ in range(count):
            (size,) = struct.unpack_from("!I", block, at)
            if size > MAX_FIELD or at + 4 + size > len(block):
                raise SpdyError("invalid header block")
            name = block[at + 4 : at + 4 + size].decode("utf-8")
            at += 4 + size
            (size,) = struct.unpack_from("!I", block, at)
            if size > MAX_FIELD or at + 4 + size > len(block):
                raise SpdyError("invalid header block")
            value = block[at + 4 : at + 4 + size].decode("utf-8")
            at += 4 + size
            if not name or name != name.lower():
                raise SpdyError(f"invalid header name {name!r}")
            if name in seen:
                raise SpdyError(f"duplicate header {name!r}")
            seen.add(name)
            out += [(name, v) for v in value.split("\0")]
    except (struct.error, UnicodeDecodeError):
        raise SpdyError("invalid header block") from None
    if at != len(block):
        raise SpdyError("invalid header block (trailing bytes)")
    return out


def _control(frame_type: int, flags: int, payload: bytes) -> bytes:
    if len(payload) > MAX_LENGTH:
        raise ValueError("frame too large")
    return struct.pack("!HHI", 0x8000 | VERSION, frame_type, (flags << 24) | len(payload)) + payload


_HEAD = struct.Struct("!II")


def data_header(stream_id: int, size: int, *, fin: bool = False) -> bytes:
    """The 8-byte header of a DATA frame with ``size`` bytes."""
    if size > MAX_LENGTH:
        raise ValueError("frame too large")
    return struct.pack("!II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | size)


class Encoder:
    """Frames one side sends. Header blocks share one zlib context: encode them in the order they are sent."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(zdict=DICTIONARY)

    def _block(self, headers: Headers) -> bytes:
        raw = encode_header_block(headers)
        return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)

    def encode(self, frame: Frame) -> bytes:
        if isinstance(frame, Data):
            return data_header(frame.stream_id, len(frame.data), fin=frame.fin) + bytes(frame.data)
        if isinstance(frame, SynStream):
            flags = (FLAG_FIN if frame.fin else 0) | (FLAG_UNIDIRECTIONAL if frame.unidirectional else 0)
            head = struct.pack("!IIBB", frame.stream_id, frame.associated, (frame.priority & 7) << 5, 0)
            return _control(SYN_STREAM, flags, head + self._block(frame.headers))
        if isinstance(frame, SynReply):
            head = struct.pack("!I", frame.stream_id)
            return _control(SYN_REPLY, FLAG_FIN if frame.fin else 0, head + self._block(frame.headers))
        if isinstance(frame, HeadersFrame):
            head = struct.pack("!I", frame.stream_id)
            return _control(HEADERS, FLAG_FIN if frame.fin else 0, head + self._block(frame.headers))
        if isinstance(frame, RstStream):
            return _control(RST_STREAM, 0, struct.pack("!II", frame.stream_id, frame.status))
        if isinstance(frame, Settings):
            body = struct.pack("!I", len(frame.entries)) + b"".join(
                struct.pack("!II", (flags << 24) | ident, value) for flags, ident, value in frame.entries
            )
            return _control(SETTINGS, FLAG_SETTINGS_CLEAR if frame.clear else 0, body)
        if isinstance(frame, Ping):
            return _control(PING, 0, struct.pack("!I", frame.id))
        if isinstance(frame, GoAway):
            return _control(GOAWAY, 0, struct.pack("!II", frame.last_good, frame.status))
        if isinstance(frame, WindowUpdate):
            return _control(WINDOW_UPDATE, 0, struct.pack("!II", frame.stream_id, frame.delta))
        raise TypeError(f"not a SPDY frame: {frame!r}")


class Decoder:
    """Frames one side receives, from bytes split anyhow. Raises ``SpdyError`` for a broken peer."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(zdict=DICTIONARY)
        self._buf = bytearray()  # an incomplete frame header or control frame
        self._data_stream = 0  # the DATA frame whose payload is arriving
        self._data_left = 0
        self._data_fin = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        view = memoryview(data)
        out: list[Frame] = []
        i, end = 0, len(view)
        while True:
            if self._data_left:
                if i >= end:
                    return out
                take = min(self._data_left, end - i)
                self._data_left -= take
                last = self._data_left == 0
                out.append(Data(self._data_stream, view[i : i + take], self._data_fin and last))
                i += take
                continue
            buf = self._buf
            if not buf and end - i >= 8:  # a whole header here: DATA without the copy into ``buf``
                word0, word1 = _HEAD.unpack_from(view, i)
                if not word0 & 0x80000000 and word0 and not word1 >> 24 & ~FLAG_FIN:
                    i += 8
                    self._data_stream, self._data_left = word0, word1 & 0xFFFFFF
                    self._data_fin = bool(word1 >> 24)
                    if not self._data_left:
                        out.append(Data(word0, b"", self._data_fin))
                    continue
            if len(buf) < 8:
                take = min(8 - len(buf), end - i)
                buf += view[i : i + take]
                i += take
                if len(buf) < 8:
                    return out
            word0, word1 = struct.unpack_from("!II", buf)
            flags, length = word1 >> 24, word1 & 0xFFFFFF
            if not word0 & 0x80000000:  # a DATA frame
                buf.clear()
                stream_id = word0 & 0x7FFFFFFF
                if stream_id == 0:
                    raise SpdyError("DATA frame on stream 0")
                if flags & ~FLAG_FIN:
                    raise SpdyError(f"invalid DATA flags {flags:#x}")
                self._data_stream, self._data_left, self._data_fin = stream_id, length, bool(flags & FLAG_FIN)
                if length == 0:
                    out.append(Data(stream_id, b"", self._data_fin))
                continue
            version, frame_type = (word0 >> 16) & 0x7FFF, word0 & 0xFFFF
            if version != VERSION:
                raise SpdyError(f"unsupported SPDY version {version}")
            need = 8 + length - len(buf)
            take = min(need, end - i)
            buf += view[i : i + take]
            i += take
            if take < need:
                return out
            payload = bytes(buf[8:])
            buf.clear()
            frame = self._control(frame_type, flags, payload)
            if frame is not None:
                out.append(frame)

    def _block(self, compressed: bytes) -> Headers:
        try:
            raw = self._zlib.decompress(compressed)
        except zlib.error as exc:
            raise SpdyError(f"invalid compressed header block: {exc}") from None
        return decode_header_block(raw)

    def _control(self, frame_type: int, flags: int, payload: bytes) -> Frame | None:
        size = len(payload)

        def ids(n: int) -> tuple[int, ...]:
            if size != 4 * n:
                raise SpdyError(f"invalid control frame (type {frame_type}, {size} bytes)")
            return struct.unpack(f"!{n}I", payload)

        if frame_type == SYN_STREAM:
            if size < 10:
                raise SpdyError("SYN_STREAM too short")
            stream_id, associated, priority = struct.unpack_from("!IIB", payload)
            stream_id &= 0x7FFFFFFF
            if stream_id == 0:
                raise SpdyError("SYN_STREAM for stream 0")
            return SynStream(
                stream_id,
                self._block(payload[10:]),
                bool(flags & FLAG_FIN),
                bool(flags & FLAG_UNIDIRECTIONAL),
                associated & 0x7FFFFFFF,
                priority >> 5,
            )
        if frame_type in (SYN_REPLY, HEADERS):
            if size < 4:
                raise SpdyError("control frame too short")
            stream_id = struct.unpack_from("!I", payload)[0] & 0x7FFFFFFF
            if stream_id == 0:
                raise SpdyError("header frame for stream 0")
            headers = self._block(payload[4:])
            if frame_type == SYN_REPLY:
                return SynReply(stream_id, headers, bool(flags & FLAG_FIN))
            return HeadersFrame(stream_id, headers, bool(flags & FLAG_FIN))
        if frame_type == RST_STREAM:
            stream_id, status = ids(2)
            if stream_id & 0x7FFFFFFF == 0 or flags:
                raise SpdyError("invalid RST_STREAM")
            return RstStream(stream_id & 0x7FFFFFFF, status)
        if frame_type == SETTINGS:
            if size < 4:
                raise SpdyError("SETTINGS too short")
            (count,) = struct.unpack_from("!I", payload)
            if size != 4 + 8 * count:
                raise SpdyError("invalid SETTINGS")
            entries = []
            for k in range(count):
                word, value = struct.unpack_from("!II", payload, 4 + 8 * k)
                entries.append((word >> 24, word & 0xFFFFFF, value))
            return Settings(entries, bool(flags & FLAG_SETTINGS_CLEAR))
        if frame_type == PING:
            (ping_id,) = ids(1)
            if ping_id == 0 or flags:
                raise SpdyError("invalid PING")
            return Ping(ping_id)
        if frame_type == GOAWAY:
            last_good, status = ids(2)
            return GoAway(last_good & 0x7FFFFFFF, status)
        if frame_type == WINDOW_UPDATE:
            stream_id, delta = ids(2)
            if delta & 0x7FFFFFFF == 0:
                raise SpdyError("invalid WINDOW_UPDATE")
            return WindowUpdate(stream_id & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        return None  # an unknown control frame type is ignored (SPDY/3 2.2.1)
