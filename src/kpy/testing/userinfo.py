"""Who a request is, in full: the user info the emulator authenticates (name, uid, groups, extra), and
``POST /apis/authentication.k8s.io/v1/selfsubjectreviews`` (``kubectl auth whoami``).

What kube-apiserver 1.36 answers (checked by hand): 201 with ``metadata.creationTimestamp`` and
``status.userInfo``; a client certificate's user is its CN, its groups the O fields plus
``system:authenticated``, and its extra ``authentication.kubernetes.io/credential-id`` is
``X509SHA256=<hex of the certificate's DER>``; a token user (static token file) has ``uid`` and groups.
"""

from __future__ import annotations

import contextvars
import hashlib
from dataclasses import dataclass, field
from typing import Any

from kpy.gocompat.metav1 import format_time as rfc3339
from kpy.testing import status

ANONYMOUS = "system:anonymous"
AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = (AUTHENTICATED,)
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return MASTERS in self.groups

    def as_dict(self) -> dict[str, Any]:
        """``userInfo`` as SelfSubjectReview and CSR ``spec`` carry it (empty fields left out)."""
        out: dict[str, Any] = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra.items()}
        return out


ADMIN = UserInfo("kpy-admin", (MASTERS, AUTHENTICATED))
ANONYMOUS_USER = UserInfo(ANONYMOUS, ("system:unauthenticated",))

#: the user info of the request being handled (set by the server's middleware, in the handler's task)
CURRENT_INFO: contextvars.ContextVar[UserInfo | None] = contextvars.ContextVar(
    "kpy_emulator_userinfo", default=None
)


def token_user(name: str) -> UserInfo:
    """A static-token user (``Emulator.add_user``); the admin token is ``kpy-admin`` in system:masters."""
    if name == ADMIN.name:
        return ADMIN
    if name.startswith("system:serviceaccount:"):
        namespace = name.split(":")[2]
        return UserInfo(
            name, ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED)
        )
    return UserInfo(name, (AUTHENTICATED,))


def certificate_user(peercert: dict[str, Any], der: bytes | None) -> UserInfo | None:
    """CN = user, O = groups (x509 request authenticator), from ``SSLObject.getpeercert()``."""
    name = ""
    groups: list[str] = []
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                name = str(value)
            elif key == "organizationName":
                groups.append(str(value))
    if not name:
        return None
    extra: dict[str, list[str]] = {}
    if der:
        extra["authentication.kubernetes.io/credential-id"] = [
            f"X509SHA256={hashlib.sha256(der).hexdigest()}"
        ]
    return UserInfo(name, (*groups, AUTHENTICATED), extra=extra)


def self_subject_review(body: Any, user: UserInfo, now: Any) -> dict[str, Any]:
    """The answer to a SelfSubjectReview create."""
    if isinstance(body, dict):
        kind = body.get("kind")
        if kind not in (None, "SelfSubjectReview"):
            raise status.bad_request(
                f"the object provided is unrecognized (must be of type SelfSubjectReview): {kind}"
            )
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": rfc3339(now)},
        "status": {"userInfo": user.as_dict()},
    }
