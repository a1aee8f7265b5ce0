"""A tiny stand-in API server for forwarder tests: pods/services/workloads GET, pod list+watch, portforward.

Independent of kpy.testing.Emulator so the forwarder can be tested on its own; the portforward route is the
real ``kpy.testing.portforward.handle_portforward``. Plain HTTP on 127.0.0.1, no auth.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from kpy.testing.portforward import PortForwardSession, handle_portforward

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def make_pod(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    ports: list[dict[str, Any]] | None = None,
    uid: str | None = None,
    ready: bool = True,
    created: str = "2024-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": labels or {},
            "uid": uid or f"uid-{name}",
            "creationTimestamp": created,
        },
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": ports or []}]},
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": created}
            ],
        },
    }


class FakeApi:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}  # (resource, name) -> object
        self.rv = 1
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.changed = asyncio.Condition()
        self.backends: dict[tuple[str, int], tuple[str, int]] = {}
        self.sessions: set[PortForwardSession] = set()
        self.portforward_requests = 0
        self.url = ""
        self._servers: list[asyncio.Server] = []

    # -- state ---------------------------------------------------------------------------------------------
    async def put(self, resource: str, obj: dict[str, Any]) -> None:
        obj = copy.deepcopy(obj)
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        key = (resource, obj["metadata"]["name"])
        kind = "MODIFIED" if key in self.objects else "ADDED"
        self.objects[key] = obj
        if resource == "pods":
            self.events.append((self.rv, kind, obj))
        async with self.changed:
            self.changed.notify_all()

    async def delete_pod(self, name: str) -> None:
        obj = self.objects.pop(("pods", name))
        self.rv += 1
        self.events.append((self.rv, "DELETED", obj))
        for session in list(self.sessions):
            if session.pod == name:
                await session.abort()
        async with self.changed:
            self.changed.notify_all()

    async def backend(self, pod: str, port: int, handler: Handler) -> asyncio.Server:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        self._servers.append(server)
        self.backends[(pod, port)] = ("127.0.0.1", server.sockets[0].getsockname()[1])
        return server

    # -- routes --------------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/namespaces/{ns}/pods", self.list_pods)
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{name}/portforward", self.portforward)
        app.router.add_get("/api/v1/namespaces/{ns}/{resource}/{name}", self.get)
        app.router.add_get("/apis/apps/v1/namespaces/{ns}/{resource}/{name}", self.get)
        return app

    def _not_found(self, resource: str, name: str) -> web.Response:
        return web.json_response(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "NotFound",
                "message": f'{resource} "{name}" not found',
                "code": 404,
            },
            status=404,
        )

    async def get(self, request: web.Request) -> web.Response:
        resource, name = request.match_info["resource"], request.match_info["name"]
        obj = self.objects.get((resource, name))
        return self._not_found(resource, name) if obj is None else web.json_response(obj)

    @staticmethod
    def _matches(obj: dict[str, Any], request: web.Request) -> bool:
        fs = request.query.get("fieldSelector", "")
        if fs.startswith("metadata.name=") and obj["metadata"]["name"] != fs.split("=", 1)[1]:
            return False
        labels = obj["metadata"].get("labels") or {}
        for term in filter(None, request.query.get("labelSelector", "").split(",")):
            key, _, value = term.partition("=")
            if labels.get(key) != value:
                return False
        return True

    async def list_pods(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") in ("true", "1"):
            return await self.watch_pods(request)
        items = [o for (r, _), o in self.objects.items() if r == "pods" and self._matches(o, request)]
        return web.json_response(
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "items": items,
                "metadata": {"resourceVersion": str(self.rv)},
            }
        )

    async def watch_pods(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("resourceVersion") or self.rv)
        resp = web.StreamResponse()
        resp.content_type = "application/json"
        await resp.prepare(request)
        try:
            while True:
                for rv, kind, obj in self.events:
                    if rv > since and self._matches(obj, request):
                        await resp.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
                since = max([since, *(rv for rv, _, _ in self.events)])
                async with self.changed:
                    await self.changed.wait()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return resp

    async def portforward(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.portforward_requests += 1
        if ("pods", name) not in self.objects:
            return self._not_found("pods", name)
        ports = [int(p) for v in request.query.getall("ports") for p in v.split(",")]
        return await handle_portforward(
            request,
            namespace="default",
            pod=name,
            ports=ports,
            backend=lambda port: self.backends.get((name, port)),
            sessions=self.sessions,
            uid=self.objects[("pods", name)]["metadata"]["uid"],
        )

    def close_backends(self) -> None:
        for server in self._servers:
            server.close()


@asynccontextmanager
async def running(api: FakeApi) -> AsyncIterator[FakeApi]:
    runner = web.AppRunner(api.app(), shutdown_timeout=0.05)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield api
    finally:
        async with api.changed:
            api.changed.notify_all()
        await runner.cleanup()
        api.close_backends()


class FakeApiThread:
    """The fake API in a background thread with its own loop, for tests that drive the ``kpy`` CLI."""

    def __init__(self, tmp: Any) -> None:
        import threading

        self.api: FakeApi | None = None
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.kubeconfig = tmp / "kubeconfig"

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running(FakeApi()) as api:
            self.api = api
            self._ready.set()
            await self._stop.wait()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def __enter__(self) -> FakeApiThread:
        self._thread.start()
        assert self._ready.wait(30)
        assert self.api is not None
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
            f"clusters:\n- name: fake\n  cluster:\n    server: {self.api.url}\n"
            "users:\n- name: fake\n  user: {}\n"
            "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\n"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
