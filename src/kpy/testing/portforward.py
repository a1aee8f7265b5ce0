"""The kubelet's side of ``pods/NAME/portforward`` over WebSocket, for the emulator.

``handle_portforward`` upgrades the request (``v4.channel.k8s.io``, ``v4.base64.channel.k8s.io``, or binary
when no subprotocol is offered; offered-but-unsupported subprotocols are refused with 403 like the kubelet's
``x/net/websocket`` handshake), writes the port header on every channel, connects each requested port to
``backend(port)`` over TCP and relays bytes both ways with the framing of ``kpy.portforward.protocol``.

Semantics follow the kubelet + containerd: a port's forwarding ends when either side ends (the client closes
the WebSocket, or the pod's server closes its connection); a connection failure is written as text on the
port's error channel; the WebSocket closes once every port is done. Backpressure is end to end: a slow pod
server stops the WebSocket reader (aiohttp then stops reading the socket); a slow client makes
``send_bytes`` wait for the transport to drain.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from kpy.portforward.protocol import SUBPROTOCOLS, Framing, ServerChannels

#: bytes read from the pod's server per WebSocket message
CHUNK = 256 * 1024
#: largest message accepted from a client (golang.org/x/net/websocket's DefaultMaxPayloadBytes)
MAX_MESSAGE = 32 << 20

Backend = Callable[[int], "tuple[str, int] | None"]


class PortForwardSession:
    """One upgraded port-forward WebSocket. ``abort()`` drops it mid-stream (no close frame)."""

    def __init__(self, namespace: str, pod: str, ports: list[int]) -> None:
        self.namespace = namespace
        self.pod = pod
        self.ports = list(ports)
        self.aborted: str | None = None
        self._transport: asyncio.Transport | None = None
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._error_writer: Callable[[str], Any] | None = None

    def __repr__(self) -> str:
        return f"PortForwardSession({self.namespace}/{self.pod} ports={self.ports})"

    async def abort(self, reason: str = "") -> None:
        """Drop the WebSocket like a broken network path would: TCP torn down, no close frame.

        With a ``reason`` the session first writes it on every port's error channel (what a kubelet does when
        the container goes away), then drops. Returns once the session has cleaned up.
        """
        if self._done.is_set():
            return
        self.aborted = reason or "aborted"
        if reason and self._error_writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._error_writer(reason), 1.0)
        if self._transport is not None:
            self._transport.abort()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._done.wait(), 5.0)

    @property
    def done(self) -> bool:
        return self._done.is_set()


def _status(code: int, reason: str, message: str) -> web.Response:
    return web.json_response(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
        status=code,
    )


def _offered_protocols(request: web.Request) -> list[str]:
    raw = request.headers.getall("Sec-WebSocket-Protocol", [])
    return [p.strip() for value in raw for p in value.split(",") if p.strip()]


def connect_error(port: int, pod: str, uid: str, detail: str) -> str:
    """The kubelet's error-channel text (``error forwarding port P to pod NAME, uid UID: DETAIL``)."""
    return f"error forwarding port {port} to pod {pod}, uid {uid}: {detail}"


def refused_detail(port: int, pod: str) -> str:
    """What containerd reports when nothing listens on the port inside the pod."""
    return (
        f'failed to connect to localhost:{port} inside namespace "{pod}", IPv4: dial tcp4 '
        f"127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: "
        "connection refused "
    )


async def handle_portforward(
    request: web.Request,
    *,
    namespace: str,
    pod: str,
    ports: list[int],
    backend: Backend,
    sessions: set[PortForwardSession],
    uid: str = "",
) -> web.StreamResponse:
    """Serve one port-forward WebSocket (the route has already checked auth, the pod and ``ports``)."""
    offered = _offered_protocols(request)
    if offered and not any(p in SUBPROTOCOLS for p in offered):
        return web.Response(
            status=403,
            text=f"requested protocol(s) are not supported: {offered}; supports {list(SUBPROTOCOLS)}",
        )
    ws = web.WebSocketResponse(
        protocols=SUBPROTOCOLS, compress=False, max_msg_size=MAX_MESSAGE, autoping=True, autoclose=True
    )
    if not ws.can_prepare(request).ok:
        return _status(400, "BadRequest", "Upgrade request required")
    await ws.prepare(request)
    framing = Framing.for_subprotocol(ws.ws_protocol)
    channels = ServerChannels(ports, framing)
    session = PortForwardSession(namespace, pod, ports)
    transport = request.transport
    session._transport = transport if isinstance(transport, asyncio.Transport) else None
    sessions.add(session)
    forward = _Forward(ws, channels, session, backend, pod, uid)
    try:
        await forward.run()
    finally:
        sessions.discard(session)
        session._done.set()
    return ws


class _Forward:
    """The relay for one session: a pump per port (pod -> client) and one reader (client -> pods)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        channels: ServerChannels,
        session: PortForwardSession,
        backend: Backend,
        pod: str,
        uid: str,
    ) -> None:
        self.ws = ws
        self.channels = channels
        self.session = session
        self.backend = backend
        self.pod = pod
        self.uid = uid
        self.writers: list[asyncio.StreamWriter | None] = [None] * len(channels.ports)

    async def send(self, message: bytes | str) -> None:
        if isinstance(message, str):
            await self.ws.send_str(message)
        else:
            await self.ws.send_bytes(message)

    async def write_errors(self, text: str) -> None:
        for index in range(len(self.channels.ports)):
            await self.send(self.channels.error_message(index, text))

    async def run(self) -> None:
        self.session._error_writer = self.write_errors
        for message in self.channels.opening_messages():
            await self.send(message)
        connected = await asyncio.gather(*(self.connect(i) for i in range(len(self.channels.ports))))
        pumps = [asyncio.ensure_future(self.pump(i, reader)) for i, reader in enumerate(connected)]
        receiver = asyncio.ensure_future(self.receive())
        tasks = {*pumps, receiver}
        self.session._tasks.update(tasks)
        try:
            all_pumps: asyncio.Future[Any] = asyncio.gather(*pumps, return_exceptions=True)
            waited: set[asyncio.Future[Any]] = {all_pumps, receiver}
            done, _ = await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                # the client closed (or the connection broke): end every port, like closing the pipes
                for writer in self.writers:
                    if writer is not None:
                        writer.close()
                for pump in pumps:
                    pump.cancel()
                await all_pumps
            else:
                # every pod connection ended: close the WebSocket, as the kubelet does
                with contextlib.suppress(Exception):
                    await self.ws.close()
                receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiver
        finally:
            for task in tasks:
                task.cancel()
            for writer in self.writers:
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            if not self.ws.closed and self.session.aborted is None:
                with contextlib.suppress(Exception):
                    await self.ws.close()

    async def connect(self, index: int) -> asyncio.StreamReader | None:
        port = self.channels.ports[index]
        target = self.backend(port)
        if target is None:
            detail = refused_detail(port, self.pod)
        else:
            host, tcp_port = target
            try:
                reader, writer = await asyncio.open_connection(host, tcp_port, limit=2 * CHUNK)
            except OSError as exc:
                detail = f'failed to connect to localhost:{port} inside namespace "{self.pod}": {exc}'
            else:
                self.writers[index] = writer
                return reader
        with contextlib.suppress(Exception):
            await self.send(
                self.channels.error_message(index, connect_error(port, self.pod, self.uid, detail))
            )
        return None

    async def pump(self, index: int, reader: asyncio.StreamReader | None) -> None:
        """Pod -> client for one port, until the pod's server closes its end."""
        if reader is None:
            return
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    return
                await self.send(self.channels.data_message(index, data))
        except (ConnectionError, OSError):
            return

    async def receive(self) -> None:
        """Client -> pods, until the client closes the WebSocket."""
        async for msg in self.ws:
            if msg.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                continue
            data = self.channels.receive(msg.data)
            if data is None:
                continue
            writer = self.writers[data.index]
            if writer is None or writer.is_closing():
                continue
            writer.write(data.data)
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                writer.close()
