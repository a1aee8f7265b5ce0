"""Certificates for kubectl users (client-go's ``util/cert`` and the certificates.k8s.io/v1 CSR API).

Pure parts: :mod:`kpy.certs.keys` (private keys, CSRs, self-signed CAs and serving certificates),
:mod:`kpy.certs.inspect` (what a PEM certificate says: subject, issuer, validity), :mod:`kpy.certs.expiry`
(the rows and table of ``kpy certs check``). I/O parts: :mod:`kpy.certs.request` (the CSR flow against an API
server), :mod:`kpy.certs.chain` (the certificate chain a server presents in a TLS handshake) and
:mod:`kpy.certs.files` (writing keys and kubeconfigs with mode 0600).

Keys are generated with ``cryptography``, never logged and never leave the machine.
"""

from typing import Any

_EXPORTS = {
    "UserRequest": "kpy.certs.request",
    "request_certificate": "kpy.certs.request",
    "create_user": "kpy.certs.user",
    "fetch_chain": "kpy.certs.chain",
    "collect": "kpy.certs.check",
    "parse_certificates": "kpy.certs.inspect",
}


def __getattr__(name: str) -> Any:
    """``from kpy.certs import create_user`` without importing cryptography until it is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpy.certs' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
