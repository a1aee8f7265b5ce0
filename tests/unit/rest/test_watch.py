"""list_all (pager) and Reflector (client-go semantics) against scripted list/watch answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import pytest
from tests.unit.rest.fakes import FakeApiServer, make_config, status_body
from tests.unit.rest.watchserver import (
    DROP,
    END,
    PODS,
    STATUS,
    WatchScript,
    bare,
    bookmark,
    error_event,
    ev,
    pod,
    pod_list,
)

from kpy.errors import Forbidden, Gone, NotFound
from kpy.flowcontrol import ExponentialBackoffManager
from kpy.rest import RestClient
from kpy.rest.discovery_docs import ResourceInfo
from kpy.rest.watch import Reflector, WatchEvent, list_all

POD_INFO = ResourceInfo("", "v1", "pods", "Pod", True, "pod", ("po",))


@pytest.fixture
async def srv() -> AsyncIterator[FakeApiServer]:
    server = await FakeApiServer().start()
    yield server
    await server.close()


@pytest.fixture
async def client(srv: FakeApiServer) -> AsyncIterator[RestClient]:
    async with RestClient(make_config(srv.url)) as c:
        yield c


@pytest.fixture
async def script(srv: FakeApiServer) -> AsyncIterator[WatchScript]:
    s = WatchScript(srv).install()
    yield s
    s.closing.set()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def reflector(client: RestClient, sleeps: Sleeps, **kw: Any) -> Reflector:
    backoff = ExponentialBackoffManager(clock=lambda: 0.0, rand=lambda: 0.0)
    return Reflector(
        client,
        POD_INFO,
        "default",
        backoff=backoff,
        sleep=sleeps,
        rand=lambda: 0.5,
        clock=lambda: 0.0 if not kw.get("slow") else 100.0,
        **{k: v for k, v in kw.items() if k != "slow"},
    )


async def take(events: AsyncGenerator[WatchEvent, None], n: int) -> list[tuple[str, str, str, bool]]:
    """The next ``n`` events as (type, name, resourceVersion, initial)."""
    out = []
    async with asyncio.timeout(10):
        for _ in range(n):
            e = await anext(events)
            meta = e.object.get("metadata") or {}
            out.append((e.type, meta.get("name", ""), meta.get("resourceVersion", ""), e.initial))
    return out


def events_of(r: Reflector) -> AsyncGenerator[WatchEvent, None]:
    it = r.__aiter__()
    assert isinstance(it, AsyncGenerator)
    return it


# -- list_all ------------------------------------------------------------------------------------------
async def test_list_all_follows_continue_tokens(client: RestClient, script: WatchScript) -> None:
    script.lists = [
        pod_list(10, pod("a", 1), pod("b", 2), cont="t1"),
        pod_list(10, pod("c", 3), cont="t2"),
        pod_list(10, pod("d", 4)),
    ]
    result = await list_all(client, POD_INFO, "default", label_selector="app=web", chunk_size=2)
    assert [i["metadata"]["name"] for i in result.items] == ["a", "b", "c", "d"]
    assert (result.resource_version, result.kind, result.api_version) == ("10", "PodList", "v1")
    assert [q.get("continue") for q in script.list_queries] == [None, "t1", "t2"]
    assert all(q["limit"] == "2" and q["labelSelector"] == "app=web" for q in script.list_queries)


async def test_expired_continue_token_falls_back_to_one_full_list(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [
        pod_list(10, pod("a", 1), cont="t1"),
        (410, status_body(410, "Expired", "The provided continue parameter is too old")),
        pod_list(12, pod("a", 1), pod("b", 11), pod("c", 12)),
    ]
    result = await list_all(client, POD_INFO, "default", chunk_size=1)
    assert [i["metadata"]["name"] for i in result.items] == ["a", "b", "c"]
    assert result.resource_version == "12"
    assert script.list_queries[-1] == {}  # no limit, no continue


async def test_gone_on_the_first_page_is_raised(client: RestClient, script: WatchScript) -> None:
    script.lists = [(410, status_body(410, "Expired", "too old"))]
    with pytest.raises(Gone):
        await list_all(client, POD_INFO, "default")


async def test_chunk_size_zero_lists_in_one_request(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(3, pod("a", 1))]
    await list_all(client, POD_INFO, "default", chunk_size=0, field_selector="status.phase=Running")
    assert script.list_queries == [{"fieldSelector": "status.phase=Running"}]


# -- reflector ----------------------------------------------------------------------------------------
async def test_initial_list_then_synced_then_watch_from_the_list_version(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10, pod("a", 5), pod("b", 7))]
    script.watches = [[ev("ADDED", pod("c", 11)), ev("MODIFIED", pod("a", 12)), ev("DELETED", pod("b", 13))]]
    r = reflector(client, Sleeps(), label_selector="app=web")
    events = events_of(r)
    assert await take(events, 6) == [
        ("ADDED", "a", "5", True),
        ("ADDED", "b", "7", True),
        ("SYNCED", "", "", True),
        ("ADDED", "c", "11", False),
        ("MODIFIED", "a", "12", False),
        ("DELETED", "b", "13", False),
    ]
    query = script.watch_queries[0]
    assert query["resourceVersion"] == "10"
    assert query["allowWatchBookmarks"] == "true"
    assert query["watch"] == "true"
    assert query["labelSelector"] == "app=web"
    assert 300 <= int(query["timeoutSeconds"]) <= 600
    assert r.last_resource_version == "13"
    assert set(r.store) == {"default/a", "default/c"}
    await events.aclose()


async def test_list_items_get_api_version_and_kind(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10, pod("a", 5))]
    events = events_of(reflector(client, Sleeps()))
    first = await anext(events)
    assert (first.object["apiVersion"], first.object["kind"]) == ("v1", "Pod")
    await events.aclose()


async def test_transform_is_applied_to_each_item_as_its_page_arrives_and_to_watch_events(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10, pod("a", 5), cont="t1"), pod_list(10, pod("b", 7))]
    script.watches = [[ev("MODIFIED", pod("a", 12)), ev("MODIFIED", pod("a", 12))]]
    pages: list[int] = []

    def slim(obj: dict[str, Any]) -> dict[str, Any]:
        pages.append(len(script.list_queries))
        meta = obj["metadata"]
        return {
            "metadata": {"name": meta["name"], "resourceVersion": meta["resourceVersion"]},
            "k": obj["kind"],
        }

    r = reflector(client, Sleeps(), transform=slim, chunk_size=1)
    events = events_of(r)
    assert await take(events, 4) == [
        ("ADDED", "a", "5", True),
        ("ADDED", "b", "7", True),
        ("SYNCED", "", "", True),
        ("MODIFIED", "a", "12", False),
    ]
    assert pages[:2] == [1, 2]  # each item transformed before the next page was asked for
    assert r.store["default/a"] == {"metadata": {"name": "a", "resourceVersion": "12"}, "k": "Pod"}
    await events.aclose()


async def test_ended_watch_resumes_from_the_last_event_or_bookmark(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[ev("ADDED", pod("a", 11)), END], [bookmark(20), END], [ev("MODIFIED", pod("a", 21))]]
    r = reflector(client, Sleeps(), slow=True)
    events = events_of(r)
    assert await take(events, 3) == [
        ("SYNCED", "", "", True),
        ("ADDED", "a", "11", False),
        ("MODIFIED", "a", "21", False),
    ]
    assert [q["resourceVersion"] for q in script.watch_queries] == ["10", "11", "20"]
    assert r.relists == 0
    await events.aclose()


async def test_dropped_watch_resumes_after_backoff_without_relisting(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10, pod("a", 5))]
    script.watches = [[ev("MODIFIED", pod("a", 11)), DROP], [ev("MODIFIED", pod("a", 12))]]
    sleeps = Sleeps()
    r = reflector(client, sleeps)
    events = events_of(r)
    assert await take(events, 4) == [
        ("ADDED", "a", "5", True),
        ("SYNCED", "", "", True),
        ("MODIFIED", "a", "11", False),
        ("MODIFIED", "a", "12", False),
    ]
    assert [q["resourceVersion"] for q in script.watch_queries] == ["10", "11"]
    assert sleeps.calls == [0.8]
    assert len(script.list_queries) == 1
    await events.aclose()


async def test_server_errors_on_watch_are_retried_with_growing_backoff(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[(STATUS, 500)], [(STATUS, 503)], [ev("ADDED", pod("a", 11))]]
    sleeps = Sleeps()
    events = events_of(reflector(client, sleeps))
    assert await take(events, 2) == [("SYNCED", "", "", True), ("ADDED", "a", "11", False)]
    assert sleeps.calls == [0.8, 1.6]
    assert [q["resourceVersion"] for q in script.watch_queries] == ["10", "10", "10"]
    await events.aclose()


@pytest.mark.parametrize("how", ["error-event", "http-410"])
async def test_gone_relists_and_delivers_only_the_difference(
    client: RestClient, script: WatchScript, how: str
) -> None:
    script.lists = [
        pod_list(10, pod("same", 1), pod("changed", 2), pod("vanished", 3)),
        pod_list(50, pod("same", 1), pod("changed", 40), pod("new", 45)),
    ]
    first = [error_event(410)] if how == "error-event" else [(STATUS, 410)]
    script.watches = [first, [ev("ADDED", pod("later", 51))]]
    r = reflector(client, Sleeps())
    events = events_of(r)
    assert await take(events, 4) == [
        ("ADDED", "same", "1", True),
        ("ADDED", "changed", "2", True),
        ("ADDED", "vanished", "3", True),
        ("SYNCED", "", "", True),
    ]
    # deletions first, then additions/changes in list order; "same" is not delivered again
    assert await take(events, 4) == [
        ("DELETED", "vanished", "3", False),
        ("MODIFIED", "changed", "40", False),
        ("ADDED", "new", "45", False),
        ("ADDED", "later", "51", False),
    ]
    assert r.relists == 1
    assert [q["resourceVersion"] for q in script.watch_queries] == ["10", "50"]
    assert "resourceVersion" not in script.list_queries[1]  # a consistent relist
    assert set(r.store) == {"default/same", "default/changed", "default/new", "default/later"}
    await events.aclose()


async def test_recreated_object_with_new_uid_is_deleted_then_added_on_relist(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [pod_list(10, pod("a", 5, uid="one")), pod_list(30, pod("a", 25, uid="two"))]
    script.watches = [[error_event(410)]]
    events = events_of(reflector(client, Sleeps()))
    await take(events, 2)
    deleted, added = await take(events, 2)
    assert (deleted[0], deleted[2], added[0], added[2]) == ("DELETED", "5", "ADDED", "25")
    await events.aclose()


async def test_events_already_seen_are_not_delivered_twice(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10, pod("a", 5))]
    script.watches = [
        [ev("MODIFIED", pod("a", 11)), END],
        # a replay of what was already delivered, then a delete of something never seen
        [
            ev("MODIFIED", pod("a", 11)),
            ev("DELETED", pod("ghost", 12)),
            ev("ADDED", pod("a", 5)),
            ev("DELETED", pod("a", 13)),
            ev("DELETED", pod("a", 13)),
            END,
        ],
        [ev("ADDED", pod("b", 14))],
    ]
    r = reflector(client, Sleeps(), slow=True)
    events = events_of(r)
    await take(events, 2)
    got = await take(events, 3)
    assert got == [("MODIFIED", "a", "11", False), ("DELETED", "a", "13", False), ("ADDED", "b", "14", False)]
    await events.aclose()


async def test_forbidden_watch_is_raised_to_the_consumer(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[(STATUS, 403)]]
    events = events_of(reflector(client, Sleeps()))
    await take(events, 1)
    with pytest.raises(Forbidden):
        await take(events, 1)


async def test_initial_list_errors_are_raised(client: RestClient, script: WatchScript) -> None:
    script.lists = [(404, status_body(404, "NotFound", 'namespaces "nope" not found'))]
    with pytest.raises(NotFound):
        await take(events_of(reflector(client, Sleeps())), 1)


async def test_relist_failures_are_retried_until_a_list_succeeds(
    client: RestClient, script: WatchScript
) -> None:
    script.lists = [
        pod_list(10, pod("a", 5)),
        (503, status_body(503, "ServiceUnavailable", "later")),
        pod_list(20),
    ]
    script.watches = [[error_event(410)]]
    sleeps = Sleeps()
    events = events_of(reflector(client, sleeps))
    await take(events, 2)
    assert await take(events, 1) == [("DELETED", "a", "5", False)]
    assert len(sleeps.calls) == 2
    await events.aclose()


async def test_stopping_iteration_closes_the_watch(
    client: RestClient, script: WatchScript, srv: FakeApiServer
) -> None:
    script.lists = [pod_list(10)]
    events = events_of(reflector(client, Sleeps()))
    await take(events, 1)
    task = asyncio.ensure_future(anext(events))
    await script.wait_for_watches(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await events.aclose()


def test_bare_helper_strips_type_meta() -> None:
    assert "kind" not in bare(pod("a", 1)) and PODS.endswith("/pods")
