"""``GET pods/NAME/log``: the apiserver's checks of the options, then the text set with ``Emulator.pod_logs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from kpy.testing import status
from kpy.testing.httpio import int_param
from kpy.testing.resources import ResourceType
from kpy.testing.subresources.base import SubresourceCall

Obj = dict[str, Any]


async def pod_log(call: SubresourceCall) -> web.StreamResponse:
    if call.method != "GET":
        raise status.method_not_allowed()
    check_log_options(call.ctx.api.get, call.request, call.rt, call.namespace, call.name)
    text = call.ctx.pod_logs.get((call.namespace, call.name), "")
    return web.Response(text=text, content_type="text/plain")


def check_log_options(
    get: Callable[[ResourceType, str, str], Obj],
    request: web.Request,
    rt: ResourceType,
    namespace: str,
    name: str,
) -> None:
    """The apiserver's checks of a pods/log request, in its order: query parsing (400), PodLogOptions
    validation (422), the pod (404), the container (400)."""
    q = request.query
    ints = {
        k: int_param(request, k) if q.get(k, "") != "" else None
        for k in ("tailLines", "limitBytes", "sinceSeconds")
    }
    status.pod_log_options_invalid(
        name, ints["tailLines"], ints["limitBytes"], ints["sinceSeconds"], q.get("sinceTime", "")
    )
    pod = get(rt, namespace, name)
    container = q.get("container", "")
    spec = pod.get("spec") or {}
    # podutil.VisitContainers order: init containers, containers, ephemeral containers
    names = [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]
    if container and container not in names:
        raise status.bad_request(f"container {container} is not valid for pod {name}")
    if not container and len(spec.get("containers") or []) != 1:
        message = f"a container name must be specified for pod {name}"
        if spec.get("containers"):
            message += f", choose one of: [{' '.join(names)}]"
        raise status.bad_request(message)
