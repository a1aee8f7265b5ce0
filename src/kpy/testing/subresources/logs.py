"""``GET pods/NAME/log``: the apiserver's checks of the options, then the kubelet's reader over the container's
log buffer (``Emulator.logs``, :class:`kpy.testing.podlogs.PodLogs`)."""

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
    pod, container = check_log_options(call.ctx.api.get, call.request, call.rt, call.namespace, call.name)
    return await call.ctx.logs.serve(call.request, pod, container)


def check_log_options(
    get: Callable[[ResourceType, str, str], Obj],
    request: web.Request,
    rt: ResourceType,
    namespace: str,
    name: str,
) -> tuple[Obj, str]:
    """The apiserver's checks of a pods/log request, in its order: query parsing (400), PodLogOptions
    validation (422), the pod (404), the container (400). The pod and the container to read."""
    q = request.query
    ints = {
        k: int_param(request, k) if q.get(k, "") != "" else None
        for k in ("tailLines", "limitBytes", "sinceSeconds")
    }
    since_time = q.get("sinceTime", "")
    if since_time:
        status.check_since_time(since_time)
    status.pod_log_options_invalid(
        name, ints["tailLines"], ints["limitBytes"], ints["sinceSeconds"], since_time
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
    return pod, container or names[0]
