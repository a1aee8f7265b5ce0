"""Discovery: kubectl's type resolution over both document shapes, disk cache with TTL, deferred refresh."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from tests.unit.rest import discovery_fixtures as fx
from tests.unit.rest.fakes import FakeApiServer, make_config, reply

from kpy.errors import UsageError
from kpy.rest import RestClient
from kpy.rest.discovery import AGGREGATED_ACCEPT, Discovery, cache_subdir
from kpy.rest.discovery_docs import (
    DiscoveryTable,
    ResourceInfo,
    add_aggregated,
    legacy_group_versions,
    parse_resource_list,
    resolve_type,
)


def legacy_table() -> DiscoveryTable:
    routes = fx.legacy_routes()
    table = DiscoveryTable()
    for group, versions in legacy_group_versions(routes["/api"], True) + legacy_group_versions(
        routes["/apis"], False
    ):
        table.add_group(group, versions)
        for v in versions:
            path = f"/apis/{group}/{v}" if group else f"/api/{v}"
            table.resources[(group, v)] = parse_resource_list(group, v, routes[path])
    return table


def aggregated_table() -> DiscoveryTable:
    table = DiscoveryTable()
    add_aggregated(table, fx.aggregated(core=True))
    add_aggregated(table, fx.aggregated(core=False, api_version="apidiscovery.k8s.io/v2beta1"))
    return table


TABLES = {"legacy": legacy_table, "aggregated": aggregated_table}

RESOLUTION = [
    ("pods", ("", "v1", "pods")),
    ("po", ("", "v1", "pods")),
    ("pod", ("", "v1", "pods")),
    ("Pod", ("", "v1", "pods")),
    ("PODS", ("", "v1", "pods")),
    ("pods.", ("", "v1", "pods")),
    ("svc", ("", "v1", "services")),
    ("ns", ("", "v1", "namespaces")),
    ("deploy", ("apps", "v1", "deployments")),
    ("deployment", ("apps", "v1", "deployments")),
    ("Deployment", ("apps", "v1", "deployments")),
    ("deployments.apps", ("apps", "v1", "deployments")),
    ("deploy.apps", ("apps", "v1", "deployments")),
    ("deployments.v1.apps", ("apps", "v1", "deployments")),
    ("Deployment.apps", ("apps", "v1", "deployments")),
    ("Deployment.v1.apps", ("apps", "v1", "deployments")),
    ("rs", ("apps", "v1", "replicasets")),
    ("events", ("", "v1", "events")),  # the core group wins ties
    ("ev", ("", "v1", "events")),
    ("Event", ("", "v1", "events")),
    ("events.events.k8s.io", ("events.k8s.io", "v1", "events")),
    ("ev.events.k8s.io", ("events.k8s.io", "v1", "events")),
    ("Event.events.k8s.io", ("events.k8s.io", "v1", "events")),
    ("leases", ("coordination.k8s.io", "v1", "leases")),
    ("leases.coordination.k8s.io", ("coordination.k8s.io", "v1", "leases")),
    ("crd", ("apiextensions.k8s.io", "v1", "customresourcedefinitions")),
    ("crontabs", ("stable.example.com", "v1", "crontabs")),  # preferred version
    ("ct", ("stable.example.com", "v1", "crontabs")),
    ("crontab", ("stable.example.com", "v1", "crontabs")),
    ("CronTab", ("stable.example.com", "v1", "crontabs")),
    ("crontabs.stable.example.com", ("stable.example.com", "v1", "crontabs")),
    ("CronTab.stable.example.com", ("stable.example.com", "v1", "crontabs")),
    ("crontabs.v1beta1.stable.example.com", ("stable.example.com", "v1beta1", "crontabs")),
    ("CronTab.v1beta1.stable.example.com", ("stable.example.com", "v1beta1", "crontabs")),
    ("oldwidgets", ("stable.example.com", "v1beta1", "oldwidgets")),  # only in the non-preferred version
    ("foo", None),
    ("pods.apps", None),
    ("deployments.v2.apps", None),
    ("Pod.apps", None),
    ("", None),
]


@pytest.mark.parametrize("shape", sorted(TABLES))
@pytest.mark.parametrize(("arg", "expected"), RESOLUTION)
def test_type_resolution_like_kubectls_restmapper(
    shape: str, arg: str, expected: tuple[str, str, str] | None
) -> None:
    info = resolve_type(TABLES[shape](), arg)
    assert (None if info is None else (info.group, info.version, info.resource)) == expected


@pytest.mark.parametrize("shape", sorted(TABLES))
def test_both_document_shapes_describe_the_same_resources(shape: str) -> None:
    pods = resolve_type(TABLES[shape](), "pods")
    assert pods == ResourceInfo(
        "",
        "v1",
        "pods",
        "Pod",
        True,
        "pod",
        ("po",),
        tuple(fx.VERBS),
        ("all",),
        ("status", "log", "portforward"),
    )
    assert legacy_table().ordered() == aggregated_table().ordered()
    ns = resolve_type(TABLES[shape](), "namespace")
    assert ns is not None and not ns.namespaced


@pytest.mark.parametrize(
    ("info", "args", "path"),
    [
        (("", "v1", "pods", "Pod", True), ("default", None, None), "/api/v1/namespaces/default/pods"),
        (("", "v1", "pods", "Pod", True), (None, None, None), "/api/v1/pods"),
        (
            ("", "v1", "pods", "Pod", True),
            ("ns", "web", "portforward"),
            "/api/v1/namespaces/ns/pods/web/portforward",
        ),
        (("", "v1", "nodes", "Node", False), ("default", "n1", None), "/api/v1/nodes/n1"),
        (
            ("apps", "v1", "deployments", "Deployment", True),
            ("x", "web", "scale"),
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
        ),
        (
            ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False),
            (None, None, None),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        ),
    ],
)
def test_resource_paths(info: tuple[Any, ...], args: tuple[Any, ...], path: str) -> None:
    resource = ResourceInfo(*info)
    assert resource.path(*args) == path
    assert resource.group_version == (f"{info[0]}/{info[1]}" if info[0] else info[1])


def test_cache_directory_name_matches_kubectls() -> None:
    assert cache_subdir("https://127.0.0.1:6443") == "127.0.0.1_6443"
    assert cache_subdir("https://api.example.com") == "api.example.com"
    assert cache_subdir("http://[::1]:8080/prefix") == "___1__8080/prefix"


# -- the Discovery object against a server ---------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


def serve_legacy(srv: FakeApiServer, routes: dict[str, dict[str, Any]] | None = None) -> None:
    for path, doc in (routes or fx.legacy_routes()).items():
        srv.script("GET", path, (200, doc))


def serve_aggregated(
    srv: FakeApiServer, core: dict[str, Any] | None = None, apis: dict[str, Any] | None = None
) -> None:
    def answer(doc: dict[str, Any]) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if "as=APIGroupDiscoveryList" in request.headers.get("Accept", ""):
                return reply(200, doc, content_type="application/json")
            return reply(406, {"kind": "Status", "code": 406})

        return handler

    srv.script("GET", "/api", answer(core or fx.aggregated(core=True)))
    srv.script("GET", "/apis", answer(apis or fx.aggregated(core=False)))


@pytest.fixture
async def srv() -> AsyncIterator[FakeApiServer]:
    server = await FakeApiServer().start()
    yield server
    await server.close()


@pytest.fixture
async def client(srv: FakeApiServer) -> AsyncIterator[RestClient]:
    async with RestClient(make_config(srv.url)) as c:
        yield c


async def test_aggregated_discovery_takes_two_requests(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    info = await Discovery(client, tmp_path).resolve("deploy")
    assert (info.group, info.resource) == ("apps", "deployments")
    assert sorted(srv.paths()) == ["/api", "/apis"]
    assert all(r.headers["Accept"] == AGGREGATED_ACCEPT for r in srv.requests)


async def test_legacy_server_gets_the_legacy_walk(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_legacy(srv)
    info = await Discovery(client, tmp_path).resolve("oldwidgets")
    assert info.version == "v1beta1"
    assert sorted(srv.paths()) == sorted(fx.legacy_routes())


async def test_failing_group_version_is_skipped_and_recorded(srv: FakeApiServer, client: RestClient) -> None:
    serve_legacy(srv)
    srv.script("GET", "/apis/coordination.k8s.io/v1", (503, "service unavailable", None, "text/plain"))
    discovery = Discovery(client, None)
    assert (await discovery.resolve("po")).resource == "pods"
    assert "coordination.k8s.io/v1" in discovery.failed
    with pytest.raises(UsageError):
        await discovery.resolve("leases")


async def test_second_discovery_is_served_from_the_disk_cache(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    await Discovery(client, tmp_path).resolve("pods")
    cache = tmp_path / "discovery" / cache_subdir(srv.url) / "kpy-discovery.json"
    assert cache.is_file()
    srv.requests.clear()
    info = await Discovery(client, tmp_path).resolve("ct")
    assert info.resource == "crontabs"
    assert srv.requests == []


async def test_cache_older_than_the_ttl_is_refetched(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    clock = Clock()
    await Discovery(client, tmp_path, now=clock).resolve("pods")
    cache = tmp_path / "discovery" / cache_subdir(srv.url) / "kpy-discovery.json"
    os.utime(cache, (clock.now, clock.now))
    srv.requests.clear()
    clock.now += timedelta(hours=5, minutes=59).total_seconds()
    await Discovery(client, tmp_path, now=clock).resolve("pods")
    assert srv.requests == []
    clock.now += 120
    await Discovery(client, tmp_path, now=clock).resolve("pods")
    assert sorted(srv.paths()) == ["/api", "/apis"]


async def test_custom_ttl(srv: FakeApiServer, client: RestClient, tmp_path: Path) -> None:
    serve_aggregated(srv)
    clock = Clock()
    await Discovery(client, tmp_path, ttl=timedelta(minutes=10), now=clock).resolve("pods")
    cache = tmp_path / "discovery" / cache_subdir(srv.url) / "kpy-discovery.json"
    os.utime(cache, (clock.now, clock.now))
    srv.requests.clear()
    clock.now += 601
    await Discovery(client, tmp_path, ttl=timedelta(minutes=10), now=clock).resolve("pods")
    assert len(srv.requests) == 2


async def test_unknown_type_in_a_fresh_cache_refreshes_once_and_finds_new_crds(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    await Discovery(client, tmp_path).resolve("pods")
    # a CRD appears on the server after the cache was written
    apis = fx.aggregated(core=False)
    apis["items"].append(
        {
            "metadata": {"name": "widgets.io"},
            "versions": [
                {
                    "version": "v1",
                    "resources": [
                        {
                            "resource": "widgets",
                            "responseKind": {"group": "widgets.io", "version": "v1", "kind": "Widget"},
                            "scope": "Namespaced",
                            "singularResource": "widget",
                            "verbs": ["get", "list"],
                            "shortNames": ["wd"],
                        }
                    ],
                }
            ],
        }
    )
    serve_aggregated(srv, apis=apis)
    srv.requests.clear()
    discovery = Discovery(client, tmp_path)
    assert (await discovery.resolve("wd")).kind == "Widget"
    assert sorted(srv.paths()) == ["/api", "/apis"]
    # and the refreshed cache now knows it
    srv.requests.clear()
    assert (await Discovery(client, tmp_path).resolve("Widget")).resource == "widgets"
    assert srv.requests == []


async def test_unknown_type_raises_kubectls_error_after_one_refresh_only(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    await Discovery(client, tmp_path).resolve("pods")
    srv.requests.clear()
    discovery = Discovery(client, tmp_path)
    with pytest.raises(UsageError) as info:
        await discovery.resolve("foo")
    assert str(info.value) == 'the server doesn\'t have a resource type "foo"'
    assert info.value.format() == 'error: the server doesn\'t have a resource type "foo"'
    assert len(srv.requests) == 2
    with pytest.raises(UsageError):
        await discovery.resolve("bar")
    assert len(srv.requests) == 2


async def test_concurrent_resolutions_share_one_fetch(srv: FakeApiServer, client: RestClient) -> None:
    serve_aggregated(srv)
    discovery = Discovery(client, None)
    infos = await asyncio.gather(*(discovery.resolve(a) for a in ("po", "svc", "deploy", "leases")))
    assert [i.resource for i in infos] == ["pods", "services", "deployments", "leases"]
    assert len(srv.requests) == 2


async def test_corrupt_cache_is_ignored_and_replaced(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    cache = tmp_path / "discovery" / cache_subdir(srv.url) / "kpy-discovery.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    assert (await Discovery(client, tmp_path).resolve("po")).resource == "pods"
    assert cache.read_text().startswith("{")
    assert len(srv.requests) == 2


async def test_unwritable_cache_dir_still_resolves(
    srv: FakeApiServer, client: RestClient, tmp_path: Path
) -> None:
    serve_aggregated(srv)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert (await Discovery(client, blocker).resolve("po")).resource == "pods"
