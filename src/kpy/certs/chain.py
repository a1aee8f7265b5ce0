"""The certificates an API server presents in its TLS handshake, and whether they verify.

Two handshakes: one that accepts anything (to read what is presented, even an expired or self-signed chain)
and one with the kubeconfig's CA (or the system trust store) and server name, whose failure reason (e.g.
"certificate has expired") is reported as is. The whole chain is read on Python 3.13+
(``SSLObject.get_unverified_chain``); older Pythons see the leaf certificate only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
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
    try:
        seen = await _handshake(host, port, open_ctx, name, timeout)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return ServerChain(server, error=_reason(exc))
    chain_fn = getattr(seen, "get_unverified_chain", None)  # public from Python 3.13
    ders: list[bytes] = []
    if chain_fn is not None:
        ders = [c for c in chain_fn() or [] if isinstance(c, bytes)]  # DER bytes, as documented
    if not ders:
        leaf = seen.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    certs = tuple(parse_der(d) for d in ders)
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
