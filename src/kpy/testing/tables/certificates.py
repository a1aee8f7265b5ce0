"""Tables of ``certificates.k8s.io``: CertificateSigningRequests (printCertificateSigningRequest); column
descriptions as a 1.36 server sends them (``kubectl get csr``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    human_duration,
    translate_timestamp_since,
)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_SIGNER_DOC = (
    "Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If "
    "empty, it will be defaulted:\n 1. If it's a kubelet client certificate, it is assigned\n    "
    '"kubernetes.io/kube-apiserver-client-kubelet".\n 2. If it\'s a kubelet serving certificate, it is '
    'assigned\n    "kubernetes.io/kubelet-serving".\n 3. Otherwise, it is assigned "kubernetes.io/legacy-unknown".'
    "\nDistribution of trust for signers happens out of band. You can select on this field using "
    "`spec.signerName`."
)
_DURATION_DOC = (
    "expirationSeconds is the requested duration of validity of the issued certificate. The certificate "
    "signer may issue a certificate with a different validity duration so a client must check the delta "
    "between the notBefore and and notAfter fields in the issued certificate to determine the actual duration."
    "\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long "
    "as the requested duration is not greater than the maximum duration they will honor per the "
    "--cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not "
    "honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree"
    "\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested "
    "duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid "
    "value for expirationSeconds is 600, i.e. 10 minutes."
)
CSR_COLUMNS = [
    NAME,
    AGE,
    Column("SignerName", description=_SIGNER_DOC),
    Column("Requestor", description="Base64-encoded PKCS#10 CSR data"),  # sic: upstream's description
    Column("RequestedDuration", description=_DURATION_DOC),
    Column("Condition", description="Conditions applied to the request, such as approval or denial."),
]


def csr_condition(csr: Obj) -> str:
    """``extractCSRStatus``: Denied over Approved over Pending, then ",Failed" and ",Issued"."""
    state = _d(csr.get("status"))
    types = {c.get("type") for c in state.get("conditions") or [] if isinstance(c, dict)}
    text = "Denied" if "Denied" in types else "Approved" if "Approved" in types else "Pending"
    if "Failed" in types:
        text += ",Failed"
    if state.get("certificate"):
        text += ",Issued"
    return text


def csr_row(csr: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = csr.get("metadata") or {}
    spec = _d(csr.get("spec"))
    seconds = spec.get("expirationSeconds")
    duration = human_duration(timedelta(seconds=seconds)) if isinstance(seconds, int) else "<none>"
    cells = [
        meta.get("name", ""),
        translate_timestamp_since(meta.get("creationTimestamp"), now),
        spec.get("signerName") or "<none>",
        spec.get("username", ""),
        duration,
        csr_condition(csr),
    ]
    return cells, None


PRINTERS: dict[tuple[str, str], Printer] = {
    ("certificates.k8s.io", "certificatesigningrequests"): (CSR_COLUMNS, csr_row),
}
