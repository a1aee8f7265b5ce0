"""Who is asking, and may they: the emulator's authentication (bearer tokens, client certificates, anonymous)
and its all-or-nothing RBAC (the admin may do everything; users added with ``Emulator.add_user`` and
``system:anonymous`` nothing beyond discovery and the public paths).
"""

from __future__ import annotations

import contextvars

from aiohttp import web

from kpy.testing import status
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


def authenticate(ctx: ServerContext, request: web.Request) -> str | None:
    """The user for a request (bearer token or CA-signed client certificate); bad token -> 401.

    Over plain HTTP (``Emulator(tls=False)``) the emulator plays an authenticating front like ``kubectl
    proxy``: clients send no credentials there (kubectl and kpy only send them over TLS), so every request
    is the admin user's.
    """
    if not ctx.tls:
        return ADMIN
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = ctx.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None and scheme.lower() == "bearer":
            user = token_user(ctx.api, ctx.issued_tokens, token.strip())
        if user:
            return user
        raise status.unauthorized()
    transport = request.transport
    if transport is not None:
        cert = transport.get_extra_info("peercert")
        if cert:
            from kpy.testing.tls import client_common_name

            return client_common_name(cert)
    return None


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
    """RBAC for users added with :meth:`Emulator.add_user`: they may do nothing (the admin, client
    certificates and plain HTTP may do everything)."""
    user = CURRENT_USER.get()
    if user is None or user == ADMIN or (user != ANONYMOUS and user not in ctx.tokens.values()):
        return
    method = request.method
    if method == "GET":
        verb = "watch" if watch_segment or request.query.get("watch") in TRUE else "get" if name else "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    scope = name if rt.resource == "namespaces" and rt.group == "" and not namespace else (namespace or "")
    raise status.forbidden(user, verb, rt.resource, rt.group, name=name, namespace=scope, subresource=sub)
