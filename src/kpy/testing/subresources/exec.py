"""``pods/NAME/exec`` (GET/POST over WebSocket): handed to the emulator's kubelet
side (``ServerContext.exec``, served by :mod:`kpy.testing.exec`)."""

from __future__ import annotations

from aiohttp import web

from kpy.testing import status
from kpy.testing.subresources.base import SubresourceCall


async def pod_exec(call: SubresourceCall) -> web.StreamResponse:
    if call.method not in ("GET", "POST"):
        raise status.method_not_allowed()
    pod = call.ctx.api.get(call.rt, call.namespace, call.name)  # 404 Status when the pod does not exist
    return await call.ctx.exec.handle(call.request, pod, call.subresource)
