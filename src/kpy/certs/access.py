"""After the certificate: RoleBindings/ClusterRoleBindings for the new user (``--bind``), and one authenticated
request with the new credentials (SelfSubjectReview, else discovery) to prove the kubeconfig works."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.errors import ApiError, CertificateError, Conflict, NotFound, UsageError

if TYPE_CHECKING:
    from kpy.rest import RestClient

RBAC = "/apis/rbac.authorization.k8s.io/v1"
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$")


@dataclass(frozen=True)
class Binding:
    """``--bind [clusterrole/|role/]NAME[:NAMESPACE]``: a ClusterRoleBinding for a ClusterRole without a
    namespace, else a RoleBinding in NAMESPACE (to a Role there, or to a ClusterRole)."""

    role_kind: str  #: Role | ClusterRole
    role: str
    namespace: str = ""  #: "" = cluster-wide (ClusterRoleBinding)

    @classmethod
    def parse(cls, text: str) -> Binding:
        spec, _, namespace = text.partition(":")
        kind, slash, role = spec.partition("/")
        if not slash:
            kind, role = "clusterrole", spec
        kinds = {"clusterrole": "ClusterRole", "role": "Role"}
        if kind.lower() not in kinds or not role:
            raise UsageError(
                f'invalid --bind "{text}": expected [clusterrole/|role/]NAME[:NAMESPACE] (e.g. clusterrole/view, '
                "role/reader:team-a)"
            )
        role_kind = kinds[kind.lower()]
        if role_kind == "Role" and not namespace:
            raise UsageError(f'invalid --bind "{text}": a Role lives in a namespace: role/NAME:NAMESPACE')
        return cls(role_kind, role, namespace)

    def binding_name(self, user: str) -> str:
        return f"kpy-certs:{user}:{self.role}".lower()

    def describe(self) -> str:
        where = f' in namespace "{self.namespace}"' if self.namespace else " cluster-wide"
        return f"{self.role_kind.lower()}/{self.role}{where}"


def binding_object(binding: Binding, user: str) -> dict[str, Any]:
    kind = "RoleBinding" if binding.namespace else "ClusterRoleBinding"
    meta: dict[str, Any] = {
        "name": binding.binding_name(user),
        "labels": {"app.kubernetes.io/managed-by": "kpy"},
    }
    if binding.namespace:
        meta["namespace"] = binding.namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": binding.role_kind, "name": binding.role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }


def _path(binding: Binding) -> str:
    if binding.namespace:
        return f"{RBAC}/namespaces/{binding.namespace}/rolebindings"
    return f"{RBAC}/clusterrolebindings"


async def ensure_binding(client: RestClient, binding: Binding, user: str) -> str:
    """Create the binding; an existing one that already binds ``user`` to the same role is kept. Returns
    "created" or "unchanged"."""
    body = binding_object(binding, user)
    try:
        await client.request("POST", _path(binding), json=body)
        return "created"
    except Conflict:
        name = body["metadata"]["name"]
        current = (await client.request("GET", f"{_path(binding)}/{name}")).json()
        same_role = current.get("roleRef") == body["roleRef"]
        subjects = current.get("subjects") or []
        if same_role and any(s.get("kind") == "User" and s.get("name") == user for s in subjects):
            return "unchanged"
        raise CertificateError(
            f'{body["kind"].lower()} "{name}" already exists and binds something else; delete it first'
        ) from None


@dataclass(frozen=True)
class Verified:
    user: str  #: "" when only discovery could be checked
    groups: tuple[str, ...]
    method: str  #: "SelfSubjectReview" | "discovery"


async def verify(client: RestClient) -> Verified:
    """One authenticated request with the new credentials: who does the server think we are?"""
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        answer = (
            await client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", json=review)
        ).json()
        info = (answer.get("status") or {}).get("userInfo") or {}
        return Verified(str(info.get("username", "")), tuple(info.get("groups") or ()), "SelfSubjectReview")
    except (NotFound, ApiError) as exc:
        if isinstance(exc, ApiError) and exc.code == 401:
            raise CertificateError(f"the new credentials were rejected by the server: {exc}") from None
    await client.request("GET", "/api")  # discovery: authenticated (a 401 raises) even without RBAC
    return Verified("", (), "discovery")
