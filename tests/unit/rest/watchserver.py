"""A scripted list/watch endpoint: each list request and each watch request follows the next script entry.

Watch steps: an event dict (sent as one JSON line), ``DROP`` (connection cut mid-stream), ``END`` (clean end of
the response, like ``timeoutSeconds`` expiring), ``(STATUS, code)`` (the watch request itself fails with that
HTTP status), ``HOLD`` first (no answer at all, not even headers: a paused server). When the scripts run out a watch request just hangs until the server closes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from tests.unit.rest.fakes import FakeApiServer, reply, status_body

DROP = "drop"
END = "end"
HOLD = "hold"
STATUS = "status"
PODS = "/api/v1/namespaces/default/pods"


def pod(name: str, rv: int, uid: str | None = None, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "resourceVersion": str(rv),
            "uid": uid or f"uid-{name}",
            "labels": labels,
        },
    }


def bare(obj: dict[str, Any]) -> dict[str, Any]:
    """List items come without apiVersion/kind, as from the API server."""
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}


def pod_list(rv: int, *pods: dict[str, Any], cont: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if cont:
        meta["continue"] = cont
    return {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": [bare(p) for p in pods]}


def ev(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "object": obj}


def bookmark(rv: int) -> dict[str, Any]:
    return {
        "type": "BOOKMARK",
        "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": str(rv)}},
    }


def error_event(code: int = 410, message: str = "too old resource version: 5 (10)") -> dict[str, Any]:
    return {
        "type": "ERROR",
        "object": status_body(code, "Expired" if code == 410 else "InternalError", message),
    }


@dataclass
class WatchScript:
    server: FakeApiServer
    lists: list[Any] = field(default_factory=list)  # dict bodies or (status, body) tuples
    watches: list[list[Any]] = field(default_factory=list)
    list_queries: list[dict[str, str]] = field(default_factory=list)
    watch_queries: list[dict[str, str]] = field(default_factory=list)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    watch_started: asyncio.Condition = field(default_factory=asyncio.Condition)

    def install(self, path: str = PODS) -> WatchScript:
        self.server.script("GET", path, self._handle)
        return self

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        if query.get("watch") not in ("true", "1"):
            self.list_queries.append(query)
            answer = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
            if isinstance(answer, tuple):
                return reply(*answer)
            return reply(200, answer)
        self.watch_queries.append(query)
        async with self.watch_started:
            self.watch_started.notify_all()
        steps = self.watches.pop(0) if self.watches else []
        if steps and steps[0] == HOLD:
            await self.closing.wait()
            return web.Response(status=503)
        if steps and isinstance(steps[0], tuple) and steps[0][0] == STATUS:
            code = steps[0][1]
            return reply(
                code,
                status_body(
                    code, {410: "Expired", 403: "Forbidden"}.get(code, "InternalError"), f"status {code}"
                ),
            )
        response = web.StreamResponse()
        response.content_type = "application/json"
        await response.prepare(request)
        for step in steps:
            if step == DROP:
                assert request.transport is not None
                request.transport.abort()
                return response
            if step == END:
                await response.write_eof()
                return response
            await response.write(json.dumps(step).encode() + b"\n")
        await self.closing.wait()
        return response

    async def wait_for_watches(self, count: int) -> None:
        async with self.watch_started:
            await asyncio.wait_for(self.watch_started.wait_for(lambda: len(self.watch_queries) >= count), 10)
