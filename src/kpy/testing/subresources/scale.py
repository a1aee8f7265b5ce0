"""``deployments|replicasets|statefulsets/NAME/scale`` over HTTP; the semantics are in :mod:`kpy.testing.scale`."""

from __future__ import annotations

from aiohttp import web

from kpy.testing import scale as scaling
from kpy.testing import status
from kpy.testing.httpio import json_response, read_body, set_write_context
from kpy.testing.subresources.base import SubresourceCall


async def scale(call: SubresourceCall) -> web.StreamResponse:
    api, rt, ns, name = call.ctx.api, call.rt, call.namespace, call.name
    if call.method in ("POST", "PUT", "PATCH"):
        set_write_context(call.request)
    if call.method == "GET":
        return json_response(scaling.get_scale(api, rt, ns, name))
    if call.method == "PUT":
        body, _ = await read_body(call.request)
        return json_response(scaling.write_scale(api, rt, ns, name, body, dry_run=call.dry_run))
    if call.method == "PATCH":
        body, kind = await read_body(call.request, patch=True)
        return json_response(scaling.patch_scale(api, rt, ns, name, kind, body, dry_run=call.dry_run))
    raise status.method_not_allowed()
