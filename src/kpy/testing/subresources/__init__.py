"""Subresource endpoints of the emulator (``pods/NAME/log``, ``pods/NAME/portforward``,
``serviceaccounts/NAME/token``, ``deployments/NAME/scale`` ...): one handler per (group, resource,
subresource) in :data:`SUBRESOURCES`. ``status`` is served by the generic resource handler, except where a
kind has rules of its own (CertificateSigningRequests).

How to extend the emulator
--------------------------
To add a resource (a built-in type): add its ``_rt(...)`` line to ``builtin_types()`` in
:mod:`kpy.testing.resources` (short names, categories, subresources as ``kubectl api-resources`` shows them),
defaults on create in :mod:`kpy.testing.defaults`, field selectors in :mod:`kpy.testing.fieldlabels`, its
server-side table in its group's module of :mod:`kpy.testing.tables`, and seed objects (optional) in
:mod:`kpy.testing.seed`. CRUD, list, watch, patch and Table then work through :class:`kpy.testing.api.Api`.

To add a subresource/endpoint: name it in the type's ``sub=(...)`` in :mod:`kpy.testing.resources` (so
discovery lists it and the path parser accepts it), write ``async def handler(call: SubresourceCall) ->
web.StreamResponse`` in a module of this package (raise :func:`kpy.testing.status.method_not_allowed` for
methods it does not serve; read the body with :func:`kpy.testing.httpio.read_body`, answer with
:func:`kpy.testing.httpio.json_response`, fail with a :class:`~kpy.testing.status.StatusError`), and add
``(group, resource, subresource): handler`` to :data:`SUBRESOURCES` below. If it needs per-emulator state
(e.g. a pod's log text), add the attribute to ``Emulator`` and to :class:`kpy.testing.context.ServerContext`.
Authentication, RBAC, fault injection and the request log happen before the handler is called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from kpy.testing.subresources.base import SubresourceCall
from kpy.testing.subresources.certificates import (
    csr_approval,
    csr_create,
    csr_status,
    self_subject_access_review,
    self_subject_review,
    self_subject_rules_review,
)
from kpy.testing.subresources.exec import pod_exec
from kpy.testing.subresources.logs import pod_log
from kpy.testing.subresources.portforward import pod_portforward
from kpy.testing.subresources.scale import scale
from kpy.testing.subresources.token import serviceaccount_token

__all__ = ["CREATES", "SUBRESOURCES", "Handler", "SubresourceCall", "create_handler_for", "handler_for"]

Handler = Callable[[SubresourceCall], Awaitable[web.StreamResponse]]

#: (group, resource, subresource) -> the handler serving it
SUBRESOURCES: dict[tuple[str, str, str], Handler] = {
    ("", "pods", "exec"): pod_exec,
    ("", "pods", "log"): pod_log,
    ("", "pods", "portforward"): pod_portforward,
    ("", "serviceaccounts", "token"): serviceaccount_token,
    ("apps", "deployments", "scale"): scale,
    ("apps", "replicasets", "scale"): scale,
    ("apps", "statefulsets", "scale"): scale,
    ("certificates.k8s.io", "certificatesigningrequests", "approval"): csr_approval,
    ("certificates.k8s.io", "certificatesigningrequests", "status"): csr_status,
}

#: (group, resource) -> the handler of a create (``POST`` to the collection) with rules of its own
CREATES: dict[tuple[str, str], Handler] = {
    ("certificates.k8s.io", "certificatesigningrequests"): csr_create,
    ("authentication.k8s.io", "selfsubjectreviews"): self_subject_review,
    ("authorization.k8s.io", "selfsubjectaccessreviews"): self_subject_access_review,
    ("authorization.k8s.io", "selfsubjectrulesreviews"): self_subject_rules_review,
}


def handler_for(group: str, resource: str, subresource: str) -> Handler | None:
    return SUBRESOURCES.get((group, resource, subresource))


def create_handler_for(group: str, resource: str) -> Handler | None:
    return CREATES.get((group, resource))
