"""Oracle: the real kubectl, given the same discovery documents, lists the same URL kpy resolves a type to.

A loopback server serves the fixture discovery (aggregated or legacy) and answers every list with an empty
list, recording the path kubectl asked for; kpy's ``resolve_type`` must produce that path.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from tests.unit.rest import discovery_fixtures as fx
from tests.unit.rest.test_discovery import TABLES

from kpy.rest.discovery_docs import resolve_type

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (the oracle for this test)")

ARGS = [
    "po",
    "Pod",
    "deploy",
    "deployments.apps",
    "deployments.v1.apps",
    "Deployment.apps",
    "ev",
    "events",
    "events.events.k8s.io",
    "leases",
    "crd",
    "ct",
    "CronTab",
    "crontabs.v1beta1.stable.example.com",
    "oldwidgets",
    "ns",
    "foo",
    "pods.apps",
]


class OracleServer:
    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.lists: list[str] = []
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        wants_aggregated = "as=APIGroupDiscoveryList" in request.headers.get("Accept", "")
        if self.shape == "aggregated" and path in ("/api", "/apis") and wants_aggregated:
            return web.Response(
                body=json.dumps(fx.aggregated(core=path == "/api")),
                headers={"Content-Type": fx.AGGREGATED_CONTENT_TYPE},
            )
        routes = fx.legacy_routes()
        if path in routes and (self.shape == "legacy" or path in ("/api", "/apis")):
            return web.json_response(routes[path])
        if path.startswith(("/api/", "/apis/")) and request.query.get("watch") is None:
            self.lists.append(path)
            return web.json_response(
                {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []}
            )
        return web.json_response(
            {
                "kind": "Status",
                "code": 404,
                "reason": "NotFound",
                "status": "Failure",
                "message": "not found",
            },
            status=404,
        )

    async def __aenter__(self) -> OracleServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


def kubeconfig(tmp: Path, port: int) -> Path:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "oracle",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "oracle", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
    }
    path = tmp / "kubeconfig"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(params=["aggregated", "legacy"])
async def oracle(request: pytest.FixtureRequest) -> AsyncIterator[OracleServer]:
    async with OracleServer(request.param) as server:
        yield server


async def test_kubectl_and_kpy_resolve_types_to_the_same_url(oracle: OracleServer, tmp_path: Path) -> None:
    assert oracle.server is not None and KUBECTL is not None
    config = kubeconfig(tmp_path, oracle.server.port or 0)
    limit = asyncio.Semaphore(4)

    async def kubectl_path(arg: str) -> str | None:
        async with limit:
            before = len(oracle.lists)
            proc = await asyncio.create_subprocess_exec(
                KUBECTL,
                "--kubeconfig",
                str(config),
                "--cache-dir",
                str(tmp_path / f"cache-{arg}"),
                "get",
                arg,
                "-o",
                "name",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await proc.communicate()
            if proc.returncode != 0:
                assert b"doesn't have a resource type" in err, err
                return None
            assert len(oracle.lists) > before
            return f"seen:{arg}"

    results = await asyncio.gather(*(kubectl_path(a) for a in ARGS))
    table = TABLES[oracle.shape]()
    kubectl_paths = set(oracle.lists)
    for arg, outcome in zip(ARGS, results, strict=True):
        info = resolve_type(table, arg)
        if outcome is None:
            assert info is None, f"kubectl does not know {arg!r}, kpy resolved {info}"
            continue
        assert info is not None, f"kubectl resolved {arg!r}, kpy did not"
        assert info.path("default") in kubectl_paths, (arg, info.path("default"), kubectl_paths)
