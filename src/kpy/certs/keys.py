"""Private keys, certificate signing requests, and client-go ``util/cert``'s self-signed CA and serving
certificate (pure: no I/O, no clock of its own)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KEY_TYPES = ("ecdsa-p256", "rsa-2048", "ed25519")


class KeyTypeError(ValueError):
    """An unknown ``--key-type``."""


def generate_key(key_type: str = "ecdsa-p256") -> Any:
    """A new private key of ``key_type`` (one of :data:`KEY_TYPES`)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise KeyTypeError(f'unknown key type "{key_type}": must be one of {", ".join(KEY_TYPES)}')


def _hash_for(key: Any) -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def key_pem(key: Any) -> bytes:
    """The key as PKCS#8 PEM (unencrypted: it goes into a 0600 file or a kubeconfig)."""
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def load_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None)


def _name(common_name: str, organizations: Sequence[str] = ()) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
        + [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def build_csr(key: Any, common_name: str, organizations: Sequence[str] = ()) -> bytes:
    """A PEM CERTIFICATE REQUEST with subject CN=``common_name``, O=each organization (Kubernetes reads CN as
    the user name and O as the groups), signed with ``key``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    csr = x509.CertificateSigningRequestBuilder().subject_name(_name(common_name, organizations))
    return bytes(csr.sign(key, _hash_for(key)).public_bytes(serialization.Encoding.PEM))


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes


def _ca_usage() -> Any:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=True,
        key_cert_sign=True,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def self_signed_ca(
    common_name: str, now: dt.datetime, *, days: int = 3650, key_type: str = "ecdsa-p256"
) -> Issued:
    """client-go's ``NewSelfSignedCACert``: CA:TRUE, key usages digitalSignature|keyEncipherment|certSign,
    valid from ``now`` for ``days`` (10 years by default)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = generate_key(key_type)
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _hash_for(key))
    )
    return Issued(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))


def _san(hosts: Sequence[str]) -> list[Any]:
    from cryptography import x509

    names: list[Any] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def signed_certificate(
    ca: Issued,
    common_name: str,
    now: dt.datetime,
    *,
    hosts: Sequence[str] = (),
    organizations: Sequence[str] = (),
    server: bool = True,
    client: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 365,
    key_type: str = "ecdsa-p256",
) -> Issued:
    """A leaf certificate signed by ``ca``: serving (SANs = ``hosts``, IPs as IP SANs) and/or client auth."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key: Any = load_key(ca.key_pem)
    key = generate_key(key_type)
    ekus = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + (
        [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organizations))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now)
        .not_valid_after(not_after or now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(hosts)), critical=False)
    cert = builder.sign(ca_key, _hash_for(ca_key))
    return Issued(cert.public_bytes(serialization.Encoding.PEM), key_pem(key))
