"""The emulator's kubelet side (kpy.testing.portforward) on a real aiohttp server, driven by a websockets client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
from aiohttp import web
from websockets.asyncio.client import ClientConnection

from kpy.testing.portforward import PortForwardSession, handle_portforward


@dataclass
class Backends:
    """Loopback TCP servers standing in for containers; ``received`` records what each connection got."""

    servers: dict[int, asyncio.Server] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def add(
        self, port: int, handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
    ) -> None:
        self.servers[port] = await asyncio.start_server(handler, "127.0.0.1", 0)

    def lookup(self, port: int) -> tuple[str, int] | None:
        server = self.servers.get(port)
        return None if server is None else ("127.0.0.1", server.sockets[0].getsockname()[1])


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


@dataclass
class Server:
    url: str
    sessions: set[PortForwardSession]
    backends: Backends

    def connect(self, ports: str = "80", subprotocols: list[str] | None = None) -> Any:
        from websockets.typing import Subprotocol

        protos = [Subprotocol(p) for p in (["v4.channel.k8s.io"] if subprotocols is None else subprotocols)]
        return websockets.connect(
            f"{self.url}?ports={ports}", subprotocols=protos or None, compression=None, max_size=None
        )


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    backends = Backends()
    sessions: set[PortForwardSession] = set()

    async def route(request: web.Request) -> web.StreamResponse:
        ports = [int(p) for p in request.query["ports"].split(",")]
        return await handle_portforward(
            request,
            namespace="default",
            pod="web",
            ports=ports,
            backend=backends.lookup,
            sessions=sessions,
            uid="u-1",
        )

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/default/pods/web/portforward", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Server(
            f"ws://127.0.0.1:{port}/api/v1/namespaces/default/pods/web/portforward", sessions, backends
        )
    finally:
        await runner.cleanup()
        for srv in backends.servers.values():
            srv.close()


async def recv_exact(ws: ClientConnection, channel: int, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        message = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(message, bytes)
        assert message[0] == channel
        out += message[1:]
    return bytes(out)


async def test_binary_subprotocol_sends_port_headers_then_echoes(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect() as ws:
        assert ws.subprotocol == "v4.channel.k8s.io"
        assert await ws.recv() == b"\x00P\x00"
        assert await ws.recv() == b"\x01P\x00"
        await ws.send(b"\x00hello")
        assert await recv_exact(ws, 0, 5) == b"hello"


async def test_base64_subprotocol_frames_as_text(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect(subprotocols=["v4.base64.channel.k8s.io"]) as ws:
        assert ws.subprotocol == "v4.base64.channel.k8s.io"
        assert await ws.recv() == "0UAA="
        assert await ws.recv() == "1UAA="
        await ws.send("0" + base64.b64encode(b"\x00\xffbin").decode())
        reply = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(reply, str) and reply[0] == "0"
        assert base64.b64decode(reply[1:]) == b"\x00\xffbin"


async def test_no_subprotocol_defaults_to_binary(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect(subprotocols=[]) as ws:
        assert ws.subprotocol is None
        assert await ws.recv() == b"\x00P\x00"


async def test_unsupported_subprotocol_is_refused_with_403(server: Server) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        async with server.connect(subprotocols=["channel.k8s.io"]):
            pass
    assert info.value.response.status_code == 403


async def test_plain_get_without_upgrade_is_a_400_status(server: Server) -> None:
    import aiohttp

    url = server.url.replace("ws://", "http://") + "?ports=80"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["kind"] == "Status" and body["message"] == "Upgrade request required"


async def test_no_backend_writes_kubelet_error_text_on_error_channel_then_closes(server: Server) -> None:
    async with server.connect() as ws:
        assert await ws.recv() == b"\x00P\x00"
        assert await ws.recv() == b"\x01P\x00"
        error = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(error, bytes) and error[0] == 1
        assert (
            error[1:]
            .decode()
            .startswith(
                "error forwarding port 80 to pod web, uid u-1: failed to connect to "
                'localhost:80 inside namespace "web"'
            )
        )
        with pytest.raises(websockets.exceptions.ConnectionClosedOK):
            await asyncio.wait_for(ws.recv(), 10)


async def test_multiple_ports_use_channel_pairs(server: Server) -> None:
    await server.backends.add(80, echo)

    async def upper(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    await server.backends.add(81, upper)
    async with server.connect("80,81") as ws:
        headers = [await ws.recv() for _ in range(4)]
        assert headers == [b"\x00P\x00", b"\x01P\x00", b"\x02Q\x00", b"\x03Q\x00"]
        await ws.send(b"\x02abc")
        assert await recv_exact(ws, 2, 3) == b"ABC"
        await ws.send(b"\x00abc")
        assert await recv_exact(ws, 0, 3) == b"abc"


def speak_and_close(
    payload: bytes,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A pod server that writes ``payload`` and closes its end."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        writer.close()

    return handler


async def test_pod_server_closing_first_delivers_everything_then_closes_websocket(server: Server) -> None:
    payload = os.urandom(3 << 20)
    await server.backends.add(80, speak_and_close(payload))
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        got = bytearray()
        with pytest.raises(websockets.exceptions.ConnectionClosedOK):
            while True:
                message = await asyncio.wait_for(ws.recv(), 10)
                assert isinstance(message, bytes) and message[0] == 0
                got += message[1:]
    assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()


async def test_client_closing_first_delivers_all_sent_bytes_and_closes_pod_connection(server: Server) -> None:
    payload = os.urandom(2 << 20)
    received = bytearray()
    eof = asyncio.Event()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            received.extend(data)
        eof.set()
        writer.close()

    await server.backends.add(80, sink)
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        for i in range(0, len(payload), 100_000):
            await ws.send(b"\x00" + payload[i : i + 100_000])
    await asyncio.wait_for(eof.wait(), 10)
    assert bytes(received) == payload
    await _wait_no_sessions(server)


async def test_abort_drops_the_websocket_without_close_frame_and_removes_session(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        await ws.send(b"\x00ping")
        assert await recv_exact(ws, 0, 4) == b"ping"
        [session] = server.sessions
        assert (session.namespace, session.pod, session.ports) == ("default", "web", [80])
        await session.abort()
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as info:
            await asyncio.wait_for(ws.recv(), 10)
        assert info.value.rcvd is None
    assert server.sessions == set()
    assert session.done


async def test_abort_with_reason_writes_it_on_the_error_channel_first(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        [session] = server.sessions
        await session.abort("pod deleted")
        assert await asyncio.wait_for(ws.recv(), 10) == b"\x01pod deleted"
        with pytest.raises(websockets.exceptions.ConnectionClosedError):
            await asyncio.wait_for(ws.recv(), 10)


async def test_client_writes_to_error_channel_and_unknown_channels_are_ignored(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        await ws.send(b"\x01nope")
        await ws.send(b"\x07nope")
        await ws.send(b"")
        await ws.send(b"\x00ok")
        assert await recv_exact(ws, 0, 2) == b"ok"


async def test_slow_pod_reader_applies_backpressure_to_the_client(server: Server) -> None:
    """A pod server that does not read makes the client's sends block instead of buffering without bound."""
    release = asyncio.Event()
    total = bytearray()

    async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        while data := await reader.read(1 << 20):
            total.extend(data)
        writer.close()

    await server.backends.add(80, stalled)
    chunk = b"\x00" + b"x" * (1 << 20)
    sent = 0
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()

        async def send_forever() -> None:
            nonlocal sent
            while True:
                await ws.send(chunk)
                sent += 1

        sender = asyncio.ensure_future(send_forever())
        # Wait until the sender has been blocked in send() for a while: progress stops well below 200 MiB.
        previous = -1
        while sent != previous:
            previous = sent
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(asyncio.sleep(0.3)), 1)
        assert sent < 200, f"sent {sent} MiB without the pod reading: no backpressure"
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        release.set()


async def _wait_no_sessions(server: Server) -> None:
    async with asyncio.timeout(10):
        while server.sessions:
            await asyncio.sleep(0.01)


async def test_fragmented_client_messages_and_pings_are_handled(server: Server) -> None:
    await server.backends.add(80, echo)
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        await ws.send([b"\x00frag", b"mented ", b"message"])  # one message in three frames
        pong = await ws.ping(b"still there?")
        await asyncio.wait_for(pong, 10)
        assert await recv_exact(ws, 0, len(b"fragmented message")) == b"fragmented message"


async def test_pod_bytes_arrive_in_messages_of_at_most_32_kib_like_the_kubelets(server: Server) -> None:
    payload = os.urandom(1 << 20)
    await server.backends.add(80, speak_and_close(payload))
    sizes: list[int] = []
    got = bytearray()
    async with server.connect() as ws:
        await ws.recv()
        await ws.recv()
        with pytest.raises(websockets.exceptions.ConnectionClosedOK):
            while True:
                message = await asyncio.wait_for(ws.recv(), 10)
                assert isinstance(message, bytes) and message[0] == 0
                sizes.append(len(message) - 1)
                got += message[1:]
    assert bytes(got) == payload
    assert max(sizes) == 32 * 1024  # containerd's io.Copy buffer: one message per 32 KiB write


async def test_unmasked_client_frames_are_refused_with_close_1002(server: Server) -> None:
    await server.backends.add(80, echo)
    host, port = server.url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    path = server.url.split(port, 1)[1]
    writer.write(
        f"GET {path}?ports=80 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101")
    expected = base64.b64encode(
        hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    )
    assert b"Sec-WebSocket-Accept: " + expected in head
    await reader.readexactly(10)  # the two port headers
    writer.write(b"\x82\x03\x00hi")  # not masked
    close = await asyncio.wait_for(reader.readexactly(4), 10)
    assert close[:2] == b"\x88" + bytes((close[1],)) and close[2:4] == (1002).to_bytes(2, "big")
    writer.close()


async def test_frames_sent_as_soon_as_the_101_arrives_reach_the_pod(server: Server) -> None:
    """A client sends its first frame as soon as it has the 101 (RFC 6455 4.1: not before), while the kubelet
    side may still be dialling the pod: those bytes must not be lost nor reach aiohttp's HTTP parser."""
    await server.backends.add(80, echo)
    host, port = server.url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    path = server.url.split(port, 1)[1]
    payload = b"\x00early bytes"
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    writer.write(
        f"GET {path}?ports=80 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101")
    writer.write(bytes((0x82, 0x80 | len(payload))) + mask + masked)
    assert await asyncio.wait_for(reader.readexactly(10), 10) == b"\x82\x03\x00\x50\x00\x82\x03\x01\x50\x00"
    echoed = await asyncio.wait_for(reader.readexactly(2 + len(payload)), 10)
    assert echoed == bytes((0x82, len(payload))) + payload
    writer.close()
