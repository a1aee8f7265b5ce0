"""The remote-command channel protocol: framing, close signal, resize, Status → exit code, v4/v5 differences.

The Status bodies are the ones the real API server (v1.36) sent to a WebSocket client (see the module
docstring of kpy.testing.exec)."""

from __future__ import annotations

import json

import pytest

from kpy.exec import protocol as p

REAL_V5_EXIT_3 = (
    b'{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command '
    b'terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode",'
    b'"message":"3"}]}}'
)
REAL_V4_EXIT_3 = (
    b'{"status":"Failure","message":"command terminated with non-zero exit code: exit status 3",'
    b'"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'
)
REAL_V5_NOT_FOUND = (
    b'{"metadata":{},"status":"Failure","message":"Internal error occurred: Internal error occurred: error '
    b'executing command in container: exec: \\"nonexist-cmd\\": executable file not found in $PATH","reason":'
    b'"InternalError","details":{"causes":[{"message":"Internal error occurred: error executing command in '
    b'container: exec: \\"nonexist-cmd\\": executable file not found in $PATH"}]},"code":500}'
)
REAL_V4_NOT_FOUND = (
    b'{"status":"Failure","message":"Internal error occurred: error executing command in container: exec: '
    b'\\"nonexist-cmd\\": executable file not found in $PATH","reason":"InternalError","code":500}'
)


def test_messages() -> None:
    assert p.data_message(p.STDIN, b"abc") == b"\x00abc"
    assert p.data_message(p.STDIN, memoryview(b"\xff\x00")) == b"\x00\xff\x00"
    assert p.close_message() == b"\xff\x00"
    assert p.resize_message(80, 24) == b'\x04{"Width":80,"Height":24}'


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        ([p.V5, p.V4], p.V5),
        ([p.V4, p.V5], p.V5),  # the server's preference wins (seen on the real API server)
        ([p.V4], p.V4),
        (["v4.base64.channel.k8s.io"], None),
        ([], None),
        ([p.V1], p.V1),
    ],
)
def test_choose(offered: list[str], chosen: str | None) -> None:
    assert p.choose_subprotocol(offered) == chosen


def test_client_output_and_opening_message() -> None:
    c = p.ClientChannels(p.V5)
    assert c.receive(b"\x01") is None  # the server's opening empty message
    assert c.receive(b"") is None
    assert c.receive(b"\x01out\n") == p.Output(p.STDOUT, b"out\n")
    assert c.receive(b"\x02\xff\xfe") == p.Output(p.STDERR, b"\xff\xfe")  # bytes, never decoded
    assert not c.status_received
    assert c.result() == p.ExitResult(0)


def test_client_status_may_arrive_in_pieces() -> None:
    c = p.ClientChannels(p.V5)
    assert c.receive(b"\x03" + REAL_V5_EXIT_3[:10]) is None
    assert c.receive(b"\x03" + REAL_V5_EXIT_3[10:]) is None
    assert c.status_received
    assert c.result() == p.ExitResult(3)
    assert c.result().exited


def test_client_violation_is_an_event_not_an_exception() -> None:
    c = p.ClientChannels(p.V5)
    event = c.receive(b"\x07zz")
    assert isinstance(event, p.ProtocolViolation)
    assert "channel 7" in event.message


def test_close_signal_only_on_v5() -> None:
    assert p.ClientChannels(p.V5).can_close_stdin
    assert not p.ClientChannels(p.V4).can_close_stdin
    assert p.ClientChannels(p.V5).receive(b"\xff\x01") is None
    assert isinstance(p.ClientChannels(p.V4).receive(b"\xff\x01"), p.ProtocolViolation)


@pytest.mark.parametrize(
    ("raw", "result"),
    [
        (b'{"metadata":{},"status":"Success"}', p.ExitResult(0)),
        (b'{"status":"Success"}', p.ExitResult(0)),
        (REAL_V5_EXIT_3, p.ExitResult(3)),
        (REAL_V4_EXIT_3, p.ExitResult(3)),
        (REAL_V5_EXIT_3.replace(b'"message":"3"', b'"message":"137"'), p.ExitResult(137)),
        (
            REAL_V5_NOT_FOUND,
            p.ExitResult(
                1,
                "Internal error occurred: Internal error occurred: error executing command in container: exec: "
                '"nonexist-cmd": executable file not found in $PATH',
            ),
        ),
        (
            b'{"status":"Failure","reason":"NonZeroExitCode"}',
            p.ExitResult(1, "error stream protocol error: details must be set"),
        ),
        (
            b'{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[]}}',
            p.ExitResult(1, "error stream protocol error: no ExitCode cause given"),
        ),
        (
            b'{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode",'
            b'"message":"300"}]}}',
            p.ExitResult(1, 'error stream protocol error: invalid exit code value "300"'),
        ),
        (b'{"status":"Weird"}', p.ExitResult(1, "error stream protocol error: unknown error")),
        (b"[]", p.ExitResult(1, "error stream protocol error: unknown error")),
    ],
)
def test_decode_status(raw: bytes, result: p.ExitResult) -> None:
    assert p.decode_status(raw) == result


def test_decode_garbage_names_the_bytes() -> None:
    result = p.decode_status(b"not json")
    assert result.code == 1 and result.message is not None
    assert result.message.startswith("error stream protocol error:") and "'not json'" in result.message


def test_server_events() -> None:
    s = p.ServerChannels(p.V5)
    assert s.receive(b"\x00abc") == p.Stdin(b"abc")
    assert s.receive(b"\x00") is None
    assert s.receive(p.resize_message(120, 40)) == p.Resize(120, 40)
    assert isinstance(s.receive(b"\x04{bad"), p.ProtocolViolation)
    assert s.receive(b"\xff\x00") == p.StdinClosed()
    assert s.receive(b"\xff\x00") is None  # twice is once
    assert s.receive(b"\x00late") is None  # data after the close is dropped
    assert isinstance(s.receive(b"\xff\x00\x00"), p.ProtocolViolation)


def test_server_v4_has_no_close_signal() -> None:
    s = p.ServerChannels(p.V4)
    assert isinstance(s.receive(b"\xff\x00"), p.ProtocolViolation)
    assert not s.stdin_closed


@pytest.mark.parametrize(
    ("proto", "real_exit", "real_missing"),
    [(p.V5, REAL_V5_EXIT_3, REAL_V5_NOT_FOUND), (p.V4, REAL_V4_EXIT_3, REAL_V4_NOT_FOUND)],
)
def test_server_status_bodies_match_the_real_server(
    proto: str, real_exit: bytes, real_missing: bytes
) -> None:
    s = p.ServerChannels(proto)
    assert s.exit_code(3, "exit status 3") == b"\x03" + real_exit
    detail = 'error executing command in container: exec: "nonexist-cmd": executable file not found in $PATH'
    assert json.loads(s.internal_error(detail)[1:]) == json.loads(real_missing)
    expected_success = {"metadata": {}, "status": "Success"} if proto == p.V5 else {"status": "Success"}
    assert json.loads(s.success()[1:]) == expected_success


def test_round_trip_exit_codes() -> None:
    for proto in (p.V4, p.V5):
        for code in (1, 42, 137, 255):
            c = p.ClientChannels(proto)
            c.receive(p.ServerChannels(proto).exit_code(code, f"exit status {code}"))
            assert c.result() == p.ExitResult(code)
