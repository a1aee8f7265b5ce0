"""The certificates an API server presents in its TLS handshake, and whether they verify.

Two handshakes: one that accepts anything (to read what is presented, even an expired or self-signed chain)
and one with the kubeconfig's CA (or the system trust store) and server name, whose failure reason (e.g.
"certificate has expired") is reported as is. The whole presented chain is read: on Python 3.13+ with the
stdlib (``SSLObject.get_unverified_chain``), before that with pyOpenSSL (``Connection.get_peer_cert_chain``,
imported here only when needed); if that handshake fails, the stdlib one reports why (and reads the leaf).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from kpy.certs.inspect import CertInfo, parse_der


@dataclass(frozen=True)
class ServerChain:
    server: str
    certs: tuple[CertInfo, ...] = ()
    verify_error: str | None = None  #: why verification failed (None: verified, or not checked)
    error: str | None = None  #: the server could not be reached or spoke no TLS (no certificates then)
    verified: bool = False


def _host_port(server: str) -> tuple[str, int]:
    parts = urlsplit(server if "://" in server else f"https://{server}")
    return parts.hostname or "", parts.port or 443


async def _handshake(
    host: str, port: int, ctx: ssl.SSLContext, server_name: str, timeout: float
) -> ssl.SSLObject:
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=server_name)
    ssl_object = writer.get_extra_info("ssl_object")
    writer.close()
    with contextlib.suppress(TimeoutError, OSError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 1)
    del reader
    return ssl_object  # type: ignore[no-any-return]


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _presented_chain_pyopenssl(host: str, port: int, server_name: str, timeout: float) -> list[bytes]:
    """DER of every certificate the server presents, from a handshake that verifies nothing (blocking)."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from OpenSSL import SSL

    deadline = time.monotonic() + timeout
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setblocking(False)
        conn = SSL.Connection(ctx, sock)
        if server_name and not _is_ip(server_name):  # as the stdlib: no SNI for an IP address
            conn.set_tlsext_host_name(server_name.encode("idna"))
        conn.set_connect_state()
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                ready = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]
            except SSL.WantWriteError:
                ready = select.select([], [sock], [], max(0.0, deadline - time.monotonic()))[1]
            if not ready:
                raise TimeoutError("timed out")
        chain = conn.get_peer_cert_chain() or []  # as presented: leaf first, nothing verified
    return [c.to_cryptography().public_bytes(Encoding.DER) for c in chain]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return str(exc.verify_message or exc.reason or exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    return str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc) or type(exc).__name__


async def _open_chain(
    host: str, port: int, ctx: ssl.SSLContext, server_name: str, timeout: float
) -> tuple[CertInfo, ...]:
    seen = await _handshake(host, port, ctx, server_name, timeout)
    chain_fn = getattr(seen, "get_unverified_chain", None)  # public from Python 3.13
    ders: list[bytes] = []
    if chain_fn is not None:
        ders = [c for c in chain_fn() or [] if isinstance(c, bytes)]  # DER bytes, as documented
    if not ders:
        leaf = seen.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    return tuple(parse_der(d) for d in ders)


async def fetch_chain(
    server: str,
    *,
    ca_pem: bytes | None = None,
    tls_server_name: str | None = None,
    insecure_skip_tls_verify: bool = False,
    timeout: float = 10.0,
) -> ServerChain:
    """What ``server`` (an https URL) presents, and whether it verifies against ``ca_pem``."""
    if not server.lower().startswith("https://"):
        return ServerChain(server, error="not TLS (http://): no certificates")
    host, port = _host_port(server)
    name = tls_server_name or host
    open_ctx = ssl.create_default_context()
    open_ctx.check_hostname = False
    open_ctx.verify_mode = ssl.CERT_NONE
    ders: list[bytes] = []
    if not hasattr(ssl.SSLObject, "get_unverified_chain"):  # public from Python 3.13
        try:
            ders = await asyncio.to_thread(_presented_chain_pyopenssl, host, port, name, timeout)
        except (OSError, TimeoutError) as exc:  # refused, unresolvable, timed out: as the stdlib path says
            return ServerChain(server, error=_reason(exc))
        except Exception:  # a TLS failure: the stdlib handshake below says why, in its words
            ders = []
    if ders:
        certs = tuple(parse_der(d) for d in ders)
    else:
        try:
            certs = await _open_chain(host, port, open_ctx, name, timeout)
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            return ServerChain(server, error=_reason(exc))
    if insecure_skip_tls_verify:
        return ServerChain(server, certs, verify_error="not verified (insecure-skip-tls-verify)")
    verify_ctx = (
        ssl.create_default_context(cadata=ca_pem.decode()) if ca_pem else ssl.create_default_context()
    )
    try:
        await _handshake(host, port, verify_ctx, name, timeout)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return ServerChain(server, certs, verify_error=_reason(exc))
    return ServerChain(server, certs, verified=True)
