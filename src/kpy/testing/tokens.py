"""``POST serviceaccounts/NAME/token``: the TokenRequest subresource (authentication.k8s.io/v1).

What kube-apiserver answers (checked against a real 1.36 server with ``kubectl create token``): the namespace is
checked first (``namespaces "x" not found``), then the ServiceAccount (``serviceaccounts "x" not found``), then
``spec.expirationSeconds`` (default 3600, at least 600), then a bound object (``pods "x" not found``); 201 with
the request echoed, ``metadata`` = the ServiceAccount's name/namespace/uid and now, and ``status.token`` +
``status.expirationTimestamp``. ``spec.audiences`` defaults to the API server's audience.

The token is an opaque random string, not a signed JWT: the emulator remembers it and authenticates it as
``system:serviceaccount:NS:NAME`` until it expires or the ServiceAccount is deleted.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.gocompat.metav1 import format_time
from kpy.testing import status

if TYPE_CHECKING:
    from kpy.testing.api import Api

Obj = dict[str, Any]

DEFAULT_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600
MAX_EXPIRATION = 1 << 32
_BOUND_KINDS = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}


@dataclass(frozen=True)
class IssuedToken:
    namespace: str
    name: str
    uid: str
    expires: dt.datetime

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"


def _invalid(value: int, detail: str) -> status.StatusError:
    return status.invalid(
        "tokenrequests",
        "authentication.k8s.io",
        "TokenRequest",
        "",
        [
            {
                "field": "spec.expirationSeconds",
                "reason": "FieldValueInvalid",
                "message": f"Invalid value: {value}: {detail}",
            }
        ],
    )


def create_token(api: Api, namespace: str, name: str, body: Any, issued: dict[str, IssuedToken]) -> Obj:
    """Issue a token for ServiceAccount ``namespace/name``; records it in ``issued`` (token → owner)."""
    from kpy.testing.resources import ResourceRegistry

    registry: ResourceRegistry = api.registry
    sa_type = registry.find("", "v1", "serviceaccounts")
    assert sa_type is not None
    if not api.store.exists(("", "namespaces"), "", namespace):
        raise status.not_found("namespaces", "", namespace)
    account = api.get(sa_type, namespace, name)
    request = body if isinstance(body, dict) else {}
    kind = request.get("kind")
    if kind not in (None, "TokenRequest"):
        raise status.bad_request(
            f"the object provided is unrecognized (must be of type TokenRequest): {kind}"
        )
    spec = dict(request.get("spec") or {})
    seconds = spec.get("expirationSeconds")
    if seconds is None:
        seconds = DEFAULT_EXPIRATION
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise status.bad_request("spec.expirationSeconds must be an integer")
    if seconds < MIN_EXPIRATION:
        raise _invalid(seconds, "may not specify a duration less than 10 minutes")
    if seconds > MAX_EXPIRATION:
        raise _invalid(seconds, "may not specify a duration larger than 2^32 seconds")
    bound = spec.get("boundObjectRef")
    if isinstance(bound, dict):
        resource = _BOUND_KINDS.get(str(bound.get("kind", "")))
        bound_type = registry.find("", "v1", resource) if resource else None
        if bound_type is None:
            raise status.bad_request(f"cannot bind token to object of type {bound.get('kind', '')}")
        api.get(bound_type, namespace if bound_type.namespaced else "", str(bound.get("name", "")))
    meta = account["metadata"]
    now = api.store.now()
    expires = now + dt.timedelta(seconds=seconds)
    token = secrets.token_urlsafe(32)
    issued[token] = IssuedToken(namespace, name, str(meta.get("uid", "")), expires)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": meta.get("uid", ""),
            "creationTimestamp": format_time(now),
        },
        "spec": {
            "audiences": list(spec.get("audiences") or [DEFAULT_AUDIENCE]),
            "expirationSeconds": seconds,
            "boundObjectRef": bound if isinstance(bound, dict) else None,
        },
        "status": {"token": token, "expirationTimestamp": format_time(expires)},
    }


def token_user(api: Api, issued: dict[str, IssuedToken], token: str) -> str | None:
    """The ServiceAccount user of an issued token still valid (not expired, its ServiceAccount not replaced)."""
    owner = issued.get(token)
    if owner is None or api.store.now() >= owner.expires:
        return None
    sa_type = api.registry.find("", "v1", "serviceaccounts")
    if sa_type is None:
        return None
    try:
        account = api.get(sa_type, owner.namespace, owner.name)
    except status.StatusError:
        return None
    if str(account["metadata"].get("uid", "")) != owner.uid:
        return None
    return owner.user
