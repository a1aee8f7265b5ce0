"""The emulator's kube-controller-manager for CSRs: which signers issue (:class:`Signers`), and the signing
itself (csrsigning's ``kubernetes.io/kube-apiserver-client`` signer: the requested ``expirationSeconds`` capped
by a maximum duration and raised to 10 minutes, certificates backdated 5 minutes, the end backdated too unless
the duration is under 8 hours, as PermissiveSigningPolicy does). Runs right after the write that makes a
request approvable (create for ``deny`` signers, approval for the others), as its own status write.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpy.gocompat.metav1 import format_time as rfc3339
from kpy.testing.certificates import CLIENT_SIGNER, condition
from kpy.testing.resources import ResourceType

if TYPE_CHECKING:
    from kpy.testing.api import Api

Obj = dict[str, Any]
DEFAULT_MAX_DURATION = dt.timedelta(days=365)
BACKDATE = dt.timedelta(minutes=5)
SHORT = dt.timedelta(hours=8)


@dataclass
class SignerMode:
    mode: str = "sign"  #: sign | never | deny | fail
    reason: str = ""
    message: str = ""


@dataclass
class Signers:
    """Which signers issue, and how long they sign for (the emulator's kube-controller-manager)."""

    max_duration: dt.timedelta = DEFAULT_MAX_DURATION
    modes: dict[str, SignerMode] = field(default_factory=lambda: {CLIENT_SIGNER: SignerMode("sign")})

    def set(self, signer: str, mode: str, reason: str = "", message: str = "") -> None:
        if mode not in ("sign", "never", "deny", "fail"):
            raise ValueError(f"unknown signer mode {mode!r}")
        self.modes[signer] = SignerMode(mode, reason, message)

    def mode(self, signer: str) -> SignerMode:
        return self.modes.get(signer, SignerMode("never"))


def usages_error(usages: list[Any]) -> str | None:
    has_client = False
    for u in usages:
        if u in ("digital signature", "key encipherment"):
            continue
        if u == "client auth":
            has_client = True
            continue
        return f"invalid usage for client certificate: {u}"
    return None if has_client else "missing required usage for client certificate: client auth"


def signed_duration(expiration_seconds: Any, max_duration: dt.timedelta) -> dt.timedelta:
    """kube-controller-manager's ``signer.duration``: the request, capped by the maximum, at least 10m."""
    if not isinstance(expiration_seconds, int):
        return max_duration
    wanted = dt.timedelta(seconds=expiration_seconds)
    return max(min(wanted, max_duration), dt.timedelta(minutes=10))


def sign(
    csr_pem: bytes,
    usages: list[Any],
    ttl: dt.timedelta,
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    now: dt.datetime,
) -> bytes:
    """Issue a certificate for ``csr_pem`` from the CA (the request's subject, the CA as issuer)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    csr = x509.load_pem_x509_csr(csr_pem)
    ca = x509.load_pem_x509_certificate(ca_cert_pem)
    key: Any = serialization.load_pem_private_key(ca_key_pem, None)
    not_before = now - BACKDATE
    not_after = now + ttl if ttl < SHORT else now + ttl - BACKDATE
    not_after = min(not_after, ca.not_valid_after_utc)
    ekus = [ExtendedKeyUsageOID.CLIENT_AUTH] if "client auth" in usages else []
    if "server auth" in usages:
        ekus.append(ExtendedKeyUsageOID.SERVER_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    if "digital signature" in usages or "key encipherment" in usages:  # Go leaves out an empty KeyUsage
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature="digital signature" in usages,
                key_encipherment="key encipherment" in usages,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def after_create(api: Api, rt: ResourceType, signers: Signers, obj: Obj) -> None:
    """A ``deny`` signer's approver denies new requests at once (as an auto-denying controller would)."""
    spec = obj.get("spec") or {}
    mode = signers.mode(str(spec.get("signerName", "")))
    if mode.mode != "deny":
        return
    now = rfc3339(api.store.now())
    name = str(obj["metadata"]["name"])
    current = api.get(rt, "", name)
    conditions = list((current.get("status") or {}).get("conditions") or [])
    conditions.append(condition("Denied", mode.reason or "Denied", mode.message or "denied by policy", now))
    current["status"] = {**(current.get("status") or {}), "conditions": conditions}
    api.update(rt, "", name, current, subresource="status")


def after_approval(api: Api, rt: ResourceType, signers: Signers, obj: Obj, ca: tuple[bytes, bytes]) -> None:
    """The signer's turn once a request is approved: issue, mark Failed, or (``never``) do nothing."""
    spec = obj.get("spec") or {}
    state = obj.get("status") or {}
    types = {c.get("type") for c in state.get("conditions") or [] if isinstance(c, dict)}
    if "Approved" not in types or "Denied" in types or "Failed" in types or state.get("certificate"):
        return
    signer = str(spec.get("signerName", ""))
    mode = signers.mode(signer)
    if mode.mode in ("never", "deny"):
        return
    now_dt = api.store.now()
    now = rfc3339(now_dt)
    usages = list(spec.get("usages") or [])
    failure = (mode.message or "signing failed") if mode.mode == "fail" else None
    if failure is None and signer == CLIENT_SIGNER:
        failure = usages_error(usages)
    name = str(obj["metadata"]["name"])
    current = api.get(rt, "", name)
    new_status = dict(current.get("status") or {})
    if failure is not None:
        reason = mode.reason or "SignerValidationFailure"
        new_status["conditions"] = [
            *(new_status.get("conditions") or []),
            condition("Failed", reason, failure, now),
        ]
    else:
        pem = base64.b64decode(str(spec.get("request", "")))
        ttl = signed_duration(spec.get("expirationSeconds"), signers.max_duration)
        cert = sign(pem, usages, ttl, ca[0], ca[1], now_dt)
        new_status["certificate"] = base64.b64encode(cert).decode()
    current["status"] = new_status
    api.update(rt, "", name, current, subresource="status")
