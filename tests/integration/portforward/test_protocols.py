"""PortForwarder's protocols against the emulator: the SPDY tunnel, SPDY over an HTTP upgrade and v4.

Half-close (a client that sends, then shuts down its write side, and waits for the answer) works on both SPDY
paths; every local connection shares one connection on them, which is dialled again when it breaks.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods, echo

from kpy.errors import UsageError
from kpy.portforward import PortForwarder
from kpy.portforward import events as ev
from kpy.portforward.connection_handling import FIRST_WAIT
from kpy.rest import RestClient
from kpy.streams import spdy

PAYLOAD = hashlib.sha256(b"half").digest() * 3125  # 100,000 bytes


async def echo_until_eof(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read everything until the client's EOF, then answer it all and close."""
    data = await reader.read()
    writer.write(data)
    await writer.drain()
    writer.close()


def half_close(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        got = bytearray()
        while chunk := sock.recv(1 << 16):
            got += chunk
    return bytes(got)


@pytest.mark.parametrize(
    ("protocol", "sessions"), [("auto", "tunnel"), ("tunnel", "tunnel"), ("spdy", "spdy")]
)
async def test_half_close_and_one_connection_for_all(
    pods: Pods, client: RestClient, emulator: Any, protocol: str, sessions: str
) -> None:
    await pods.serve("web", 80, echo_until_eof)
    async with PortForwarder(client, "pod/web", [":80"], protocol=protocol) as fw:
        port = fw.listeners[0].local_port
        for _ in range(3):
            assert await asyncio.to_thread(half_close, port, PAYLOAD) == PAYLOAD
        assert fw.protocol_in_use == sessions
        assert [s.protocol for s in emulator.portforward_sessions] == [sessions]


async def test_v4_has_no_half_close_and_says_why_once(pods: Pods, client: RestClient) -> None:
    await pods.serve("web", 80, echo_until_eof)
    rec: list[ev.ForwardEvent] = []
    async with PortForwarder(client, "pod/web", [":80"], protocol="v4", on_event=rec.append) as fw:
        port = fw.listeners[0].local_port
        for _ in range(2):
            got = await asyncio.to_thread(half_close, port, PAYLOAD)
            assert got == b""  # the local EOF ends the v4 stream before the pod answers
        assert fw.protocol_in_use == "v4"
    told = [e for e in rec if isinstance(e, ev.HalfCloseUnsupported)]
    assert told == [ev.HalfCloseUnsupported(port)]
    assert "v4.channel.k8s.io has no half-close" in told[0].message


async def test_v4_says_nothing_when_the_client_closes_after_its_answer(
    pods: Pods, client: RestClient
) -> None:
    await pods.serve("web", 80, echo)
    rec: list[ev.ForwardEvent] = []
    async with PortForwarder(client, "pod/web", [":80"], protocol="v4", on_event=rec.append) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(b"request")
        assert await asyncio.wait_for(reader.readexactly(7), 10) == b"request"
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
    assert not [e for e in rec if isinstance(e, ev.HalfCloseUnsupported)]


@pytest.mark.parametrize("protocol", ["tunnel", "spdy"])
async def test_concurrent_connections_are_byte_exact(pods: Pods, client: RestClient, protocol: str) -> None:
    await pods.serve("web", 80, echo)

    def exchange(port: int, seed: int) -> bool:
        data = os.urandom(200_000 + seed)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            got = bytearray()
            while chunk := sock.recv(1 << 16):
                got += chunk
        return bytes(got) == data

    async with PortForwarder(client, "pod/web", [":80"], protocol=protocol) as fw:
        port = fw.listeners[0].local_port
        results = await asyncio.gather(*(asyncio.to_thread(exchange, port, i) for i in range(16)))
        assert all(results)


def _answer(sock: socket.socket) -> bytes:
    sock.shutdown(socket.SHUT_WR)
    got = bytearray()
    while chunk := sock.recv(1 << 16):
        got += chunk
    return bytes(got)


@pytest.mark.parametrize("protocol", ["tunnel", "spdy"])
async def test_first_bytes_arrive_whenever_the_client_sends_them(
    pods: Pods, client: RestClient, protocol: str
) -> None:
    """A client's first bytes reach the pod, in order, whether they were there when the connection was accepted,
    came after its streams were opened, or follow the pod's greeting (kpy sends them from the event loop when
    it can, else from the connection's thread)."""

    async def greet_then_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello\n")
        await echo(reader, writer)

    await pods.serve("web", 80, echo)
    await pods.serve("web", 81, greet_then_echo)
    async with PortForwarder(
        client, "pod/web", [":80", ":81"], addresses=["127.0.0.1"], protocol=protocol
    ) as fw:
        port, greeting_port = (li.local_port for li in fw.listeners)
        loop = asyncio.get_running_loop()

        async def until(condition: Any, what: str) -> None:
            deadline = loop.time() + 10
            while not condition():
                assert loop.time() < deadline, what
                await asyncio.sleep(0.005)

        # before the accept: the event loop runs only once this coroutine awaits
        early = socket.create_connection(("127.0.0.1", port), timeout=30)
        early.sendall(b"early" * 1000)
        assert await asyncio.to_thread(_answer, early) == b"early" * 1000
        early.close()
        assert fw._mux is not None
        mux = fw._mux
        await until(lambda: not mux._forwards, "the first connection's streams were never closed")
        # after the streams are open
        late = socket.create_connection(("127.0.0.1", port), timeout=30)
        await until(lambda: mux._forwards, "the connection's streams were never opened")
        late.sendall(b"late")
        assert await asyncio.to_thread(_answer, late) == b"late"
        late.close()

        # after the pod's greeting
        def converse() -> bytes:
            with socket.create_connection(("127.0.0.1", greeting_port), timeout=30) as sock:
                got = b""
                while not got.endswith(b"\n"):
                    got += sock.recv(64)
                sock.sendall(b"reply")
                return got + _answer(sock)

        assert await asyncio.to_thread(converse) == b"hello\nreply"


@pytest.mark.parametrize("protocol", ["tunnel", "spdy"])
async def test_idle_connections_hold_no_thread_and_still_carry_what_follows(
    pods: Pods, client: RestClient, protocol: str
) -> None:
    """A connection that said something, got its answer and went quiet (keep-alive) holds no thread of kpy's
    (whether its first bytes came at once or later): what its client sends later, and its half-close, still
    reach the pod and the answers come back."""
    from kpy.streams.workers import workers

    await pods.serve("web", 80, echo)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], protocol=protocol) as fw:
        port = fw.listeners[0].local_port

        def converse(sock: socket.socket, message: bytes) -> bytes:
            sock.sendall(message)
            got = b""
            while len(got) < len(message):
                chunk = sock.recv(1 << 16)
                assert chunk, "the connection ended before the echo"
                got += chunk
            return got

        first = socket.create_connection(("127.0.0.1", port), timeout=30)
        assert await asyncio.to_thread(converse, first, b"warm") == b"warm"  # the shared connection is up
        idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(20)]
        try:
            for i, sock in enumerate(idle):
                if i % 2:  # half the clients speak only after the first bytes' wait on the event loop
                    await asyncio.sleep(2 * FIRST_WAIT)
                assert await asyncio.to_thread(converse, sock, b"hello %d" % i) == b"hello %d" % i
            # not one thread per quiet connection (the others in this process hold none once quiet)
            deadline = asyncio.get_running_loop().time() + 60
            while workers.busy > 2:
                assert asyncio.get_running_loop().time() < deadline, f"{workers.busy} threads still busy"
                await asyncio.sleep(0.05)
            for i, sock in enumerate(idle):
                assert await asyncio.to_thread(converse, sock, b"later %d" % i) == b"later %d" % i
                sock.sendall(b"last")
                assert await asyncio.to_thread(_answer, sock) == b"last"
        finally:
            for sock in [first, *idle]:
                sock.close()


async def _break_then_dial_again(
    pods: Pods, client: RestClient, emulator: Any, protocol: str, breaker: Callable[[Any], Awaitable[None]]
) -> str:
    """Echo once, let ``breaker`` end the shared connection mid-stream, check that the local client sees the end
    and that the next local connection works over a new one; the message reported for the broken one."""
    await pods.serve("web", 80, echo)
    rec: list[ev.ForwardEvent] = []
    async with PortForwarder(
        client, "pod/web", [":80"], protocol=protocol, reconnect=True, on_event=rec.append
    ) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"one")
        assert await asyncio.wait_for(reader.readexactly(3), 10) == b"one"
        [session] = emulator.portforward_sessions
        await breaker(session)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        async with asyncio.timeout(10):
            while not (failed := [e for e in rec if isinstance(e, ev.ConnectionFailed)]):
                await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"two")
        assert await asyncio.wait_for(reader.readexactly(3), 10) == b"two"
        writer.close()
    return failed[0].message


@pytest.mark.parametrize("protocol", ["tunnel", "spdy"])
async def test_a_broken_connection_is_dialled_again(
    pods: Pods, client: RestClient, emulator: Any, protocol: str
) -> None:
    async def drop(session: Any) -> None:
        await session.abort()  # the connection drops mid-stream

    message = await _break_then_dial_again(pods, client, emulator, protocol, drop)
    assert "the port-forward stream ended without a close frame" in message


@pytest.mark.parametrize("protocol", ["tunnel", "spdy"])
async def test_a_goaway_says_its_status_and_the_next_connection_dials_again(
    pods: Pods, client: RestClient, emulator: Any, protocol: str
) -> None:
    async def go_away(session: Any) -> None:
        await session.go_away(spdy.GOAWAY_INTERNAL_ERROR)

    message = await _break_then_dial_again(pods, client, emulator, protocol, go_away)
    assert "the server ended the port-forward connection (GOAWAY: internal error)" in message


async def test_a_refused_port_reports_the_kubelets_error(pods: Pods, client: RestClient) -> None:
    rec: list[ev.ForwardEvent] = []
    async with PortForwarder(
        client, "pod/web", [":81"], protocol="tunnel", reconnect=True, on_event=rec.append
    ) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        async with asyncio.timeout(10):
            while not any(isinstance(e, ev.ConnectionFailed) for e in rec):
                await asyncio.sleep(0.01)
    [failed] = [e for e in rec if isinstance(e, ev.ConnectionFailed)]
    assert failed.message.startswith("error forwarding port 81 to pod web, uid ")


async def test_unknown_protocol_is_a_usage_error(client: RestClient) -> None:
    with pytest.raises(UsageError, match='invalid argument "h2" for "--protocol" flag'):
        PortForwarder(client, "pod/web", [":80"], protocol="h2")


@pytest.mark.parametrize(("refused", "used"), [(("tunnel",), "spdy"), (("tunnel", "spdy"), "v4")])
async def test_auto_falls_back_in_order_when_the_server_refuses(
    pods: Pods, client: RestClient, emulator: Any, refused: tuple[str, ...], used: str
) -> None:
    await pods.serve("web", 80, echo)
    emulator.faults.refuse_portforward(*refused)
    async with PortForwarder(client, "pod/web", [":80"]) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.readexactly(5), 10) == b"hello"
        writer.close()
        assert fw.protocol_in_use == used
    assert [s.protocol for s in emulator.portforward_sessions] in ([], [used])


async def test_a_forced_protocol_that_the_server_refuses_is_an_error(
    pods: Pods, client: RestClient, emulator: Any
) -> None:
    await pods.serve("web", 80, echo)
    emulator.faults.refuse_portforward("tunnel")
    rec: list[ev.ForwardEvent] = []
    async with PortForwarder(client, "pod/web", [":80"], protocol="tunnel", on_event=rec.append) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        async with asyncio.timeout(10):
            while not any(isinstance(e, ev.ConnectionFailed) for e in rec):
                await asyncio.sleep(0.01)
    [failed] = [e for e in rec if isinstance(e, ev.ConnectionFailed)]
    assert "requested protocol(s) are not supported" in failed.message, failed.message
