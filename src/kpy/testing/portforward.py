"""The kubelet's side of ``pods/NAME/portforward`` over WebSocket, for the emulator.

``handle_portforward`` upgrades the request (``v4.channel.k8s.io``, ``v4.base64.channel.k8s.io``, or binary
when no subprotocol is offered; offered-but-unsupported subprotocols are refused with 403 like the kubelet's
``x/net/websocket`` handshake), writes the port header on every channel, connects each requested port to
``backend(port)`` over TCP and relays bytes both ways with the framing of ``kpy.portforward.protocol``.

Semantics follow the kubelet + containerd: a port's forwarding ends when either side ends (the client closes
the WebSocket, or the pod's server closes its connection); a connection failure is written as text on the
port's error channel; the WebSocket closes once every port is done.

The relay is written for throughput, because the emulator shares the machine's cores with the clients that
the benchmarks compare: after aiohttp has answered the upgrade, the WebSocket frames are parsed and written
here: the connection's transport is handed to a protocol of ours (``asyncio.Transport.set_protocol``, once the
101 is written and before the client may send a frame), whose reads go to the shared codec
(``kpy.streams.websocket.MessageReader``); the pod connections are plain asyncio protocols. Client payloads are
unmasked chunk by chunk and written to the pod as they arrive, without assembling messages. Backpressure is end to end: a pod connection whose write buffer fills pauses reading the
WebSocket; a WebSocket whose write buffer fills pauses reading the pods.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from kpy.gocompat.metav1 import status_body
from kpy.portforward.protocol import SUBPROTOCOLS, Framing, ServerChannels
from kpy.streams.websocket import (
    accept_key,
    valid_key,
)
from kpy.testing.pfrelay import (
    CLIENT_READ,
    CLOSE_WAIT,
    FRAME_DATA,
    MAX_MESSAGE,
    POD_READ,
    POD_WRITE_HIGH,
    _ClientReader,
    _Relay,
    connect_error,
    refused_detail,
)
from kpy.testing.pfsession import Backend, PortForwardSession
from kpy.testing.spdyforward import PORTFORWARD_PROTOCOL, TUNNEL_PROTOCOL, SpdySession

__all__ = [
    "CLIENT_READ",
    "CLOSE_WAIT",
    "FRAME_DATA",
    "MAX_MESSAGE",
    "POD_READ",
    "POD_WRITE_HIGH",
    "PortForwardSession",
    "connect_error",
    "handle_portforward",
    "refusal",
    "refused_detail",
    "requested_protocol",
    "wants_spdy",
]


def _status(code: int, reason: str, message: str) -> web.Response:
    return web.json_response(status_body(code, reason, message), status=code)


def _offered_protocols(request: web.Request) -> list[str]:
    raw = request.headers.getall("Sec-WebSocket-Protocol", [])
    return [p.strip() for value in raw for p in value.split(",") if p.strip()]


def wants_spdy(request: web.Request) -> bool:
    """An upgrade to SPDY/3.1, or a WebSocket offering the SPDY tunnel (then no ``ports`` are needed)."""
    if request.headers.get("Upgrade", "").lower().startswith("spdy/"):
        return True
    return request.headers.get(
        "Upgrade", ""
    ).lower() == "websocket" and TUNNEL_PROTOCOL in _offered_protocols(request)


def requested_protocol(request: web.Request) -> str:
    """Which port-forward protocol the request asks for: ``tunnel``, ``spdy`` or ``v4``."""
    if request.headers.get("Upgrade", "").lower().startswith("spdy/"):
        return "spdy"
    return "tunnel" if wants_spdy(request) else "v4"


def refusal(request: web.Request, protocol: str) -> web.Response:
    """How a server that does not speak ``protocol`` answers it (see ``Faults.refuse_portforward``)."""
    if protocol == "spdy":
        return _status(400, "BadRequest", "Upgrade request required")
    offered = _offered_protocols(request)
    supported = [p for p in SUBPROTOCOLS if p not in offered] if protocol == "tunnel" else []
    return web.Response(
        status=403,
        text=f"requested protocol(s) are not supported: {offered}; supports {supported}",
    )


async def _serve_spdy(
    request: web.Request,
    namespace: str,
    pod: str,
    backend: Backend,
    sessions: set[PortForwardSession],
    uid: str,
    offered: list[str],
) -> web.StreamResponse:
    tunnel = request.headers.get("Upgrade", "").lower() == "websocket"
    if tunnel:
        key = request.headers.get("Sec-WebSocket-Key", "")
        if request.headers.get("Sec-WebSocket-Version") != "13" or not valid_key(key):
            return _status(400, "BadRequest", "Upgrade request required")
        headers = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": accept_key(key),
            "Sec-WebSocket-Protocol": TUNNEL_PROTOCOL,
        }
    else:
        wanted = [
            p.strip()
            for v in request.headers.getall("X-Stream-Protocol-Version", [])
            for p in v.split(",")
            if p.strip()
        ]
        if wanted and PORTFORWARD_PROTOCOL not in wanted:
            return web.Response(
                status=403,
                text=f"unable to upgrade: unable to negotiate protocol: client supports {wanted}, server "
                f"accepts {[PORTFORWARD_PROTOCOL]}",
            )
        headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
        if wanted:
            headers["X-Stream-Protocol-Version"] = PORTFORWARD_PROTOCOL
    transport = request.transport
    if not isinstance(transport, asyncio.Transport):
        return _status(500, "InternalError", "the connection is gone")
    session = PortForwardSession(namespace, pod, [])
    session.protocol = "tunnel" if tunnel else "spdy"
    session._transport = transport

    def error_text(port: int, detail: str) -> str:
        return connect_error(port, pod, uid, detail or refused_detail(port, pod))

    server = SpdySession(
        transport,
        transport.get_protocol(),
        tunnel=tunnel,
        backend=backend,
        pod=pod,
        uid=uid,
        session=session,
        connect_error=error_text,
    )
    transport.set_protocol(server)  # before the 101: the client's frames are ours (see handle_portforward)
    response = web.StreamResponse(status=101, headers=headers)
    await response.prepare(request)
    sessions.add(session)
    try:
        await server.run()
    finally:
        sessions.discard(session)
        session._done.set()
    return response


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
    """Serve one port-forward connection (the route has already checked auth, the pod and ``ports``): SPDY after
    an HTTP upgrade, SPDY tunnelled in a WebSocket, or a v4 WebSocket."""
    offered = _offered_protocols(request)
    if wants_spdy(request):
        return await _serve_spdy(request, namespace, pod, backend, sessions, uid, offered)
    if offered and not any(p in SUBPROTOCOLS for p in offered):
        return web.Response(
            status=403,
            text=f"requested protocol(s) are not supported: {offered}; supports {list(SUBPROTOCOLS)}",
        )
    key = request.headers.get("Sec-WebSocket-Key", "")
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket" and "upgrade" in [
        t.strip().lower() for t in request.headers.get("Connection", "").split(",")
    ]
    if not upgrade or request.headers.get("Sec-WebSocket-Version") != "13" or not valid_key(key):
        return _status(400, "BadRequest", "Upgrade request required")
    chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept_key(key)}
    if chosen:
        headers["Sec-WebSocket-Protocol"] = chosen
    transport = request.transport
    if not isinstance(transport, asyncio.Transport):  # the client went away
        return _status(500, "InternalError", "the connection is gone")
    session = PortForwardSession(namespace, pod, ports)
    session._transport = transport
    relay = _Relay(
        transport, ServerChannels(ports, Framing.for_subprotocol(chosen)), session, backend, pod, uid
    )
    # the connection is ours from the 101 on: read it with our protocol before the 101 goes out, so that no
    # frame of the client's reaches aiohttp's HTTP parser (aiohttp keeps the protocol it had, for the end)
    transport.set_protocol(_ClientReader(relay, transport.get_protocol()))
    response = web.StreamResponse(status=101, headers=headers)
    await response.prepare(request)
    sessions.add(session)
    try:
        await relay.run()
    finally:
        sessions.discard(session)
        session._done.set()
    return response
