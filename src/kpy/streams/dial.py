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
import time
from collections.abc import Sequence
from typing import NamedTuple
from urllib.parse import urlsplit

from kpy.dataclasslite import dataclass
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


class _Target(NamedTuple):
    """Where a ``ws://``/``wss://`` URL points (what ``websockets.uri.parse_uri`` gives, for the direct path)."""

    secure: bool
    host: str
    port: int
    resource_name: str

    @classmethod
    def parse(cls, url: str) -> _Target:
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"{url} isn't a valid URI")
        port = parts.port or (443 if secure else 80)
        resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(secure, parts.hostname, port, resource)


class _Deadline:
    """The time left of ``timeout`` (None: no limit), counted from now."""

    def __init__(self, timeout: float | None) -> None:
        self.end = None if timeout is None else time.monotonic() + timeout

    def timeout(self) -> float | None:
        if self.end is None:
            return None
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left


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
    expect: int = 101,
) -> DialedUpgrade:
    """An HTTP/1.1 upgrade (``headers`` name the protocol: ``Upgrade: SPDY/3.1``...) on a blocking socket, through
    ``proxy``, TLS for ``https``/``wss``. Raises ``UpgradeRefused`` for a non-101 answer (with its body),
    ``OSError``/``ssl.SSLError``/``TimeoutError``/``EOFError`` for the transport. ``expect=200`` makes it a
    plain request whose body the caller reads from the socket (``kpy.streams.httpbody``)."""
    ws_url = url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    if proxy is None:  # a plain connection: no need for websockets (importing it costs ~40 ms of start-up)
        uri = _Target.parse(ws_url)
        deadline = _Deadline(timeout)
        raw = socket.create_connection((uri.host, uri.port), timeout=deadline.timeout())
    else:
        from websockets.sync.client import ClientConnection, connect
        from websockets.sync.utils import Deadline

        https_proxy = proxy.lower().startswith("https://")
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
        opening = Deadline(timeout)
        raw = connector.open_socket(opening)
        deadline = _Deadline(opening.timeout())
        uri = _Target(
            connector.ws_uri.secure,
            connector.ws_uri.host,
            connector.ws_uri.port,
            connector.ws_uri.resource_name,
        )
    sock: socket.socket | TLSStream = raw
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
        if status != expect:
            from kpy.streams.httpbody import read_body

            framing = answer
            if "transfer-encoding" not in answer and "content-length" not in answer:
                framing = {"content-length": "0"}  # a refusal without a length: no body to wait for
            raise UpgradeRefused(status, reason, answer, read_body(sock, framing, rest))
        sock.settimeout(None)
        return DialedUpgrade(sock, answer, rest)
    except BaseException:
        sock.close()
        raise
