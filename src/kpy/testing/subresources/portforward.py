"""``pods/NAME/portforward`` (GET/POST): handed to the emulator's kubelet side (``ServerContext.portforward``,
served by :mod:`kpy.testing.portforward`)."""

from __future__ import annotations

from aiohttp import web

from kpy.testing import status
from kpy.testing.subresources.base import SubresourceCall


async def pod_portforward(call: SubresourceCall) -> web.StreamResponse:
    if call.method not in ("GET", "POST"):
        raise status.method_not_allowed()
    return await call.ctx.portforward(call.request, call.namespace, call.name)
