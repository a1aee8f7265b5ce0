"""The emulator's shape: a bounded request log, subresources served through one registry, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aiohttp import web

from kpy.config import ConnectionFlags, load_client_config
from kpy.rest import RestClient
from kpy.testing import Emulator
from kpy.testing.requestlog import RequestLog, RequestRecord
from kpy.testing.subresources import SUBRESOURCES, SubresourceCall

SRC = Path(__file__).resolve().parents[3] / "src"


async def test_request_log_keeps_only_the_newest_requests() -> None:
    async with Emulator(request_log=3) as em:
        config = load_client_config(ConnectionFlags(kubeconfig=str(em.kubeconfig_path)), env={"HOME": "/x"})
        async with RestClient(config) as client:
            for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "default"):
                await client.get_json(f"/api/v1/namespaces/{ns}/configmaps")
        assert len(em.requests) == 3 and em.requests.total == 5
        assert [r.path for r in em.requests] == [
            "/api/v1/namespaces/kube-public/configmaps",
            "/api/v1/namespaces/kube-node-lease/configmaps",
            "/api/v1/namespaces/default/configmaps",
        ]
        assert em.requests[-1].status == 200 and em.requests[1:][0].path.endswith(
            "kube-node-lease/configmaps"
        )


def test_request_log_reads_like_a_list() -> None:
    log = RequestLog(2)
    for path in ("/a", "/b", "/c"):
        log.append(RequestRecord("GET", path, {}))
    assert [r.path for r in log[:]] == ["/b", "/c"] and log[0].path == "/b" and log.maxlen == 2
    log.clear()
    assert len(log) == 0 and log.total == 3
    with pytest.raises(ValueError):
        RequestLog(0)


async def test_a_registered_subresource_handler_serves_its_path() -> None:
    async def hello(call: SubresourceCall) -> web.StreamResponse:
        return web.json_response({"pod": call.name, "namespace": call.namespace, "sub": call.subresource})

    async with Emulator(seed=True) as em:
        SUBRESOURCES[("", "pods", "log")], saved = hello, SUBRESOURCES[("", "pods", "log")]
        try:
            config = load_client_config(
                ConnectionFlags(kubeconfig=str(em.kubeconfig_path)), env={"HOME": "/x"}
            )
            async with RestClient(config) as client:
                got = await client.get_json("/api/v1/namespaces/default/pods/web/log")
        finally:
            SUBRESOURCES[("", "pods", "log")] = saved
        assert got == {"pod": "web", "namespace": "default", "sub": "log"}


def test_no_import_cycle_inside_the_emulator() -> None:
    """Counting TYPE_CHECKING and function-level imports too: the server/faults/handlers see protocols."""
    base = SRC / "kpy" / "testing"
    mods: dict[str, Path] = {}
    for path in base.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                deps |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module
                    for a in node.names
                }
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = {d for d in deps if d in mods and d != name}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    cycles = sorted(name for name in graph if reaches(name, name, set()))
    assert cycles == []
