"""One forwarded connection: dial ``pods/NAME/portforward`` as a WebSocket and relay bytes both ways.

The asyncio layer around ``protocol.ClientChannels``: it only moves bytes. Backpressure is end to end and
every buffer is bounded: a slow pod makes ``ws.send`` wait (``write_limit``), so the local socket is not read
(asyncio pauses the transport once the stream reader holds ``LOCAL_LIMIT`` bytes); a slow local reader makes
``writer.drain()`` wait, so the WebSocket is not read (``max_queue`` messages, then the TCP window closes).

v4 has no half-close: when the local peer ends its side, the WebSocket is closed (the kubelet then closes
the pod connection), while bytes already on their way from the pod are still delivered until the server's
close frame arrives. When the pod side ends (server closes the WebSocket), the local socket is closed after
everything received was written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kpy.errors import ConnectionFailed
from kpy.portforward.protocol import (
    SUBPROTOCOLS,
    ClientChannels,
    DataReceived,
    ErrorReceived,
    Framing,
    ProtocolFailure,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from kpy.rest import RestClient

#: bytes read from the local socket per WebSocket message
CHUNK = 128 * 1024
#: asyncio stream-reader limit for the local socket (reading pauses at twice this)
LOCAL_LIMIT = 128 * 1024
#: websockets flow control: incoming messages buffered before reading pauses; outgoing bytes before send waits
WS_MAX_QUEUE = 2
WS_WRITE_LIMIT = 256 * 1024
#: largest message accepted from the server
WS_MAX_SIZE = 32 << 20


def portforward_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward"


async def open_stream(
    client: RestClient,
    namespace: str,
    pod: str,
    ports: Sequence[int],
    subprotocols: Sequence[str] = SUBPROTOCOLS,
) -> ClientConnection:
    """Upgrade ``pods/NAME/portforward?ports=...`` with the client's TLS, credentials and proxy.

    Goes through ``RestClient.websocket`` with ``throttle=False``: like kubectl's streams (its SPDY or
    WebSocket dialer does not use the client-side rate limiter), one local connection is not an API request,
    so 64 connections at once are not spread over seconds by the 5 QPS token bucket. No pings (kubectl
    sends none on port-forward streams), no compression, bounded buffers (see the module docstring). A
    rejected upgrade raises the typed API error from the answer's Status (404 when the pod is gone); a
    transport failure raises ``ConnectionFailed("error upgrading connection: ...")``.
    """
    path = portforward_path(namespace, pod)
    try:
        return await client.websocket(
            path,
            [("ports", ",".join(str(p) for p in ports))],
            subprotocols,
            throttle=False,
            max_size=WS_MAX_SIZE,
            max_queue=WS_MAX_QUEUE,
            write_limit=WS_WRITE_LIMIT,
            compression=None,
            ping_interval=None,
        )
    except ConnectionFailed as exc:
        raise ConnectionFailed(f"error upgrading connection: {exc}", exc.host) from exc


async def relay(
    ws: ClientConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remote_port: int
) -> str | None:
    """Move bytes until either side ends. Returns the error to report for this connection, or None.

    Never raises for stream problems: an error-channel message, a protocol violation or a dropped WebSocket
    all become the returned message, so the caller closes this one connection and keeps serving others.
    """
    from websockets.exceptions import ConnectionClosed, ConnectionClosedError

    channels = ClientChannels([remote_port], Framing.for_subprotocol(ws.subprotocol))
    problem: list[str] = []
    closing = False

    async def local_to_pod() -> bool:
        """True when the local side ended (EOF or reset), False when the WebSocket did."""
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    return True
                await ws.send(channels.data_message(0, data))
        except ConnectionClosed:
            return False
        except (ConnectionError, OSError):
            return True

    binary = channels.framing is Framing.BINARY

    async def pod_to_local() -> None:
        try:
            async for message in ws:
                if (
                    binary
                    and type(message) is bytes
                    and len(message) > 1
                    and message[0] == 0
                    and channels.header_received(0)
                ):
                    # the bulk of the traffic: data for the one port, written without copying it
                    writer.write(memoryview(message)[1:])
                    await writer.drain()
                    continue
                for event in channels.receive(message):
                    if isinstance(event, DataReceived):
                        writer.write(event.data)
                        await writer.drain()
                    elif isinstance(event, ErrorReceived):
                        problem.append(event.message)
                        return
                    elif isinstance(event, ProtocolFailure):
                        problem.append(f"protocol error: {event.message}")
                        return
        except ConnectionClosedError as exc:
            if closing:
                return  # the local side had already ended: the user's connection is complete
            if exc.rcvd is None:
                problem.append("the port-forward stream was lost (the connection to the API server broke)")
            else:
                reason = f": {exc.rcvd.reason}" if exc.rcvd.reason else ""
                problem.append(
                    f"the port-forward stream was closed by the server (code {exc.rcvd.code}{reason})"
                )
        except (ConnectionError, OSError):
            return  # the local peer went away

    up = asyncio.ensure_future(local_to_pod())
    down = asyncio.ensure_future(pod_to_local())
    try:
        done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if down not in done:
            # local EOF: no half-close in v4, so end the stream; keep delivering what the pod already sent.
            # A stream lost after that is not reported: the local connection had already finished.
            closing = up.result()
            with contextlib.suppress(Exception):
                await ws.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(down), 10.0)
    finally:
        for task in (up, down):
            if not task.done():
                task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
        with contextlib.suppress(Exception):
            await ws.close()
        with contextlib.suppress(Exception):
            writer.close()
            await writer.wait_closed()
    return problem[0] if problem else None
