"""The sans-I/O port-forward framing: bytes in, events out, exact frames."""

from __future__ import annotations

import base64

import pytest

from kpy.portforward.protocol import (
    V4_BASE64,
    V4_BINARY,
    ClientChannels,
    ClientData,
    DataReceived,
    ErrorReceived,
    Framing,
    PortAcknowledged,
    ProtocolFailure,
    ServerChannels,
    data_channel,
    decode_message,
    encode_message,
    encode_port,
    error_channel,
)

B64 = Framing.BASE64
BIN = Framing.BINARY


def b64(channel: int, payload: bytes) -> str:
    return chr(ord("0") + channel) + base64.b64encode(payload).decode()


# --- pure encoding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "data", "error"), [(0, 0, 1), (1, 2, 3), (5, 10, 11)])
def test_port_index_owns_channels_2i_for_data_and_2i_plus_1_for_errors(
    index: int, data: int, error: int
) -> None:
    assert (data_channel(index), error_channel(index)) == (data, error)


@pytest.mark.parametrize(
    ("port", "header"),
    [(80, b"P\x00"), (8080, b"\x90\x1f"), (1, b"\x01\x00"), (65535, b"\xff\xff"), (443, b"\xbb\x01")],
)
def test_port_header_is_two_bytes_little_endian(port: int, header: bytes) -> None:
    assert encode_port(port) == header


@pytest.mark.parametrize(
    ("channel", "payload", "framing", "message"),
    [
        (0, b"hello", BIN, b"\x00hello"),
        (1, b"", BIN, b"\x01"),
        (3, b"\x00\xff", BIN, b"\x03\x00\xff"),
        (255, b"x", BIN, b"\xffx"),
        (0, b"foo\n", B64, "0Zm9vCg=="),
        (1, b"\n", B64, "1Cg=="),
        (2, b"", B64, "2"),
        (1, b"P\x00", B64, "1UAA="),
    ],
)
def test_encode_message_exact_frames(
    channel: int, payload: bytes, framing: Framing, message: bytes | str
) -> None:
    assert encode_message(channel, payload, framing) == message


@pytest.mark.parametrize(("channel", "framing"), [(256, BIN), (-1, BIN), (80, B64), (-1, B64)])
def test_encode_message_rejects_channels_that_do_not_fit(channel: int, framing: Framing) -> None:
    with pytest.raises(ValueError):
        encode_message(channel, b"", framing)


@pytest.mark.parametrize(
    ("message", "framing", "expected"),
    [
        (b"\x00abc", BIN, (0, b"abc")),
        (bytearray(b"\x02x"), BIN, (2, b"x")),
        (memoryview(b"\x01"), BIN, (1, b"")),
        ("\x00text", BIN, (0, b"text")),
        ("0Zm9vCg==", B64, (0, b"foo\n")),
        (b"1Cg==", B64, (1, b"\n")),
        ("3", B64, (3, b"")),
        (b"", BIN, None),
        ("", B64, None),
    ],
)
def test_decode_message(message: bytes | str, framing: Framing, expected: tuple[int, bytes] | None) -> None:
    assert decode_message(message, framing) == expected


@pytest.mark.parametrize("message", ["0!!!", "0Zm9", "/Zm9vCg==", "0Zm9v\u00e9", b"0a"])
def test_decode_message_rejects_bad_base64(message: bytes | str) -> None:
    with pytest.raises(ValueError):
        decode_message(message, B64)


@pytest.mark.parametrize(
    ("subprotocol", "framing"), [(V4_BINARY, BIN), (V4_BASE64, B64), ("", BIN), (None, BIN)]
)
def test_subprotocol_selects_framing_binary_by_default(subprotocol: str | None, framing: Framing) -> None:
    assert Framing.for_subprotocol(subprotocol) is framing


def test_unknown_subprotocol_is_refused() -> None:
    with pytest.raises(ValueError):
        Framing.for_subprotocol("channel.k8s.io")


@pytest.mark.parametrize("payload", [b"", b"a", b"\x00" * 7, bytes(range(256)), b"\xff" * 1000])
@pytest.mark.parametrize("framing", [BIN, B64])
@pytest.mark.parametrize("channel", [0, 1, 9])
def test_encode_then_decode_round_trips(payload: bytes, framing: Framing, channel: int) -> None:
    assert decode_message(encode_message(channel, payload, framing), framing) == (channel, payload)


# --- client state machine -----------------------------------------------------------------------------------


def test_client_acknowledges_headers_then_delivers_data() -> None:
    c = ClientChannels([80])
    assert c.receive(b"\x00P\x00") == [PortAcknowledged(0, 80, error=False)]
    assert c.receive(b"\x01P\x00") == [PortAcknowledged(0, 80, error=True)]
    assert c.receive(b"\x00hello") == [DataReceived(0, b"hello")]
    assert c.header_received(0) and c.header_received(0, error=True)
    assert c.failure is None


def test_client_header_and_data_in_one_message() -> None:
    c = ClientChannels([8080])
    assert c.receive(b"\x00\x90\x1fGET") == [PortAcknowledged(0, 8080, False), DataReceived(0, b"GET")]


def test_client_header_split_over_messages() -> None:
    c = ClientChannels([80])
    assert c.receive(b"\x00P") == []
    assert not c.header_received(0)
    assert c.receive(b"\x00\x00xy") == [PortAcknowledged(0, 80, False), DataReceived(0, b"xy")]


def test_client_data_that_looks_like_a_header_after_the_header_is_data() -> None:
    c = ClientChannels([80])
    c.receive(b"\x00P\x00")
    assert c.receive(b"\x00P\x00") == [DataReceived(0, b"P\x00")]


def test_client_error_channel_text_becomes_error_event() -> None:
    c = ClientChannels([80])
    c.receive(b"\x01P\x00")
    text = "error forwarding port 80 to pod web, uid : connection refused"
    assert c.receive(b"\x01" + text.encode()) == [ErrorReceived(0, text)]


def test_client_error_text_with_invalid_utf8_is_replaced_not_raised() -> None:
    c = ClientChannels([80])
    assert c.receive(b"\x01P\x00\xffoops") == [PortAcknowledged(0, 80, True), ErrorReceived(0, "\ufffdoops")]


def test_client_port_mismatch_is_a_recorded_failure_and_later_input_is_ignored() -> None:
    c = ClientChannels([80])
    events = c.receive(b"\x00Q\x00")
    assert events == [ProtocolFailure("port header mismatch on data channel 0: expected 80, got 81")]
    assert c.failure is not None
    assert c.receive(b"\x01P\x00") == []
    assert c.receive(b"\x00data") == []


def test_client_empty_messages_and_bare_channel_bytes_produce_nothing() -> None:
    c = ClientChannels([80])
    assert c.receive(b"") == []
    c.receive(b"\x00P\x00")
    assert c.receive(b"\x00") == []
    assert c.failure is None


def test_client_ignores_unknown_channels_and_counts_them() -> None:
    c = ClientChannels([80])
    assert c.receive(b"\x02P\x00") == []
    assert c.receive(b"\xffzzz") == []
    assert c.ignored == 2 and c.failure is None


def test_client_multiple_ports_map_to_their_channels() -> None:
    c = ClientChannels([80, 443])
    assert c.receive(b"\x02\xbb\x01") == [PortAcknowledged(1, 443, False)]
    assert c.receive(b"\x03\xbb\x01") == [PortAcknowledged(1, 443, True)]
    assert c.receive(b"\x00P\x00a") == [PortAcknowledged(0, 80, False), DataReceived(0, b"a")]
    assert c.receive(b"\x02b") == [DataReceived(1, b"b")]
    assert c.data_message(1, b"x") == b"\x02x"


def test_client_base64_framing() -> None:
    c = ClientChannels([80], B64)
    assert c.receive(b64(0, b"P\x00")) == [PortAcknowledged(0, 80, False)]
    assert c.receive(b64(1, b"P\x00")) == [PortAcknowledged(0, 80, True)]
    assert c.receive(b64(0, b"\x00\x01binary\xff")) == [DataReceived(0, b"\x00\x01binary\xff")]
    assert c.data_message(0, b"foo\n") == "0Zm9vCg=="


def test_client_bad_base64_is_a_failure_not_an_exception() -> None:
    c = ClientChannels([80], B64)
    [event] = c.receive("0%%%")
    assert isinstance(event, ProtocolFailure)
    assert c.receive(b64(0, b"P\x00")) == []


def test_client_data_message_binary_frame_is_exact() -> None:
    assert ClientChannels([80]).data_message(0, b"ping") == b"\x00ping"


def test_client_data_message_for_unknown_index_raises() -> None:
    with pytest.raises(IndexError):
        ClientChannels([80]).data_message(1, b"x")


@pytest.mark.parametrize("ports", [[], [0], [65536], [-1]])
def test_client_rejects_invalid_port_lists(ports: list[int]) -> None:
    with pytest.raises(ValueError):
        ClientChannels(ports)


# --- server side --------------------------------------------------------------------------------------------


def test_server_opening_messages_put_the_port_on_every_channel() -> None:
    assert ServerChannels([80, 8080]).opening_messages() == [
        b"\x00P\x00",
        b"\x01P\x00",
        b"\x02\x90\x1f",
        b"\x03\x90\x1f",
    ]
    assert ServerChannels([80], B64).opening_messages() == ["0UAA=", "1UAA="]


def test_server_frames_data_and_error_text() -> None:
    s = ServerChannels([80, 81])
    assert s.data_message(1, b"abc") == b"\x02abc"
    assert s.error_message(0, "boom") == b"\x01boom"
    assert ServerChannels([80], B64).error_message(0, "boom") == b64(1, b"boom")


def test_server_receives_data_for_each_port_and_drops_the_rest() -> None:
    s = ServerChannels([80, 81])
    assert s.receive(b"\x00abc") == ClientData(0, b"abc")
    assert s.receive(b"\x02x") == ClientData(1, b"x")
    assert s.receive(b"") is None
    assert s.receive(b"\x00") is None
    assert s.dropped == 0
    assert s.receive(b"\x01to-error-channel") is None  # error channels are write-only
    assert s.receive(b"\x04nope") is None  # no such port
    assert s.dropped == 2


def test_server_base64_drops_undecodable_messages_and_continues() -> None:
    s = ServerChannels([80], B64)
    assert s.receive("0!!") is None
    assert s.dropped == 1
    assert s.receive(b64(0, b"ok")) == ClientData(0, b"ok")


def test_client_and_server_agree_end_to_end() -> None:
    for framing in (BIN, B64):
        server = ServerChannels([80, 443], framing)
        client = ClientChannels([80, 443], framing)
        events = [e for m in server.opening_messages() for e in client.receive(m)]
        assert events == [
            PortAcknowledged(0, 80, False),
            PortAcknowledged(0, 80, True),
            PortAcknowledged(1, 443, False),
            PortAcknowledged(1, 443, True),
        ]
        assert client.receive(server.data_message(1, b"pong")) == [DataReceived(1, b"pong")]
        assert client.receive(server.error_message(0, "bad")) == [ErrorReceived(0, "bad")]
        assert server.receive(client.data_message(1, b"ping")) == ClientData(1, b"ping")
