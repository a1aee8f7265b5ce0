"""certificates.k8s.io/v1 CertificateSigningRequests: validation, the ``approval`` subresource, and a signer
for ``kubernetes.io/kube-apiserver-client`` that issues from the emulator's CA (kube-controller-manager's
csrsigning controller in small).

What the real server does (kube-apiserver 1.36, checked by hand; there is no controller-manager there, so
approved CSRs stay unsigned, which is exactly "a signer that never issues"):

- create fills ``spec.username``/``uid``/``groups`` (and ``extra``) from the requesting user and drops any
  ``status``; validation order and texts are upstream's (request PEM, usages required/supported/unique,
  signerName, ``expirationSeconds`` >= 600). Usages the signer does not accept (``server auth`` for the
  client signer) are accepted at create time and turned into a ``Failed`` condition by the signer.
- ``PUT .../approval`` changes only ``status.conditions``; it needs the ``approve`` verb on
  ``signers`` (resourceName = the signerName or ``domain/*``) besides ``update`` on the subresource, else
  ``... is forbidden: user not permitted to approve requests with signerName "..."``.
- the signer issues ``expirationSeconds`` capped by its maximum (``--cluster-signing-duration``, 1 year by
  default) and raised to 10 minutes; certificates are backdated 5 minutes, and the end is backdated too
  unless the duration is under 8 hours (PermissiveSigningPolicy).

Tests steer signers with :meth:`Signers.set`: ``"sign"`` (default for the client signer), ``"never"`` (an
unknown signer, or EKS-style clusters), ``"deny"`` (an approver that denies on creation, with a reason),
``"fail"`` (the signer answers with a Failed condition).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpy.testing import status
from kpy.testing.resources import ResourceType
from kpy.testing.store import rfc3339
from kpy.testing.userinfo import UserInfo

if TYPE_CHECKING:
    from kpy.testing.api import Api

Obj = dict[str, Any]


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


GROUP = "certificates.k8s.io"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
LEGACY_SIGNER = "kubernetes.io/legacy-unknown"
MIN_SECONDS = 600
DEFAULT_MAX_DURATION = dt.timedelta(days=365)
BACKDATE = dt.timedelta(minutes=5)
SHORT = dt.timedelta(hours=8)
VALID_USAGES = (
    "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment",
    "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system",
    "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc",
    "ocsp signing", "s/mime", "server auth", "signing", "timestamping",
)  # fmt: skip
_SIGNER_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)/[^/]+$")


def is_csr(rt: ResourceType) -> bool:
    return (rt.group, rt.resource) == (GROUP, "certificatesigningrequests")


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


# ---------------------------------------------------------------------------------------------------------
# validation


def _field(reason: str, path: str, message: str) -> dict[str, str]:
    return {"reason": reason, "message": message, "field": path}


def _check_request(request: Any) -> str | None:
    """Why ``spec.request`` is not a signed PEM CERTIFICATE REQUEST (None when it is)."""
    from cryptography import x509

    try:
        raw = base64.b64decode(request, validate=True) if isinstance(request, str) else b""
    except ValueError:
        return "PEM block type must be CERTIFICATE REQUEST"
    if b"-----BEGIN CERTIFICATE REQUEST-----" not in raw:
        return "PEM block type must be CERTIFICATE REQUEST"
    try:
        csr = x509.load_pem_x509_csr(raw)
    except ValueError as exc:
        return f"asn1: structure error: {exc}"
    if not csr.is_signature_valid:
        return "x509: ECDSA verification failure"
    return None


def validate(obj: Obj, *, allow_legacy: bool = False) -> list[dict[str, str]]:
    spec = _d(obj.get("spec"))
    errors: list[dict[str, str]] = []
    why = _check_request(spec.get("request"))
    if why:
        shown = status.go_quote(str(spec.get("request") or ""))
        errors.append(_field("FieldValueInvalid", "spec.request", f"Invalid value: {shown}: {why}"))
    usages = _l(spec.get("usages"))
    if not usages:
        errors.append(_field("FieldValueRequired", "spec.usages", "Required value"))
    for i, usage in enumerate(usages):
        if usage not in VALID_USAGES:
            errors.append(status.not_supported_field(f"spec.usages[{i}]", str(usage), list(VALID_USAGES)))
    seen: set[str] = set()
    for i, usage in enumerate(usages):
        if usage in seen:
            errors.append(
                _field(
                    "FieldValueDuplicate", f"spec.usages[{i}]", f"Duplicate value: {status.go_quote(usage)}"
                )
            )
        seen.add(str(usage))
    signer = str(spec.get("signerName") or "")
    if signer == LEGACY_SIGNER and not allow_legacy:
        errors.append(
            _field(
                "FieldValueInvalid",
                "spec.signerName",
                f'Invalid value: "{signer}": the legacy signerName is not allowed via this API version',
            )
        )
    elif not signer:
        errors.append(_field("FieldValueRequired", "spec.signerName", "Required value"))
    elif not _SIGNER_RE.match(signer):
        errors.append(
            _field(
                "FieldValueInvalid",
                "spec.signerName",
                f"Invalid value: {status.go_quote(signer)}: must be a fully qualified domain and path of the "
                "form 'example.com/signer-name'",
            )
        )
    seconds = spec.get("expirationSeconds")
    if isinstance(seconds, int) and seconds < MIN_SECONDS:
        errors.append(
            _field(
                "FieldValueInvalid",
                "spec.expirationSeconds",
                f"Invalid value: {seconds}: may not specify a duration less than 600 seconds (10 minutes)",
            )
        )
    return errors


def prepare_create(body: Any, user: UserInfo) -> Obj:
    """The body to store: the requesting user's identity in ``spec``, no status (after validation)."""
    if not isinstance(body, dict):
        raise status.bad_request(
            "the object provided is unrecognized (must be of type CertificateSigningRequest)"
        )
    obj = dict(body)
    spec = dict(obj.get("spec") or {})
    for key in ("username", "uid", "groups", "extra"):
        spec.pop(key, None)
    info = user.as_dict()
    spec["username"] = info["username"]
    if "uid" in info:
        spec["uid"] = info["uid"]
    spec["groups"] = info["groups"]
    if "extra" in info:
        spec["extra"] = info["extra"]
    obj["spec"] = spec
    obj["status"] = {}
    name = str((obj.get("metadata") or {}).get("name") or "")
    errors = validate(obj)
    if errors:
        raise status.invalid("certificatesigningrequests", GROUP, "CertificateSigningRequest", name, errors)
    return obj


# ---------------------------------------------------------------------------------------------------------
# approval


def _condition(ctype: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": ctype,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
    }


def approval_forbidden(name: str, signer: str) -> status.StatusError:
    message = (
        f'certificatesigningrequests.certificates.k8s.io "{name}" is forbidden: '
        f'user not permitted to approve requests with signerName "{signer}"'
    )
    return status.StatusError(
        403,
        status.status_body(
            403, "Forbidden", message, {"name": name, "group": GROUP, "kind": "certificatesigningrequests"}
        ),
    )


def _types(conditions: list[Any], ctype: str) -> list[Any]:
    return [c for c in conditions if isinstance(c, dict) and c.get("type") == ctype]


def _check_certificate(pem_b64: Any) -> str | None:
    """upstream's validateCertificate: CERTIFICATE PEM blocks only, at least one, each parsing."""
    from cryptography import x509

    try:
        raw = base64.b64decode(pem_b64, validate=True) if isinstance(pem_b64, str) else b""
    except ValueError:
        return "must contain at least one CERTIFICATE PEM block"
    blocks = re.findall(rb"-----BEGIN ([A-Z0-9 ]+)-----", raw)
    if not blocks:
        return "must contain at least one CERTIFICATE PEM block"
    for kind in blocks:
        if kind != b"CERTIFICATE":
            return f'only CERTIFICATE PEM blocks are allowed, found "{kind.decode()}"'
    try:
        x509.load_pem_x509_certificates(raw)
    except ValueError as exc:
        return f"x509: malformed certificate: {exc}"
    return None


def validate_status_update(name: str, current: Obj, new_status: Any, *, approval: bool) -> Obj:
    """The status to store for a write to ``/approval`` (only conditions change) or ``/status`` (conditions
    except Approved/Denied, and the certificate once), or a 422 with upstream's texts."""
    old = _d(current.get("status"))
    new = _d(new_status)
    old_conds, new_conds = _l(old.get("conditions")), _l(new.get("conditions"))
    errors: list[dict[str, str]] = []
    for i, c in enumerate(new_conds):
        if not isinstance(c, dict) or not c.get("type"):
            errors.append(_field("FieldValueRequired", f"status.conditions[{i}].type", "Required value"))
        elif c.get("status") not in ("True", "False", "Unknown", None, ""):
            errors.append(
                status.not_supported_field(
                    f"status.conditions[{i}].status", str(c.get("status")), ["False", "True", "Unknown"]
                )
            )
    if _types(new_conds, "Approved") and _types(new_conds, "Denied"):
        errors.append(
            _field(
                "FieldValueInvalid",
                "status.conditions",
                'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
            )
        )
    for t in ("Approved", "Denied", "Failed"):
        if len(_types(new_conds, t)) < len(_types(old_conds, t)):
            errors.append(
                _field(
                    "FieldValueForbidden",
                    "status.conditions",
                    f'Forbidden: updates may not remove a condition of type "{t}"',
                )
            )
    stored: Obj
    if approval:
        stored = {**old, "conditions": new_conds}
    else:
        for t in ("Approved", "Denied"):
            if len(_types(new_conds, t)) > len(_types(old_conds, t)):
                errors.append(
                    _field(
                        "FieldValueForbidden",
                        "status.conditions",
                        f'Forbidden: updates may not add a condition of type "{t}"',
                    )
                )
        if len(_types(new_conds, "Approved")) == len(_types(old_conds, "Approved")) and len(
            _types(new_conds, "Denied")
        ) == len(_types(old_conds, "Denied")):  # existing Approved/Denied instances are kept as they were
            kept = {t: iter(_types(old_conds, t)) for t in ("Approved", "Denied")}
            new_conds = [next(kept[c["type"]]) if c.get("type") in kept else c for c in new_conds]
        cert = new.get("certificate")
        if cert and cert != old.get("certificate"):
            why = _check_certificate(cert)
            if why:
                errors.append(
                    _field(
                        "FieldValueInvalid",
                        "status.certificate",
                        f'Invalid value: "<certificate data>": {why}',
                    )
                )
            elif old.get("certificate"):
                errors.append(
                    _field(
                        "FieldValueForbidden",
                        "status.certificate",
                        "Forbidden: updates may not modify existing certificate content",
                    )
                )
        stored = {**new, "conditions": new_conds} if new_conds or "conditions" in new else dict(new)
    if errors:
        raise status.invalid("certificatesigningrequests", GROUP, "CertificateSigningRequest", name, errors)
    return stored


def with_defaults(conditions: list[Any], now: str) -> list[Any]:
    """Conditions as the registry stores them: status defaults to True, times are filled in."""
    out = []
    for c in conditions:
        if isinstance(c, dict):
            c = dict(c)
            c.setdefault("status", "True")
            c.setdefault("lastUpdateTime", now)
            c.setdefault("lastTransitionTime", now)
            if not c.get("status"):
                c["status"] = "True"
        out.append(c)
    return out


# ---------------------------------------------------------------------------------------------------------
# signing


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
    conditions.append(_condition("Denied", mode.reason or "Denied", mode.message or "denied by policy", now))
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
            _condition("Failed", reason, failure, now),
        ]
    else:
        pem = base64.b64decode(str(spec.get("request", "")))
        ttl = signed_duration(spec.get("expirationSeconds"), signers.max_duration)
        cert = sign(pem, usages, ttl, ca[0], ca[1], now_dt)
        new_status["certificate"] = base64.b64encode(cert).decode()
    current["status"] = new_status
    api.update(rt, "", name, current, subresource="status")
