"""The CSR flow of ``kpy certs user``: a local key, a certificates.k8s.io/v1 CertificateSigningRequest, approval
(when asked and permitted), waiting for the signer by watching the CSR, and checks of what was issued.

The private key never leaves the machine: only the CSR (public key + subject) is sent. While a CSR is pending,
its key is kept in a 0600 file under ``key_dir`` so that a second run with the same name picks the request up
again (a CSR is "ours" when its public key is that key's); it is removed once the certificate is issued.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpy.certs import files, keys
from kpy.certs.inspect import CertInfo, parse_certificates
from kpy.errors import CertificateError, Conflict, ConnectionFailed, Forbidden, NotFound

if TYPE_CHECKING:
    from kpy.rest import RestClient

CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
APPROVE_REASON = "KpyApprove"
APPROVE_MESSAGE = "This CSR was approved by kpy certs user."
#: a signer may issue a little more than asked (backdating); shorter than this much less is "shortened"
SHORTENED_SLACK = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class UserRequest:
    """What ``kpy certs user`` asks for."""

    name: str  #: the user (certificate CN) and the CSR's name
    groups: tuple[str, ...] = ()  #: certificate O fields
    expiration: dt.timedelta | None = dt.timedelta(hours=24)  #: None: the signer's default
    key_type: str = "ecdsa-p256"
    signer: str = CLIENT_SIGNER
    approve: bool = False
    wait: float = 300.0  #: seconds to wait for approval and issuance
    csr_name: str = ""  #: default: ``name``

    @property
    def csr(self) -> str:
        return self.csr_name or self.name


@dataclass(frozen=True)
class Issued:
    """The outcome: a certificate for our key, and how it compares with the request."""

    csr_name: str
    cert_pem: bytes
    key_pem: bytes = field(repr=False)
    info: CertInfo
    approved_by_us: bool
    reused: bool  #: an existing CSR of an earlier run was picked up
    requested: dt.timedelta | None
    shortened_by: dt.timedelta | None  #: the signer issued less than asked, by this much


def _duration_text(d: dt.timedelta) -> str:
    """Go's time.Duration.String() for whole seconds (24h0m0s, 10m0s)."""
    total = int(d.total_seconds())
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


def conditions(csr: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = csr.get("status")
    if not isinstance(state, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for c in state.get("conditions") or []:
        if isinstance(c, dict) and c.get("status", "True") == "True":
            out[str(c.get("type", ""))] = c
    return out


def _public_key_id(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def csr_public_key_id(csr: dict[str, Any]) -> str | None:
    from cryptography import x509

    try:
        pem = base64.b64decode(str((csr.get("spec") or {}).get("request", "")))
        return _public_key_id(x509.load_pem_x509_csr(pem).public_key())
    except ValueError:
        return None


def cert_public_key_id(cert_pem: bytes) -> str:
    from cryptography import x509

    return _public_key_id(x509.load_pem_x509_certificate(cert_pem).public_key())


def approve_command(csr_name: str) -> str:
    return f"kubectl certificate approve {csr_name}"


def csr_object(request: UserRequest, csr_pem: bytes) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "request": base64.b64encode(csr_pem).decode(),
        "signerName": request.signer,
        "usages": ["digital signature", "client auth"],
    }
    if request.expiration is not None:
        spec["expirationSeconds"] = int(request.expiration.total_seconds())
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": request.csr, "labels": {"app.kubernetes.io/managed-by": "kpy"}},
        "spec": spec,
    }


def approval_body(csr: dict[str, Any], now: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(csr))
    state = body.setdefault("status", {})
    state["conditions"] = [
        *(state.get("conditions") or []),
        {
            "type": "Approved",
            "status": "True",
            "reason": APPROVE_REASON,
            "message": APPROVE_MESSAGE,
            "lastUpdateTime": now,
        },
    ]
    return body


def check_outcome(request: UserRequest, csr: dict[str, Any]) -> bytes | None:
    """The certificate once issued; a :class:`CertificateError` for Denied/Failed; None while pending."""
    found = conditions(csr)
    name = request.csr
    for kind in ("Denied", "Failed"):
        if kind in found:
            c = found[kind]
            why = ": ".join(str(x) for x in (c.get("reason"), c.get("message")) if x)
            verb = "was denied" if kind == "Denied" else "failed"
            raise CertificateError(
                f'certificate signing request "{name}" {verb}' + (f" ({why})" if why else "")
            )
    cert = str((csr.get("status") or {}).get("certificate") or "")
    return base64.b64decode(cert) if cert else None


def timeout_error(request: UserRequest, csr: dict[str, Any], wait: float) -> CertificateError:
    waited = f"{round(wait * 1000)}ms" if wait < 1 else _duration_text(dt.timedelta(seconds=round(wait)))
    name = request.csr
    signer = str((csr.get("spec") or {}).get("signerName") or request.signer)
    if "Approved" in conditions(csr):
        return CertificateError(
            f'timed out after {waited} waiting for signer "{signer}" to issue certificate signing request '
            f'"{name}": it is approved, but nothing issued a certificate (this signer is not running on the '
            "cluster; EKS-style clusters do not sign client certificates)"
        )
    return CertificateError(
        f'timed out after {waited} waiting for certificate signing request "{name}" to be approved; '
        f"approve it with: {approve_command(name)}"
    )


def _taken(name: str, csr: dict[str, Any]) -> CertificateError:
    """A CSR of this name that this run cannot use (not our key, or one whose key is gone)."""
    found = conditions(csr)
    fix = f"delete it (kubectl delete csr {name}) or choose another name"
    if (csr.get("status") or {}).get("certificate"):
        return CertificateError(
            f'certificatesigningrequest "{name}" already exists and its certificate was issued before (a request '
            f"is used once; its key is not kept): {fix}"
        )
    if "Denied" in found:
        return CertificateError(f'certificatesigningrequest "{name}" already exists and was denied: {fix}')
    who = str((csr.get("spec") or {}).get("username") or "someone else")
    return CertificateError(
        f'certificatesigningrequest "{name}" already exists (requested by {who}) and was not created by this kpy: '
        f"{fix}"
    )


class _KeyStore:
    """Keys of pending CSRs, by CSR name, 0600 files in one directory per cluster."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path | None:
        return self.directory / f"{name}.key" if self.directory is not None else None

    def load(self, name: str) -> bytes | None:
        path = self._path(name)
        try:
            return path.read_bytes() if path is not None else None
        except OSError:
            return None

    def save(self, name: str, pem: bytes) -> None:
        path = self._path(name)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            files.write_private(path, pem)

    def drop(self, name: str) -> None:
        path = self._path(name)
        if path is not None:
            path.unlink(missing_ok=True)


def key_dir_for(cache_dir: Path, server: str) -> Path:
    """Where pending keys live for one API server (``~/.kube/cache/kpy-certs/<hash of server>``)."""
    return cache_dir.expanduser() / "kpy-certs" / hashlib.sha256(server.encode()).hexdigest()[:16]


async def _wait(
    client: RestClient, request: UserRequest, csr: dict[str, Any], deadline: float
) -> tuple[dict[str, Any], bytes]:
    """Watch the CSR until it is issued, denied or failed (raises), or the deadline passes (raises)."""
    name = request.csr
    while True:
        cert = check_outcome(request, csr)
        if cert is not None:
            return csr, cert
        left = deadline - time.monotonic()
        if left <= 0:
            raise timeout_error(request, csr, request.wait)
        params = {
            "watch": "1",
            "fieldSelector": f"metadata.name={name}",
            "resourceVersion": str(csr["metadata"].get("resourceVersion", "")),
            "timeoutSeconds": str(max(1, int(left) + 1)),
            "allowWatchBookmarks": "true",
        }
        try:
            async for line in client.stream_lines(CSRS, params=params, timeout=left):
                event = json.loads(line)
                obj = event.get("object") or {}
                if event.get("type") in ("ADDED", "MODIFIED") and obj.get("metadata", {}).get("name") == name:
                    csr = obj
                    if check_outcome(request, csr) is not None:
                        break
                elif event.get("type") == "DELETED":
                    raise CertificateError(f'certificate signing request "{name}" was deleted while waiting')
                elif event.get("type") == "ERROR":  # 410 Gone and friends: read it again
                    csr = (await client.request("GET", f"{CSRS}/{name}")).json()
                    break
        except (ValueError, TypeError):
            csr = (await client.request("GET", f"{CSRS}/{name}")).json()
        except ConnectionFailed:  # the watch dropped: look again (a down server fails this GET) and re-watch
            await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
            csr = (await client.request("GET", f"{CSRS}/{name}")).json()


async def request_certificate(
    client: RestClient,
    request: UserRequest,
    *,
    key_dir: Path | None = None,
    on_waiting: Callable[[str], None] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Issued:
    """Create (or pick up) the CSR, approve it if asked and allowed, wait for the certificate.

    ``on_waiting(message)`` is told when the run waits for someone else (approval by an administrator, or a
    signer), with the exact command to run where there is one.
    """
    store = _KeyStore(key_dir)
    name = request.csr
    key_pem = store.load(name)
    key = keys.load_key(key_pem) if key_pem else None
    csr: dict[str, Any] | None = None
    reused = False
    try:
        csr = (await client.request("GET", f"{CSRS}/{name}")).json()
    except NotFound:
        csr = None
    if csr is not None:
        theirs = csr_public_key_id(csr)
        if key is None or theirs != _public_key_id(key.public_key()):
            raise _taken(name, csr)
        reused = True
    else:
        if key is None:
            key = keys.generate_key(request.key_type)
            key_pem = keys.key_pem(key)
            store.save(name, key_pem)
        csr_pem = keys.build_csr(key, request.name, request.groups)
        csr = (await client.request("POST", CSRS, json=csr_object(request, csr_pem))).json()
    assert key is not None and key_pem is not None and csr is not None
    deadline = time.monotonic() + request.wait
    approved_by_us = False
    found = conditions(csr)
    if request.approve and not ({"Approved", "Denied", "Failed"} & found.keys()):
        stamp = now().strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            csr = (
                await client.request("PUT", f"{CSRS}/{name}/approval", json=approval_body(csr, stamp))
            ).json()
            approved_by_us = True
        except (
            Conflict
        ):  # changed meanwhile (denied, approved by someone else): the wait reads what it is now
            csr = (await client.request("GET", f"{CSRS}/{name}")).json()
        except Forbidden:
            if on_waiting is not None:
                on_waiting(
                    f'you may not approve requests for signer "{request.signer}"; waiting for an administrator '
                    f"to run: {approve_command(name)}"
                )
    elif "Approved" not in found and check_outcome(request, csr) is None and on_waiting is not None:
        on_waiting(f"waiting for an administrator to run: {approve_command(name)}")
    assert csr is not None
    csr, cert_pem = await _wait(client, request, csr, deadline)
    infos = parse_certificates(cert_pem)
    if cert_public_key_id(cert_pem) != _public_key_id(key.public_key()):
        raise CertificateError(f'the certificate issued for "{name}" is not for this request\'s key')
    store.drop(name)
    info = infos[0]
    shortened: dt.timedelta | None = None
    if request.expiration is not None and info.lifetime < request.expiration - SHORTENED_SLACK:
        shortened = request.expiration - info.lifetime
    return Issued(name, cert_pem, key_pem, info, approved_by_us, reused, request.expiration, shortened)


__all__ = ["Issued", "UserRequest", "approve_command", "key_dir_for", "request_certificate"]
