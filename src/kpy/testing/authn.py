"""Who is asking, and may they: the emulator's authentication (bearer tokens, client certificates, anonymous)
and its RBAC (:mod:`kpy.testing.rbac`): system:masters (the admin token, the emulator's client certificate,
plain HTTP) and ServiceAccount tokens may do everything; users added with ``Emulator.add_user``, client
certificates of other groups and ``system:anonymous`` what Roles/ClusterRoles bound to them allow (nothing
by default) beyond discovery and the public paths. The full user info (groups, uid, extra) of the request is
in :data:`kpy.testing.userinfo.CURRENT_INFO`.
"""

from __future__ import annotations

import contextvars
import ssl
import urllib.parse
from typing import Any

from aiohttp import web

from kpy.testing import rbac, status, userinfo
from kpy.testing.context import ServerContext
from kpy.testing.httpio import TRUE
from kpy.testing.resources import ResourceType
from kpy.testing.tokens import token_user

#: the emulator's administrator (the kubeconfig's token, client certificates, plain HTTP)
ADMIN = "kpy-admin"
#: paths RBAC's system:public-info-viewer role opens to everyone, system:anonymous included
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
#: the user of requests that carry no credentials (they are authorized like a user without RBAC)
ANONYMOUS = "system:anonymous"
#: the authenticated user of the request being handled (set by the middleware, in the handler's task)
CURRENT_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("kpy_emulator_user", default=None)

_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}
_EXTRA_PREFIX = "impersonate-extra-"
_AUTHN_GROUP = "authentication.k8s.io"


def authenticate(ctx: ServerContext, request: web.Request) -> str | None:
    """The user for a request (bearer token or CA-signed client certificate); bad token -> 401.

    Over plain HTTP (``Emulator(tls=False)``) the emulator plays an authenticating front like ``kubectl
    proxy``: clients send no credentials there (kubectl and kpy only send them over TLS), so every request
    is the admin user's.
    """
    info = _user_info(ctx, request)
    if info is not None and request.headers.get("Impersonate-User"):
        info = _impersonated(ctx, request, info)
    userinfo.CURRENT_INFO.set(info or userinfo.ANONYMOUS_USER)
    return info.name if info is not None else None


def _impersonated(ctx: ServerContext, request: web.Request, info: userinfo.UserInfo) -> userinfo.UserInfo:
    """``kubectl --as=USER [--as-group=G] [--as-uid=U]`` (and a kubeconfig's ``as-user-extra``): the request is
    USER's once the caller may ``impersonate`` each of them (users and groups in the core group; uids and
    ``userextras/KEY`` in authentication.k8s.io); the impersonated user is in ``system:authenticated`` as the
    apiserver's filter adds it."""
    name = request.headers["Impersonate-User"]
    groups = tuple(request.headers.getall("Impersonate-Group", ()))
    uid = request.headers.get("Impersonate-Uid", "")
    extra: dict[str, list[str]] = {}
    for header, value in request.headers.items():
        if header.lower().startswith(_EXTRA_PREFIX):
            extra.setdefault(urllib.parse.unquote(header[len(_EXTRA_PREFIX) :].lower()), []).append(value)
    wanted = [("", "users", "", name)] + [("", "groups", "", g) for g in groups]
    if uid:
        wanted.append((_AUTHN_GROUP, "uids", "", uid))
    wanted += [(_AUTHN_GROUP, "userextras", key, v) for key, values in extra.items() for v in values]
    if not (info.is_admin or info.name.startswith("system:serviceaccount:")):
        for group, resource, sub, value in wanted:
            full = f"{resource}/{sub}" if sub else resource
            if not rbac.allows(ctx.store, info, "impersonate", group, full, "", value):
                raise status.forbidden(info.name, "impersonate", resource, group, name=value, subresource=sub)
    if name != ANONYMOUS and userinfo.AUTHENTICATED not in groups:
        groups = (*groups, userinfo.AUTHENTICATED)
    return userinfo.UserInfo(name, groups, uid=uid, extra=extra)


def _user_info(ctx: ServerContext, request: web.Request) -> userinfo.UserInfo | None:
    if not ctx.tls:
        return userinfo.ADMIN
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = ctx.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None and scheme.lower() == "bearer":
            user = token_user(ctx.api, ctx.issued_tokens, token.strip())
        if user:
            return userinfo.token_user(user)
        raise status.unauthorized()
    transport = request.transport
    if transport is not None:
        cert = transport.get_extra_info("peercert")
        if cert:  # CN = user, O = groups; verified against the emulator's CA by the TLS layer
            if not valid_at(cert, ctx.store.now().timestamp()):
                raise status.unauthorized()  # the x509 authenticator: "certificate has expired ..."
            ssl_object = transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(True) if ssl_object is not None else None
            return userinfo.certificate_user(cert, der)
    return None


def valid_at(peercert: dict[str, Any], now: float) -> bool:
    """Whether a client certificate (``getpeercert()``) is within its validity times at ``now`` (Go's x509:
    not before NotBefore, not after NotAfter). The TLS layer leaves this to the authenticator, as Go's does."""
    try:
        start = ssl.cert_time_to_seconds(peercert["notBefore"])
        end = ssl.cert_time_to_seconds(peercert["notAfter"])
    except (KeyError, ValueError):
        return False
    return start <= now <= end


def is_resource_path(path: str) -> bool:
    """/api/V/... or /apis/G/V/... below the group version: authorized per resource, not per path."""
    parts = [p for p in path.split("/") if p]
    return (parts[:1] == ["api"] and len(parts) > 2) or (parts[:1] == ["apis"] and len(parts) > 3)


def authorize(
    ctx: ServerContext,
    request: web.Request,
    rt: ResourceType,
    namespace: str | None,
    name: str,
    sub: str,
    watch_segment: bool,
) -> None:
    """RBAC (:mod:`kpy.testing.rbac`) for users outside system:masters; ServiceAccount tokens may do
    everything (the emulator has no default ServiceAccount roles)."""
    info = userinfo.CURRENT_INFO.get()
    if info is None or info.is_admin or info.name.startswith("system:serviceaccount:"):
        return
    method = request.method
    if method == "GET":
        verb = "watch" if watch_segment or request.query.get("watch") in TRUE else "get" if name else "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    resource = f"{rt.resource}/{sub}" if sub else rt.resource
    if rbac.allows(ctx.store, info, verb, rt.group, resource, namespace or "", name):
        return
    scope = name if rt.resource == "namespaces" and rt.group == "" and not namespace else (namespace or "")
    raise status.forbidden(
        info.name, verb, rt.resource, rt.group, name=name, namespace=scope, subresource=sub
    )
