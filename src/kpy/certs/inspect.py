"""What a certificate says: subject (CN, O), issuer, validity, CA or not (pure)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


class CertificateParseError(ValueError):
    """Bytes that hold no readable PEM certificate."""


@dataclass(frozen=True)
class CertInfo:
    subject: str  #: RFC 4514 string, e.g. "CN=alice,O=dev"
    issuer: str
    common_name: str
    organizations: tuple[str, ...]
    not_before: dt.datetime  #: aware, UTC
    not_after: dt.datetime  #: aware, UTC
    is_ca: bool
    serial: int
    dns_names: tuple[str, ...] = ()

    @property
    def lifetime(self) -> dt.timedelta:
        return self.not_after - self.not_before

    def remaining(self, now: dt.datetime) -> dt.timedelta:
        return self.not_after - now

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


def _info(cert: object) -> CertInfo:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    assert isinstance(cert, x509.Certificate)
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(str(n) for n in san.get_values_for_type(x509.DNSName)) + tuple(
            str(n) for n in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        dns = ()
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=str(cns[0].value) if cns else "",
        organizations=tuple(str(o.value) for o in orgs),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=is_ca,
        serial=cert.serial_number,
        dns_names=dns,
    )


def parse_certificates(pem: bytes) -> list[CertInfo]:
    """Every certificate in a PEM bundle, in order; :class:`CertificateParseError` when there is none or one
    is unreadable."""
    from cryptography import x509

    blocks = _PEM_RE.findall(pem)
    if not blocks:
        raise CertificateParseError("no PEM certificate found")
    out = []
    for block in blocks:
        try:
            out.append(_info(x509.load_pem_x509_certificate(block)))
        except ValueError as exc:
            raise CertificateParseError(f"unreadable certificate: {exc}") from None
    return out


def parse_der(der: bytes) -> CertInfo:
    from cryptography import x509

    try:
        return _info(x509.load_der_x509_certificate(der))
    except ValueError as exc:
        raise CertificateParseError(f"unreadable certificate: {exc}") from None
