"""WebSocket upgrades on a plain blocking socket, for streams whose bytes are moved by threads.

Why not the ``websockets`` asyncio client for the data: an asyncio TLS connection allocates a buffer per TLS
record and every message passes through several Python-level buffers; a port-forward stream moving hundreds
of MiB/s spends most of its CPU there. Blocking sockets read straight into reusable buffers cost a fraction of
that (TLS is ``kpy.streams.tls.TLSStream``). ``websockets`` does the proxy tunnel (its sync ``connect``
helpers) and the handshake (its sans-I/O ``ClientProtocol``: the request, the ``Sec-WebSocket-Accept``
check, subprotocol negotiation, the error response and its body); the frames are ``kpy.streams.websocket``.

``dial`` runs in a worker thread (see ``kpy.streams.workers.run_in_thread``) and returns a
``DialedWebSocket`` whose socket is blocking, with the bytes that arrived right after the handshake in
``leftover``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpy.streams.tls import TLSStream

if TYPE_CHECKING:
    from websockets.client import ClientProtocol

#: an upgrade response head larger than this is not an API server's
MAX_HEAD = 64 << 10


@dataclass
class DialedWebSocket:
    """An upgraded WebSocket: a blocking socket (or ``TLSStream`` over one), the negotiated subprotocol, and
    the bytes received after the 101 response (the start of the first frames). ``protocol`` is the
    ``websockets`` sans-I/O client state, open, for callers that want ``websockets`` to frame their
    messages."""

    sock: socket.socket | TLSStream
    subprotocol: str | None
    leftover: bytes
    protocol: ClientProtocol

    def close(self) -> None:
        """Tear the socket down (no close frame: callers that want a clean close send it first)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def dial(
    url: str,
    headers: Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
    *,
    ssl_context: ssl.SSLContext | None,
    server_hostname: str | None,
    proxy: str | None,
    user_agent: str | None,
    timeout: float | None,
) -> DialedWebSocket:
    """Connect (through ``proxy``), wrap TLS for ``wss://``, and upgrade. Blocking.

    Raises what ``websockets`` raises: ``InvalidStatus`` (with the response and its body) for a refused
    upgrade, another ``InvalidHandshake`` for a bad answer, ``OSError``/``ssl.SSLError``/``TimeoutError``
    for the transport, ``EOFError`` when the server hangs up mid-handshake.
    """
    from websockets.client import ClientProtocol
    from websockets.http11 import Response
    from websockets.sync.client import ClientConnection, connect
    from websockets.sync.utils import Deadline
    from websockets.typing import Subprotocol

    # legacy=False: the connector object, not a connection (its open_socket/enable_tls do proxy + TLS)
    # an https:// proxy is verified with the cluster's TLS settings, as client-go's transport (and so kubectl,
    # and kpy's REST requests) does; websockets would use the system's trust store
    https_proxy = proxy is not None and proxy.lower().startswith("https://")
    connector = connect(
        url,
        legacy=False,
        ssl=ssl_context,
        server_hostname=server_hostname,
        proxy=proxy,
        proxy_ssl=ssl_context if https_proxy else None,
        user_agent_header=user_agent,
        compression=None,
        open_timeout=timeout,
    )
    assert not isinstance(connector, ClientConnection)
    deadline = Deadline(timeout)
    raw = connector.open_socket(deadline)  # through the proxy's tunnel, if any
    sock: socket.socket | TLSStream = raw
    try:
        if raw.family in (socket.AF_INET, socket.AF_INET6):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if connector.ws_uri.secure:
            sock = TLSStream(
                raw, ssl_context or ssl.create_default_context(), server_hostname or connector.ws_uri.host
            )
            raw.settimeout(deadline.timeout())
            sock.handshake()
        protocol = ClientProtocol(
            connector.ws_uri, subprotocols=[Subprotocol(s) for s in subprotocols] or None, max_size=None
        )
        request = protocol.connect()
        for name, value in headers:
            request.headers[name] = value
        if user_agent:
            request.headers["User-Agent"] = user_agent
        protocol.send_request(request)
        sock.settimeout(deadline.timeout())
        sock.sendall(b"".join(protocol.data_to_send()))
        # read the head ourselves, so the frames that follow it stay ours (see ``leftover``)
        buf = bytearray()
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > MAX_HEAD:
                raise EOFError("the upgrade response head is too large")
            chunk = sock.recv(65536)
            if not chunk:
                protocol.receive_data(bytes(buf))
                protocol.receive_eof()
                break
            buf += chunk
        else:
            protocol.receive_data(bytes(buf[: end + 4]))
        leftover = bytes(buf[end + 4 :]) if end >= 0 else b""
        response = next((e for e in protocol.events_received() if isinstance(e, Response)), None)
        while response is None and protocol.handshake_exc is None:
            # not a 101: the body (a Status) follows; websockets reads it per Content-Length
            if leftover:
                protocol.receive_data(leftover)
                leftover = b""
            else:
                chunk = sock.recv(65536)
                if chunk:
                    protocol.receive_data(chunk)
                else:
                    protocol.receive_eof()
            response = next((e for e in protocol.events_received() if isinstance(e, Response)), None)
            if response is None and protocol.state.name == "CLOSED":
                break
        if protocol.handshake_exc is not None:
            raise protocol.handshake_exc
        if response is None:
            raise EOFError("connection closed during the WebSocket handshake")
        sock.settimeout(None)
        return DialedWebSocket(sock, protocol.subprotocol, leftover, protocol)
    except BaseException:
        sock.close()
        raise
