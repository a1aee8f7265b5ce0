"""Test doubles for the REST layer: a scriptable aiohttp API server, fake time, fake credentials, certificates."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from kpy.config.client_config import ClientConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    header_lists: dict[str, list[str]]
    body: bytes


def status_body(code: int, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    body.update(extra)
    return body


def reply(
    status: int = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    if isinstance(body, dict | list):
        data = json.dumps(body).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body or b""
    return web.Response(status=status, body=data, headers=headers, content_type=content_type)


@dataclass
class FakeApiServer:
    """``script(method, path, *answers)``: answers are handlers or (status, body[, headers]) tuples, used in
    order (the last one repeats). Unscripted paths answer 404 with a Status. Every request is recorded."""

    ssl_context: ssl.SSLContext | None = None
    requests: list[Recorded] = field(default_factory=list)
    routes: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    server: TestServer | None = None

    def script(self, method: str, path: str, *answers: Any) -> None:
        self.routes[(method.upper(), path)] = list(answers)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                {k: request.headers.getall(k) for k in request.headers},
                body,
            )
        )
        answers = self.routes.get((request.method, request.path))
        if not answers:
            return reply(404, status_body(404, "NotFound", f"unscripted {request.method} {request.path}"))
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            result: web.StreamResponse = await answer(request)
            return result
        return reply(*answer)

    async def start(self) -> FakeApiServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server(ssl=self.ssl_context)
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.server.port}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeCredentials:
    def __init__(self, token: str = "s3cr3t-token", cert: tuple[bytes, bytes] | None = None) -> None:
        self.token = token
        self.cert = cert
        self.invalidations = 0
        self.tokens_after_invalidate: list[str] = []

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return self.cert

    def invalidate(self) -> None:
        self.invalidations += 1
        if self.tokens_after_invalidate:
            self.token = self.tokens_after_invalidate.pop(0)


def make_config(server: str, **kw: Any) -> ClientConfig:
    kw.setdefault("credentials", FakeCredentials())
    kw.setdefault("qps", -1.0)  # no throttling unless a test asks for it
    return ClientConfig(server=server, **kw)


@dataclass
class Pki:
    ca_pem: bytes
    server_cert: Path
    server_key: Path
    client_cert_pem: bytes
    client_key_pem: bytes

    def server_context(self, require_client_cert: bool = False) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server_cert, self.server_key)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cadata=self.ca_pem.decode())
        return ctx


def make_pki(
    tmp: Path,
    dns_names: tuple[str, ...] = ("kubernetes.example",),
    ip_sans: bool = False,
    ca_name: str = "kpy-test-ca",
) -> Pki:
    """A CA, a server certificate (for ``dns_names``, plus 127.0.0.1 when ``ip_sans``) and a client cert."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, sans: list[x509.GeneralName], usage: Any) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), pem_key(key)

    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    if ip_sans:
        sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server_cert, server_key = leaf("apiserver", sans, ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = leaf("jane", [], ExtendedKeyUsageOID.CLIENT_AUTH)
    (tmp / "server.crt").write_bytes(server_cert)
    (tmp / "server.key").write_bytes(server_key)
    return Pki(
        ca.public_bytes(serialization.Encoding.PEM),
        tmp / "server.crt",
        tmp / "server.key",
        client_cert,
        client_key,
    )


def first_message(ws: Any) -> bytes | str:
    """Blocking: the first data message on a ``DialedWebSocket``, read with ``kpy.streams.connection`` (run it
    in a thread when the server is on the test's loop)."""
    from kpy.streams.connection import WebSocketConnection
    from kpy.streams.websocket import OP_BINARY, Message

    event = WebSocketConnection(ws).receive()
    if not isinstance(event, Message):
        raise EOFError("the WebSocket ended before a data message")
    return event.data if event.opcode == OP_BINARY else event.text


def sends_one_message(message: Callable[[web.Request], bytes] | bytes) -> Handler:
    """A portforward-like WebSocket route (``v4.channel.k8s.io``) that sends one binary message, then closes;
    ``message`` may be computed from the request."""

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("v4.channel.k8s.io",))
        await ws.prepare(request)
        await ws.send_bytes(message(request) if callable(message) else message)
        await ws.close()
        return ws

    return handler


def connect_proxy(
    seen: list[bytes],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """An HTTP CONNECT proxy for ``asyncio.start_server``: records each request line in ``seen``, then pipes
    bytes both ways (what crosses it stays opaque, TLS included)."""

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n")[0])
        host, _, port = head.split()[1].decode().rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    return proxy
