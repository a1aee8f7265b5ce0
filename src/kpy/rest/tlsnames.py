"""Go's wording for a server certificate that does not match the name asked for (crypto/x509 ``HostnameError``).

kubectl (Go) ignores a certificate's Common Name: a certificate without SANs never matches, and the error says
``x509: certificate relies on legacy Common Name field, use SANs instead`` when the CN would have matched. A
mismatch names the SANs and the requested name: ``x509: certificate is valid for localhost, kubernetes, not
wrong.example.com``. OpenSSL's error carries neither, so after a name mismatch :func:`peer_certificate` reads
the certificate in a second handshake that checks the chain (the same CA) but not the name, and
:func:`hostname_error` words it the Go way.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
from typing import Any

Cert = dict[str, Any]


def _sans(cert: Cert) -> tuple[list[str], list[str]]:
    dns: list[str] = []
    ips: list[str] = []
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "DNS":
            dns.append(str(value))
        elif kind == "IP Address":
            try:
                ips.append(ipaddress.ip_address(str(value).strip()).compressed)
            except ValueError:
                ips.append(str(value).strip())
    return dns, ips


def _common_name(cert: Cert) -> str:
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


def _match_hostname(pattern: str, host: str) -> bool:
    """Go's ``matchHostnames``: case-insensitive, one ``*`` label on the left only."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if not pattern or not host:
        return False
    p_labels, h_labels = pattern.split("."), host.split(".")
    if len(p_labels) != len(h_labels):
        return False
    return all(
        p == h or (i == 0 and p == "*") for i, (p, h) in enumerate(zip(p_labels, h_labels, strict=True))
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def hostname_error(host: str, cert: Cert | None) -> str:
    """The ``x509: ...`` text Go gives for ``cert`` not matching ``host`` (generic when cert is unknown)."""
    if not cert:
        return f"x509: certificate is not valid for {host}"
    dns, ips = _sans(cert)
    has_san = bool(cert.get("subjectAltName"))
    if not has_san and _match_hostname(_common_name(cert), host):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if _is_ip(host):
        if not ips:
            return f"x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
        valid = ", ".join(ips)
    else:
        valid = ", ".join(dns)
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {host}"
    return f"x509: certificate is valid for {valid}, not {host}"


def probe_context(context: ssl.SSLContext | None) -> ssl.SSLContext | None:
    """A context that verifies the chain as ``context`` does but not the name (None: nothing to verify)."""
    if context is None or context.verify_mode != ssl.CERT_REQUIRED:
        return None
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_REQUIRED
    stats = context.cert_store_stats()
    if stats.get("x509_ca"):
        for der in context.get_ca_certs(binary_form=True):
            probe.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(der))
    else:
        probe.load_default_certs(ssl.Purpose.SERVER_AUTH)
    return probe


async def peer_certificate(
    host: str, port: int, context: ssl.SSLContext | None, server_name: str, timeout: float = 5.0
) -> Cert | None:
    """The server's certificate as ``getpeercert()`` decodes it, with the chain verified but not the name.

    None when it cannot be read (no context, the chain does not verify either, the server went away).
    """
    import asyncio

    probe = probe_context(context)
    if probe is None:
        return None
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=probe, server_hostname=server_name
            )
    except (OSError, TimeoutError, ssl.SSLError):
        return None
    try:
        cert = writer.get_extra_info("peercert")
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    return cert if isinstance(cert, dict) else None
