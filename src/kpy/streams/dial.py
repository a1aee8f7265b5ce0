"""WebSocket upgrades on a plain blocking socket, for streams whose bytes are moved by threads.

Why not the ``websockets`` asyncio client for the data: an asyncio TLS connection allocates a buffer per TLS
record and every message passes through several Python-level buffers; a port-forward stream moving hundreds
of MiB/s spends most of its CPU there. Blocking sockets read straight into reusable buffers cost a fraction of
that (TLS is ``kpy.streams.tls.TLSStream``). ``websockets`` opens the socket (its sync ``connect`` helpers do
the proxy tunnel); the HTTP upgrade is ``dial_upgrade`` (WebSocket: ``dial``; SPDY: the caller's headers)
and the frames are ``kpy.streams.websocket``.

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

from kpy.streams.tls import TLSStream

#: an upgrade response head larger than this is not an API server's
MAX_HEAD = 64 << 10


@dataclass
class DialedWebSocket:
    """An upgraded WebSocket: a blocking socket (or ``TLSStream`` over one), the negotiated subprotocol, and
    the bytes received after the 101 response (the start of the first frames)."""

    sock: socket.socket | TLSStream
    subprotocol: str | None
    leftover: bytes

    def close(self) -> None:
        """Tear the socket down (no close frame: callers that want a clean close send it first)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class HandshakeError(EOFError):
    """A 101 that is not a valid WebSocket answer (accept key, subprotocol)."""


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
    """Connect (through ``proxy``), wrap TLS for ``wss://``/``https://``, and upgrade to a WebSocket. Blocking.

    The handshake is RFC 6455's (``kpy.streams.websocket.new_key``/``accept_key``); subprotocols are taken as
    the API server sends them (``SPDY/3.1+portforward.k8s.io`` is not an RFC 7230 token, which strict
    parsers refuse). Raises ``UpgradeRefused`` (status, headers, body) for an answer other than 101,
    ``HandshakeError`` for a bad 101, ``OSError``/``ssl.SSLError``/``TimeoutError``/``EOFError`` for the
    transport.
    """
    from kpy.streams.websocket import accept_key, new_key

    key = new_key()
    request = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    if subprotocols:
        request.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    up = dial_upgrade(
        url,
        [*request, *headers],
        method="GET",
        ssl_context=ssl_context,
        server_hostname=server_hostname,
        proxy=proxy,
        user_agent=user_agent,
        timeout=timeout,
    )
    try:
        answer = up.headers
        if answer.get("upgrade", "").lower() != "websocket":
            raise HandshakeError(f"invalid upgrade header: {answer.get('upgrade', '')!r}")
        if answer.get("sec-websocket-accept", "") != accept_key(key):
            raise HandshakeError("invalid Sec-WebSocket-Accept header")
        chosen = answer.get("sec-websocket-protocol") or None
        if chosen is not None and chosen not in subprotocols:
            raise HandshakeError(f"unsupported subprotocol {chosen!r}")
    except BaseException:
        up.close()
        raise
    return DialedWebSocket(up.sock, chosen, up.leftover)


@dataclass
class DialedUpgrade:
    """A connection upgraded to another protocol (SPDY/3.1): blocking socket (or ``TLSStream``), the 101's
    headers (names lowercased) and the bytes received after them."""

    sock: socket.socket | TLSStream
    headers: dict[str, str]
    leftover: bytes

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class UpgradeRefused(Exception):
    """The server answered the upgrade with something other than 101: its status, headers and body."""

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


def _read_head(sock: socket.socket | TLSStream) -> tuple[bytes, bytes]:
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        if len(buf) > MAX_HEAD:
            raise EOFError("the upgrade response head is too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed during the upgrade")
        buf += chunk
    return bytes(buf[:end]), bytes(buf[end + 4 :])


def dial_upgrade(
    url: str,
    headers: Sequence[tuple[str, str]],
    *,
    method: str = "POST",
    ssl_context: ssl.SSLContext | None,
    server_hostname: str | None,
    proxy: str | None,
    user_agent: str | None,
    timeout: float | None,
) -> DialedUpgrade:
    """An HTTP/1.1 upgrade (``headers`` name the protocol: ``Upgrade: SPDY/3.1``...) on a blocking socket, through
    ``proxy``, TLS for ``https``/``wss``. Raises ``UpgradeRefused`` for a non-101 answer (with its body),
    ``OSError``/``ssl.SSLError``/``TimeoutError``/``EOFError`` for the transport."""
    from websockets.sync.client import ClientConnection, connect
    from websockets.sync.utils import Deadline

    ws_url = url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    https_proxy = proxy is not None and proxy.lower().startswith("https://")
    connector = connect(  # only for its proxy tunnel and socket (open_socket); no WebSocket here
        ws_url,
        legacy=False,
        ssl=ssl_context,
        server_hostname=server_hostname,
        proxy=proxy,
        proxy_ssl=ssl_context if https_proxy else None,
        open_timeout=timeout,
    )
    assert not isinstance(connector, ClientConnection)
    deadline = Deadline(timeout)
    raw = connector.open_socket(deadline)
    sock: socket.socket | TLSStream = raw
    uri = connector.ws_uri
    try:
        if raw.family in (socket.AF_INET, socket.AF_INET6):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if uri.secure:
            sock = TLSStream(raw, ssl_context or ssl.create_default_context(), server_hostname or uri.host)
            raw.settimeout(deadline.timeout())
            sock.handshake()
        default_port = 443 if uri.secure else 80
        host = uri.host if uri.port == default_port else f"{uri.host}:{uri.port}"
        if ":" in uri.host and not uri.host.startswith("["):
            host = f"[{uri.host}]" if uri.port == default_port else f"[{uri.host}]:{uri.port}"
        lines = [f"{method} {uri.resource_name} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if user_agent:
            lines.append(f"User-Agent: {user_agent}")
        lines.append("Content-Length: 0")
        sock.settimeout(deadline.timeout())
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head, rest = _read_head(sock)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise EOFError(f"malformed HTTP response {status_line!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        answer: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer[name.strip().lower()] = value.strip()
        if status != 101:
            body = bytearray(rest)
            size = int(answer.get("content-length", "0") or 0)
            while len(body) < min(size, 1 << 20):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            raise UpgradeRefused(status, reason, answer, bytes(body[:size]))
        sock.settimeout(None)
        return DialedUpgrade(sock, answer, rest)
    except BaseException:
        sock.close()
        raise
