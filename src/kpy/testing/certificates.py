"""certificates.k8s.io/v1 CertificateSigningRequests: validation on create, and the rules of the ``approval``
and ``status`` subresources. The signer (kube-controller-manager's csrsigning in small) is
:mod:`kpy.testing.csrsigner`.

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

Tests steer signers with :meth:`kpy.testing.csrsigner.Signers.set`: ``"sign"`` (default for the client signer), ``"never"`` (an
unknown signer, or EKS-style clusters), ``"deny"`` (an approver that denies on creation, with a reason),
``"fail"`` (the signer answers with a Failed condition).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from kpy.testing import status
from kpy.testing.resources import ResourceType
from kpy.testing.userinfo import UserInfo

Obj = dict[str, Any]


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


GROUP = "certificates.k8s.io"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
LEGACY_SIGNER = "kubernetes.io/legacy-unknown"
MIN_SECONDS = 600
VALID_USAGES = (
    "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment",
    "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system",
    "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc",
    "ocsp signing", "s/mime", "server auth", "signing", "timestamping",
)  # fmt: skip
_SIGNER_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)/[^/]+$")


def is_csr(rt: ResourceType) -> bool:
    return (rt.group, rt.resource) == (GROUP, "certificatesigningrequests")


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


def condition(ctype: str, reason: str, message: str, now: str) -> Obj:
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
