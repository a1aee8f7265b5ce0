"""A small blocking HTTP/1.1 client: the transport of ``RestClient`` when no event loop runs (one-shot commands).

aiohttp, yarl, multidict and asyncio cost ~0.3 s of CPU to import, six times what kubectl spends on a whole small
``get``. A one-shot request needs none of their concurrency, so ``RestClient`` sends it over this instead: one
socket (TLS from the same ``SSLContext``), kept alive between the requests of one command, ``Content-Length``,
chunked and read-to-close bodies, gzip/deflate answers. No proxies (``RestClient`` uses aiohttp when one is
configured) and no streaming (watches run in an event loop). Like Go's transport it asks for gzip by itself and
hands back the answer decompressed, without ``Content-Encoding``/``Content-Length``: a 3,000-event list is 2.6 MB
of JSON and ~170 KB compressed, and reading TLS records costs more CPU than inflating them. Parsing is pure (``parse_head``, ``ChunkedDecoder``)
so tests feed bytes; ``Connection`` only moves them. Failures are the standard library's exceptions:
``ConnectError`` wraps what happened while connecting, ``EOFError`` an answer cut short, ``TimeoutError`` a
passed deadline, ``BadResponse`` bytes that are not HTTP.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator, Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    import ssl

MAX_HEAD = 1 << 20  # bytes of status line + headers before the answer is refused
_RECV = 1 << 18


class ConnectError(OSError):
    """The TCP connection could not be made (``os_error`` says why: refused, unreachable, no such host)."""

    def __init__(self, os_error: OSError) -> None:
        super().__init__(os_error.errno, os_error.strerror or str(os_error))
        self.os_error = os_error


class BadResponse(OSError):
    """The server's bytes are not an HTTP/1.x answer (Go: ``malformed HTTP response``)."""


class Headers(Mapping[str, str]):
    """Response headers in arrival order; lookups ignore case, ``getall`` returns every value of a name."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._first: dict[str, str] = {}
        for name, value in items:
            self._first.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._first[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self._items)

    def getall(self, name: str, default: list[str] | None = None) -> list[str]:
        key = name.lower()
        found = [value for item, value in self._items if item.lower() == key]
        return found if found else (default if default is not None else [])

    def without(self, *names: str) -> Headers:
        """These headers less every value of ``names``."""
        drop = {name.lower() for name in names}
        return Headers([(name, value) for name, value in self._items if name.lower() not in drop])

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def parse_head(head: bytes) -> tuple[str, int, str, Headers]:
    """``HTTP/1.1 200 OK\\r\\nName: value...`` (without the blank line) → version, status, reason, headers."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise BadResponse(f"malformed HTTP response {lines[0][:64]!r}")
    items: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and items:  # obsolete line folding: part of the previous value
            name, value = items[-1]
            items[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadResponse(f"malformed MIME header line: {line[:64]}")
        items.append((name, value.strip()))
    return version, int(code), reason, Headers(items)


class ChunkedDecoder:
    """``Transfer-Encoding: chunked`` → the body. ``feed`` bytes as they arrive; ``done`` once the last chunk
    and the trailers are in; ``body`` then holds the payload and ``rest`` whatever followed."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self.done = False
        self.rest = b""

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while not self.done:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            size_text = bytes(self._buffer[:end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadResponse(f"malformed chunked encoding {size_text[:32]!r}") from None
            if size == 0:  # trailers up to a blank line
                trailer_end = self._buffer.find(b"\r\n\r\n", end)
                if self._buffer[end : end + 4] == b"\r\n\r\n":
                    trailer_end = end
                if trailer_end < 0:
                    return
                self.rest = bytes(self._buffer[trailer_end + 4 :])
                self.done = True
                return
            if len(self._buffer) < end + 2 + size + 2:
                return
            start = end + 2
            self._parts.append(bytes(self._buffer[start : start + size]))
            if self._buffer[start + size : start + size + 2] != b"\r\n":
                raise BadResponse("malformed chunked encoding")
            del self._buffer[: start + size + 2]

    @property
    def body(self) -> bytes:
        return b"".join(self._parts)


def decode_body(body: bytes, encoding: str) -> bytes:
    """Undo a ``Content-Encoding`` the server chose (kpy does not ask for one; a proxy might add it)."""
    encoding = encoding.strip().lower()
    if not body or encoding in ("", "identity"):
        return body
    import zlib

    try:
        if encoding == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise BadResponse(f"{encoding}: invalid body ({exc})") from None
    return body


class Connection:
    """One keep-alive connection to ``host:port`` (TLS when ``context`` is given)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        context: ssl.SSLContext | None,
        server_hostname: str | None = None,
        host_header: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.context = context
        self.server_hostname = server_hostname or host
        self.host_header = host_header or (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._deadline: float | None = None

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._buffer.clear()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # -- I/O with a deadline ----------------------------------------------------------------------------
    def _timeout(self) -> float | None:
        if self._deadline is None:
            return None
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline exceeded")
        return remaining

    def _connect(self) -> socket.socket:
        # An ASCII name goes to getaddrinfo and OpenSSL as bytes: the same name, without the "idna" codec that
        # a str goes through (it loads encodings.idna, stringprep and unicodedata: ~1.5 ms of start-up).
        host, name = _ascii(self.host), _ascii(self.server_hostname)
        try:
            # getaddrinfo takes bytes (typeshed types create_connection's host as str only)
            sock = socket.create_connection((host, self.port), timeout=self._timeout())  # type: ignore[arg-type]
        except (TimeoutError, ConnectError):
            raise
        except OSError as exc:
            raise ConnectError(exc) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock.settimeout(self._timeout())
                sock = self.context.wrap_socket(sock, server_hostname=name)
        except BaseException:
            sock.close()
            raise
        return sock

    def _recv(self, sock: socket.socket) -> bytes:
        sock.settimeout(self._timeout())
        return sock.recv(_RECV)

    def _read_until(self, sock: socket.socket, marker: bytes, limit: int) -> int:
        """Index of ``marker`` in the buffer, reading more until it is there (EOFError when the peer closes)."""
        start = 0
        while True:
            index = self._buffer.find(marker, start)
            if index >= 0:
                return index
            if len(self._buffer) > limit:
                raise BadResponse("response head too long")
            start = max(0, len(self._buffer) - len(marker) + 1)
            chunk = self._recv(sock)
            if not chunk:
                raise EOFError("EOF")
            self._buffer += chunk

    # -- one exchange -------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        timeout: float | None,
    ) -> tuple[int, str, Headers, bytes]:
        """Send one request and read its whole answer: (status, reason, headers, body)."""
        self._deadline = None if timeout is None else time.monotonic() + timeout
        if self._sock is None:
            self._sock = self._connect()
        sock = self._sock
        try:
            lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host_header}"]
            lines.extend(f"{name}: {value}" for name, value in headers)
            if body is not None or method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(body or b'')}")
            gzip = method != "HEAD" and not any(
                name.lower() in ("accept-encoding", "range") for name, _ in headers
            )
            if gzip:  # Go's transport asks for gzip by itself, and so kubectl gets large lists compressed
                lines.append("Accept-Encoding: gzip")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            sock.settimeout(self._timeout())
            sock.sendall(head + body if body else head)
            status, reason, response_headers, payload, keep = self._read_response(sock, method, gzip)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, reason, response_headers, payload

    def _read_response(
        self, sock: socket.socket, method: str, gzip: bool = False
    ) -> tuple[int, str, Headers, bytes, bool]:
        while True:
            end = self._read_until(sock, b"\r\n\r\n", MAX_HEAD)
            version, status, reason, headers = parse_head(bytes(self._buffer[:end]))
            del self._buffer[: end + 4]
            if not 100 <= status < 200 or status == 101:
                break  # 1xx answers (100 Continue, 103 Early Hints) precede the real one
        keep = version == "HTTP/1.1" and "close" not in headers.get("Connection", "").lower()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, reason, headers, b"", keep
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            decoder = ChunkedDecoder()
            decoder.feed(bytes(self._buffer))
            self._buffer.clear()
            while not decoder.done:
                chunk = self._recv(sock)
                if not chunk:
                    raise EOFError("unexpected EOF")
                decoder.feed(chunk)
            self._buffer += decoder.rest
            payload = decoder.body
        elif "Content-Length" in headers:
            try:
                length = int(headers["Content-Length"])
            except ValueError:
                raise BadResponse(f"bad Content-Length {headers['Content-Length']!r}") from None
            while len(self._buffer) < length:
                chunk = self._recv(sock)
                if not chunk:
                    raise EOFError("unexpected EOF")
                self._buffer += chunk
            payload = bytes(self._buffer[:length])
            del self._buffer[:length]
        else:  # no framing: the body ends when the server closes
            while True:
                chunk = self._recv(sock)
                if not chunk:
                    break
                self._buffer += chunk
            payload = bytes(self._buffer)
            self._buffer.clear()
            keep = False
        encoding = headers.get("Content-Encoding", "")
        payload = decode_body(payload, encoding)
        if (
            gzip and encoding.strip().lower() == "gzip"
        ):  # as Go's transport: the answer reads as if sent plain
            headers = headers.without("Content-Encoding", "Content-Length")
        return status, reason, headers, payload, keep


def _ascii(name: str) -> str | bytes:
    return name.encode("ascii") if name.isascii() else name
