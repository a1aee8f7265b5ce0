"""Watch semantics copied from the apiserver's watch cache (staging/src/k8s.io/apiserver/pkg/storage/cacher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from tests.integration.clihelpers import pod
from tests.integration.emulator.conftest import Client

PODS = "/api/v1/namespaces/default/pods"


async def take(stream: AsyncIterator[dict[str, Any]], n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    out = []
    async with asyncio.timeout(timeout):
        async for ev in stream:
            if ev["type"] == "BOOKMARK":
                continue
            out.append(ev)
            if len(out) == n:
                break
    return out


def brief(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"]["name"]) for e in events]


async def test_watch_without_resource_version_starts_with_synthetic_added_events(client: Client) -> None:
    """Upstream: resourceVersion "" / "0" sends the current state as ADDED, then the changes."""
    await client.call("POST", PODS, pod("a"))
    for rv, existing in (("", ["a"]), ("0", ["a", "b"])):
        stream = client.watch(PODS, {"resourceVersion": rv} if rv else {})
        first = await take(stream, len(existing))
        assert brief(first) == [("ADDED", name) for name in existing]
        await client.call("POST", PODS, pod(f"b{rv}"))
        assert brief(await take(stream, 1)) == [("ADDED", f"b{rv}")]
        await stream.aclose()


async def test_watch_from_a_resource_version_replays_later_changes_only(client: Client) -> None:
    """Upstream: resourceVersion N delivers every change with a resourceVersion greater than N, in order."""
    _, a = await client.call("POST", PODS, pod("a"))
    a["metadata"]["labels"] = {"x": "1"}
    await client.call("PUT", PODS + "/a", a)
    await client.call("DELETE", PODS + "/a")
    events = await take(client.watch(PODS, {"resourceVersion": a["metadata"]["resourceVersion"]}), 2)
    assert brief(events) == [("MODIFIED", "a"), ("DELETED", "a")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(a["metadata"]["resourceVersion"])


async def test_watch_from_a_compacted_resource_version_is_an_error_event_with_410(client: Client) -> None:
    """Upstream: 'too old resource version: N (M)' as an ERROR event carrying a 410 Expired Status."""
    _, a = await client.call("POST", PODS, pod("a"))
    await client.call("POST", PODS, pod("b"))
    newest = client.em.faults.compact()
    events = await take(client.watch(PODS, {"resourceVersion": a["metadata"]["resourceVersion"]}), 1)
    assert events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: {a['metadata']['resourceVersion']} ({newest})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]


async def test_history_window_bounds_what_can_be_replayed() -> None:
    """Upstream: the watch cache keeps a bounded window of events; older resourceVersions are 410."""
    from kpy.testing import Emulator

    async with Emulator(history_window=3) as em:
        c = Client(em)
        try:
            _, first = await c.call("POST", PODS, pod("a"))
            for name in ("b", "c", "d", "e"):
                await c.call("POST", PODS, pod(name))
            events = await take(c.watch(PODS, {"resourceVersion": first["metadata"]["resourceVersion"]}), 1)
            assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
        finally:
            await c.session.close()


async def test_objects_leaving_a_selector_are_deleted_and_entering_are_added(client: Client) -> None:
    """Upstream: cacheWatcher sends DELETED (previous object, new resourceVersion) when an update makes an
    object stop matching, and ADDED when it starts matching."""
    _, a = await client.call("POST", PODS, pod("a", labels={"sel": "yes"}))
    stream = client.watch(
        PODS, {"labelSelector": "sel=yes", "resourceVersion": a["metadata"]["resourceVersion"]}
    )
    patch = "application/merge-patch+json"
    _, out = await client.call(
        "PATCH", PODS + "/a", {"metadata": {"labels": {"sel": "no"}}}, content_type=patch
    )
    await client.call("PATCH", PODS + "/a", {"metadata": {"labels": {"sel": "yes"}}}, content_type=patch)
    await client.call("PATCH", PODS + "/a", {"metadata": {"labels": {"other": "1"}}}, content_type=patch)
    events = await take(stream, 3)
    assert brief(events) == [("DELETED", "a"), ("ADDED", "a"), ("MODIFIED", "a")]
    assert events[0]["object"]["metadata"]["labels"] == {"sel": "yes"}
    assert events[0]["object"]["metadata"]["resourceVersion"] == out["metadata"]["resourceVersion"]


async def test_field_selector_on_watch_and_watch_path_with_a_name(client: Client) -> None:
    """Upstream: /watch/namespaces/NS/pods/NAME is a watch with fieldSelector metadata.name=NAME."""
    _, a = await client.call("POST", PODS, pod("a"))
    rv = a["metadata"]["resourceVersion"]
    stream = client.watch("/api/v1/watch/namespaces/default/pods/b", {"resourceVersion": rv})
    await client.call("POST", PODS, pod("c"))
    await client.call("POST", PODS, pod("b"))
    assert brief(await take(stream, 1)) == [("ADDED", "b")]


async def test_bookmarks_carry_only_the_resource_version(client: Client) -> None:
    """Upstream: allowWatchBookmarks sends BOOKMARK events: an object of the kind with only
    metadata.resourceVersion (interval here: the emulator's bookmark_interval)."""
    async with asyncio.timeout(5):
        async for ev in client.watch(PODS, {"allowWatchBookmarks": "true", "resourceVersion": "1"}):
            if ev["type"] == "BOOKMARK":
                assert ev["object"] == {
                    "kind": "Pod",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": str(client.em.store.rv)},
                }
                break


async def test_timeout_seconds_ends_the_stream(client: Client) -> None:
    """Upstream: timeoutSeconds closes the watch cleanly after that long."""
    events = []
    async with asyncio.timeout(5):
        async for ev in client.watch(
            PODS, {"timeoutSeconds": "1", "resourceVersion": str(client.em.store.rv)}
        ):
            events.append(ev)
    assert events == []


async def test_drop_watches_cuts_active_streams(client: Client) -> None:
    """Fault injection: a dropped watch ends mid-stream like a broken connection."""
    import aiohttp

    stream = client.watch(PODS, {"resourceVersion": str(client.em.store.rv)})
    waiter = asyncio.ensure_future(take(stream, 1))
    await client.em.wait_for_watches(1)
    assert client.em.faults.drop_watches() == 1
    try:
        result = await waiter
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionError):
        result = []
    assert result == []
    assert client.em.store.watcher_count == 0


async def test_send_initial_events_ends_with_an_annotated_bookmark(client: Client) -> None:
    """Upstream (WatchList): sendInitialEvents=true sends the state, then a BOOKMARK annotated
    k8s.io/initial-events-end."""
    await client.call("POST", PODS, pod("a"))
    seen = []
    async with asyncio.timeout(5):
        async for ev in client.watch(
            PODS,
            {
                "sendInitialEvents": "true",
                "allowWatchBookmarks": "true",
                "resourceVersionMatch": "NotOlderThan",
            },
        ):
            seen.append(ev)
            if ev["type"] == "BOOKMARK":
                break
    assert [e["type"] for e in seen] == ["ADDED", "BOOKMARK"]
    assert seen[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
