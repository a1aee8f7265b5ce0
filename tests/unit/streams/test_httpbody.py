"""HTTP/1.1 bodies read from a blocking socket (kpy logs POD's copy path): every framing gives back exactly the
bytes sent, and a body cut short is an error, never a silently short log."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from kpy.streams.httpbody import ReadFailed, copy_body, read_body


def _serve(data: bytes) -> socket.socket:
    """A socket whose peer sends ``data`` in small pieces and closes."""
    ours, theirs = socket.socketpair()

    def send() -> None:
        with theirs, contextlib.suppress(OSError):  # a reader that stops early closes its end
            for i in range(0, len(data), 7):
                theirs.sendall(data[i : i + 7])

    threading.Thread(target=send, daemon=True).start()
    return ours


def _chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def _copy(data: bytes, headers: dict[str, str], leftover: bytes = b"") -> bytes:
    out = bytearray()
    with _serve(data) as sock:
        copy_body(sock, headers, leftover, out.extend)
    return bytes(out)


def test_chunked_body_comes_back_whole() -> None:
    pieces = [b"line one\n", b"x" * 300_000, b"\r\n inside data \r\n", b"end\n"]
    wire = _chunked(*pieces)
    assert _copy(wire[5:], {"transfer-encoding": "chunked"}, leftover=wire[:5]) == b"".join(pieces)


def test_content_length_and_close_delimited_bodies() -> None:
    assert _copy(b"hello world", {"content-length": "5"}) == b"hello"
    assert _copy(b"until the end", {}) == b"until the end"


@pytest.mark.parametrize(
    ("wire", "headers"),
    [
        (_chunked(b"abcdef")[:-7], {"transfer-encoding": "chunked"}),  # no last chunk
        (b"zz\r\n", {"transfer-encoding": "chunked"}),  # not a size
        (b"abc", {"content-length": "10"}),
    ],
)
def test_a_body_cut_short_is_an_error(wire: bytes, headers: dict[str, str]) -> None:
    with pytest.raises(ReadFailed):
        _copy(wire, headers)


def test_read_body_stops_at_its_limit() -> None:
    with _serve(_chunked(b"a" * 100)) as sock:
        assert read_body(sock, {"transfer-encoding": "chunked"}, b"", limit=10) == b"a" * 10
