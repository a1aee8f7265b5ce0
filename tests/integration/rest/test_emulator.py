"""The REST layer against the API emulator (kpy.testing): discovery, chunked lists, reflector semantics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from kpy.config import ConnectionFlags, load_client_config
from kpy.errors import AlreadyExists, Conflict, NotFound
from kpy.flowcontrol import ExponentialBackoffManager
from kpy.rest import RestClient
from kpy.rest.discovery import Discovery
from kpy.rest.watch import Reflector, WatchEvent, list_all

CM = "/api/v1/namespaces/default/configmaps"


def configmap(name: str, value: str = "1") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"v": value},
    }


async def create(client: RestClient, name: str, value: str = "1") -> dict[str, Any]:
    result: dict[str, Any] = (await client.request("POST", CM, json=configmap(name, value))).json()
    return result


async def update(client: RestClient, name: str, value: str) -> dict[str, Any]:
    current = await client.get_json(f"{CM}/{name}")
    current["data"] = {"v": value}
    result: dict[str, Any] = (await client.request("PUT", f"{CM}/{name}", json=current)).json()
    return result


async def test_discovery_resolves_builtin_types(client: RestClient, tmp_path: Any) -> None:
    discovery = Discovery(client, tmp_path)
    expected = {
        "po": ("", "pods"),
        "pod": ("", "pods"),
        "Pod": ("", "pods"),
        "deploy": ("apps", "deployments"),
        "deployments.apps": ("apps", "deployments"),
        "deployments.v1.apps": ("apps", "deployments"),
        "leases": ("coordination.k8s.io", "leases"),
        "ev": ("", "events"),
        "events.events.k8s.io": ("events.k8s.io", "events"),
        "crd": ("apiextensions.k8s.io", "customresourcedefinitions"),
    }
    for arg, (group, resource) in expected.items():
        info = await discovery.resolve(arg)
        assert (info.group, info.resource) == (group, resource), arg


async def test_typed_errors_from_the_emulator(client: RestClient) -> None:
    await create(client, "one")
    with pytest.raises(AlreadyExists):
        await create(client, "one")
    stale = await client.get_json(f"{CM}/one")
    await update(client, "one", "2")
    stale["data"] = {"v": "3"}
    with pytest.raises(Conflict):
        await client.request("PUT", f"{CM}/one", json=stale)
    with pytest.raises(NotFound) as info:
        await client.get_json(f"{CM}/nope")
    assert info.value.format() == 'Error from server (NotFound): configmaps "nope" not found'


async def test_list_all_in_chunks_returns_everything_once(client: RestClient) -> None:
    for i in range(25):
        await create(client, f"cm-{i:02d}")
    discovery = Discovery(client, None)
    info = await discovery.resolve("cm")
    result = await list_all(client, info, "default", chunk_size=10)
    names = [item["metadata"]["name"] for item in result.items]
    assert sorted(names) == [f"cm-{i:02d}" for i in range(25)]
    assert result.kind == "ConfigMapList" and result.resource_version


async def next_events(events: AsyncGenerator[WatchEvent, None], n: int) -> list[tuple[str, str, str]]:
    out = []
    async with asyncio.timeout(10):
        for _ in range(n):
            e = await anext(events)
            out.append(
                (
                    e.type,
                    e.object.get("metadata", {}).get("name", ""),
                    (e.object.get("data") or {}).get("v", ""),
                )
            )
    return out


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


async def test_reflector_lists_then_follows_changes(client: RestClient) -> None:
    await create(client, "a")
    info = await Discovery(client, None).resolve("configmaps")
    reflector = Reflector(
        client, info, "default", sleep=no_sleep, backoff=ExponentialBackoffManager(clock=lambda: 0.0)
    )
    events = reflector.__aiter__()
    assert isinstance(events, AsyncGenerator)
    assert await next_events(events, 2) == [("ADDED", "a", "1"), ("SYNCED", "", "")]
    await create(client, "b")
    await update(client, "a", "2")
    await client.request("DELETE", f"{CM}/b")
    assert await next_events(events, 3) == [
        ("ADDED", "b", "1"),
        ("MODIFIED", "a", "2"),
        ("DELETED", "b", "1"),
    ]
    await events.aclose()


class Gate:
    """A reflector ``sleep`` that holds the reflector until the test opens it: the test decides what happens
    on the server while the reflector is disconnected."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.reached = asyncio.Event()

    async def __call__(self, _: float) -> None:
        self.reached.set()
        await self.opened.wait()


async def watching_reflector(
    emulator: Any, client: RestClient, gate: Gate, names: tuple[str, ...]
) -> tuple[Reflector, AsyncGenerator[WatchEvent, None]]:
    for name in names:
        await create(client, name)
    info = await Discovery(client, None).resolve("configmaps")
    reflector = Reflector(
        client,
        info,
        "default",
        sleep=gate,
        clock=lambda: 0.0,
        backoff=ExponentialBackoffManager(clock=lambda: 0.0),
    )
    events = reflector.__aiter__()
    assert isinstance(events, AsyncGenerator)
    assert len(await next_events(events, len(names) + 1)) == len(names) + 1  # the list and SYNCED
    return reflector, events


async def test_reflector_survives_dropped_watches_and_compaction_without_loss_or_duplicates(
    emulator: Any, client: RestClient
) -> None:
    gate = Gate()
    reflector, events = await watching_reflector(emulator, client, gate, ("a", "b", "c"))
    pending = asyncio.ensure_future(next_events(events, 3))
    await emulator.wait_for_watches(1)
    assert emulator.faults.drop_watches() == 1
    await asyncio.wait_for(gate.reached.wait(), 10)  # disconnected, waiting to reconnect
    # while disconnected: change, add, delete, then compact so that resuming gets 410 Gone
    await update(client, "a", "2")
    await create(client, "d")
    await client.request("DELETE", f"{CM}/c")
    emulator.faults.compact()
    gate.opened.set()
    got = await pending
    assert sorted(got) == sorted([("MODIFIED", "a", "2"), ("ADDED", "d", "1"), ("DELETED", "c", "1")])
    assert reflector.relists == 1  # the resumed watch got 410 and the difference came from a relist
    await update(client, "b", "5")
    assert await next_events(events, 1) == [("MODIFIED", "b", "5")]
    assert set(reflector.store) == {"default/a", "default/b", "default/d"}
    await events.aclose()


async def test_reflector_resumes_a_dropped_watch_without_relisting(emulator: Any, client: RestClient) -> None:
    gate = Gate()
    reflector, events = await watching_reflector(emulator, client, gate, ("a",))
    pending = asyncio.ensure_future(next_events(events, 2))
    await emulator.wait_for_watches(1)
    assert emulator.faults.drop_watches() == 1
    await asyncio.wait_for(gate.reached.wait(), 10)
    first_rv = reflector.last_resource_version
    await update(client, "a", "2")
    await create(client, "b")
    gate.opened.set()
    assert await pending == [("MODIFIED", "a", "2"), ("ADDED", "b", "1")]
    assert (reflector.relists, reflector.watches) == (0, 2)
    assert int(reflector.last_resource_version) > int(first_rv)
    await events.aclose()


async def test_injected_429s_are_retried_after_retry_after(emulator: Any) -> None:
    config = load_client_config(
        ConnectionFlags(kubeconfig=str(emulator.kubeconfig_path), qps=-1.0), env={"HOME": "/nonexistent"}
    )
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    emulator.faults.fail_next(2, status=429, retry_after=2, match="/api/v1/namespaces/default/configmaps")
    async with RestClient(config, sleep=fake_sleep) as client:
        body = await client.get_json(CM)
    assert body["kind"] == "ConfigMapList"
    assert sleeps == [2.0, 2.0]


async def test_python_kubernetes_package_lists_what_list_all_lists(
    emulator: Any, client: RestClient, tmp_path: Any
) -> None:
    """Cross-check against the official Python client (run in a thread: it is synchronous)."""
    import kubernetes

    for i in range(7):
        await create(client, f"x-{i}")
    info = await Discovery(client, None).resolve("configmaps")
    ours = await list_all(client, info, "default", chunk_size=3)
    ca = tmp_path / "ca.crt"
    ca.write_bytes(emulator.ca_pem)

    def official() -> tuple[list[str], str]:
        configuration = kubernetes.client.Configuration()
        configuration.host = emulator.url
        configuration.ssl_ca_cert = str(ca)
        configuration.api_key = {"authorization": f"Bearer {emulator.token}"}
        with kubernetes.client.ApiClient(configuration) as api:
            listed = kubernetes.client.CoreV1Api(api).list_namespaced_config_map("default")
            return [item.metadata.name for item in listed.items], listed.metadata.resource_version

    names, resource_version = await asyncio.to_thread(official)
    assert sorted(names) == sorted(item["metadata"]["name"] for item in ours.items)
    assert resource_version == ours.resource_version
