"""exec over SPDY when the server sends GOAWAY: the kubelet's normal end (status OK) is not a failure, but a
GOAWAY with an error status before the command's outcome arrived must not read as success (exit 0)."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from kpy.exec import protocol as p
from kpy.exec.session import ExecRequest, StreamLost
from kpy.exec.spdy import SpdyExecSession
from kpy.streams import spdy
from kpy.streams.dial import DialedUpgrade

FAILURE = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "reason": "NonZeroExitCode",
    "message": "command terminated with non-zero exit code: exit status 7",
    "details": {"causes": [{"reason": "ExitCode", "message": "7"}]},
}


def fake_kubelet(sock: socket.socket, status: int, error_body: bytes | None) -> None:
    """Read the client's streams, write some stdout, optionally the error Status, then GOAWAY and close."""
    decoder, encoder = spdy.Decoder(), spdy.Encoder()
    streams: dict[str, int] = {}
    while "stdout" not in streams or "error" not in streams:
        data = sock.recv(65536)
        assert data, "the client closed before opening its streams"
        for frame in decoder.feed(data):
            if isinstance(frame, spdy.SynStream):
                kind = spdy.header_value(frame.headers, "streamtype") or ""
                streams[kind] = frame.stream_id
                sock.sendall(encoder.encode(spdy.SynReply(frame.stream_id, [])))
    out = b"partial\n"
    sock.sendall(spdy.data_header(streams["stdout"], len(out)) + out)
    if error_body is not None:
        sock.sendall(spdy.data_header(streams["error"], len(error_body), fin=True) + error_body)
    sock.sendall(encoder.encode(spdy.GoAway(0, status)))
    sock.close()


def run(status: int, error_body: bytes | None) -> tuple[p.ExitResult | StreamLost, bytes]:
    ours, theirs = socket.socketpair()
    server = threading.Thread(target=fake_kubelet, args=(theirs, status, error_body), daemon=True)
    server.start()
    out = bytearray()
    session = SpdyExecSession(
        DialedUpgrade(ours, {}, b""),
        ExecRequest("default", "web", "", ["sh"]),
        stdin=None,
        stdout=out.extend,
        stderr=out.extend,
    )
    try:
        result: p.ExitResult | StreamLost = session.run()
    except StreamLost as exc:
        result = exc
    server.join(10)
    return result, bytes(out)


@pytest.mark.parametrize(
    ("status", "words"),
    [(spdy.GOAWAY_INTERNAL_ERROR, "internal error"), (spdy.GOAWAY_PROTOCOL_ERROR, "protocol error")],
)
def test_an_error_goaway_before_the_outcome_is_a_lost_stream(status: int, words: str) -> None:
    result, out = run(status, None)
    assert out == b"partial\n"
    assert isinstance(result, StreamLost)
    assert str(result) == f"the server ended the connection (GOAWAY: {words}) before the command ended"


def test_the_kubelets_normal_goaway_after_an_empty_error_stream_is_success() -> None:
    assert run(spdy.GOAWAY_OK, b"") == (p.ExitResult(0), b"partial\n")


def test_an_outcome_that_arrived_before_an_error_goaway_is_kept() -> None:
    result, _ = run(spdy.GOAWAY_INTERNAL_ERROR, json.dumps(FAILURE).encode())
    assert isinstance(result, p.ExitResult) and result.code == 7


def test_goaway_text() -> None:
    assert spdy.goaway_text(spdy.GOAWAY_OK) == ""
    assert spdy.goaway_text(9) == "status 9"
