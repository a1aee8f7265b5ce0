"""kpy.cache.Informer against the emulator: store, handlers, resume, 410 relist with final-state-unknown deletes,
resync."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from kpy.cache import Informer, InformerEvent
from kpy.flowcontrol import ExponentialBackoffManager
from kpy.rest import RestClient
from kpy.rest.discovery import Discovery

CM = "/api/v1/namespaces/default/configmaps"


async def create(client: RestClient, name: str, value: str = "1") -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}
    await client.request("POST", CM, json=body)


async def update(client: RestClient, name: str, value: str) -> None:
    current = await client.get_json(f"{CM}/{name}")
    current["data"] = {"v": value}
    await client.request("PUT", f"{CM}/{name}", json=current)


class Gate:
    """The reflector's ``sleep``: holds a reconnect until the test opens it."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.reached = asyncio.Event()

    async def __call__(self, _: float) -> None:
        self.reached.set()
        await self.opened.wait()


class Recorder:
    def __init__(self) -> None:
        self.events: list[InformerEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: InformerEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def summary(self, start: int = 0) -> list[tuple[str, str, str, bool]]:
        return [
            (e.type, e.key, (e.object.get("data") or {}).get("v", ""), e.final_state_unknown)
            for e in self.events[start:]
        ]

    async def wait_for(self, n: int) -> None:
        async with asyncio.timeout(10):
            while len(self.events) < n:
                self.changed.clear()
                await self.changed.wait()


async def start(
    client: RestClient, gate: Gate | None = None, resync_sleep: Any = None, resync: float = 0.0
) -> tuple[Informer, Recorder, asyncio.Task[None]]:
    info = await Discovery(client, None).resolve("configmaps")
    kwargs: dict[str, Any] = {"backoff": ExponentialBackoffManager(clock=lambda: 0.0), "clock": lambda: 0.0}
    if gate is not None:
        kwargs["sleep"] = gate
    informer = Informer(
        client,
        info,
        "default",
        resync=resync,
        sleep=resync_sleep or asyncio.sleep,
        reflector_kwargs=kwargs,
    )
    recorder = Recorder()
    informer.add_handler(recorder)
    task = asyncio.create_task(informer.run())
    await asyncio.wait_for(informer.synced.wait(), 10)
    return informer, recorder, task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_informer_lists_then_delivers_adds_updates_deletes_with_old_state(client: RestClient) -> None:
    await create(client, "a")
    informer, rec, task = await start(client)
    assert rec.summary() == [("Added", "default/a", "1", False)]
    assert rec.events[0].initial
    await create(client, "b")
    await update(client, "a", "2")
    await client.request("DELETE", f"{CM}/b")
    await rec.wait_for(4)
    assert rec.summary(1) == [
        ("Added", "default/b", "1", False),
        ("Modified", "default/a", "2", False),
        ("Deleted", "default/b", "1", False),
    ]
    modified = rec.events[2]
    assert modified.old is not None and modified.old["data"] == {"v": "1"}
    assert informer.store.keys() == ["default/a"]
    await stop(task)


async def test_informer_relists_after_410_and_turns_vanished_objects_into_deletes(
    emulator: Any, client: RestClient
) -> None:
    gate = Gate()
    for name in ("a", "b", "c"):
        await create(client, name)
    informer, rec, task = await start(client, gate)
    await emulator.wait_for_watches(1)
    assert emulator.faults.drop_watches() == 1
    await asyncio.wait_for(gate.reached.wait(), 10)
    await update(client, "a", "2")
    await update(client, "c", "3")
    await client.request("DELETE", f"{CM}/c")  # its "3" state was never seen: the last known is "1"
    await create(client, "d")
    emulator.faults.compact()
    gate.opened.set()
    await rec.wait_for(6)
    assert sorted(rec.summary(3)) == [
        ("Added", "default/d", "1", False),
        ("Deleted", "default/c", "1", True),
        ("Modified", "default/a", "2", False),
    ]
    assert informer.reflector is not None and informer.reflector.relists == 1
    assert informer.store.keys() == ["default/a", "default/b", "default/d"]
    await stop(task)


async def test_informer_resumes_a_dropped_watch_without_relisting(emulator: Any, client: RestClient) -> None:
    gate = Gate()
    await create(client, "a")
    informer, rec, task = await start(client, gate)
    await emulator.wait_for_watches(1)
    emulator.faults.drop_watches()
    await asyncio.wait_for(gate.reached.wait(), 10)
    await client.request("DELETE", f"{CM}/a")
    gate.opened.set()
    await rec.wait_for(2)
    assert rec.summary(1) == [("Deleted", "default/a", "1", False)]  # from the resumed watch, not a relist
    assert informer.reflector is not None and informer.reflector.relists == 0
    await stop(task)


async def test_resync_hands_every_stored_object_over_as_sync(client: RestClient) -> None:
    ticks: asyncio.Queue[None] = asyncio.Queue()

    async def resync_sleep(_: float) -> None:
        await ticks.get()

    await create(client, "a")
    await create(client, "b")
    _informer, rec, task = await start(client, resync_sleep=resync_sleep, resync=30.0)
    ticks.put_nowait(None)
    await rec.wait_for(4)
    assert rec.summary(2) == [("Sync", "default/a", "1", False), ("Sync", "default/b", "1", False)]
    assert rec.events[2].old is rec.events[2].object
    await stop(task)
