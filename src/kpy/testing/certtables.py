"""Server-side Table rows for certificates.k8s.io (CSRs) and rbac.authorization.k8s.io, as kube-apiserver's
printers make them (pkg/printers/internalversion: printCertificateSigningRequest, printRole,
printRoleBinding); column texts as a 1.36 server sends them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kpy.testing.tables import (
    AGE,
    NAME,
    Column,
    RowFn,
    format_rfc3339,
    human_duration,
    translate_timestamp_since,
)

Obj = dict[str, Any]


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


ROLE_COLUMNS = [NAME, Column("Created At", type="date", description=AGE.description)]


def role_row(role: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = role.get("metadata") or {}
    return [meta.get("name", ""), format_rfc3339(meta.get("creationTimestamp"))], None


BINDING_COLUMNS = [
    NAME,
    Column(
        "Role",
        description="RoleRef can reference a Role in the current namespace or a ClusterRole in the "
        "global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field "
        "is immutable.",
    ),
    AGE,
    Column("Users", priority=1, description="Users in the roleBinding"),
    Column("Groups", priority=1, description="Groups in the roleBinding"),
    Column("ServiceAccounts", priority=1, description="ServiceAccounts in the roleBinding"),
]


def binding_row(binding: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = binding.get("metadata") or {}
    ref = _d(binding.get("roleRef"))
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for s in binding.get("subjects") or []:
        if not isinstance(s, dict):
            continue
        kind, name = s.get("kind"), str(s.get("name", ""))
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{s.get('namespace', '')}/{name}")
    cells = [
        meta.get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        translate_timestamp_since(meta.get("creationTimestamp"), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]
    return cells, None


PRINTERS: dict[tuple[str, str], tuple[list[Column], RowFn]] = {
    ("certificates.k8s.io", "certificatesigningrequests"): (CSR_COLUMNS, csr_row),
    ("rbac.authorization.k8s.io", "roles"): (ROLE_COLUMNS, role_row),
    ("rbac.authorization.k8s.io", "clusterroles"): (ROLE_COLUMNS, role_row),
    ("rbac.authorization.k8s.io", "rolebindings"): (BINDING_COLUMNS, binding_row),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): (BINDING_COLUMNS, binding_row),
}
