"""Chaos against the emulator: objects created, updated and deleted while the watch is dropped, history is
compacted (410 on resume) and list/watch requests fail with 429/500. Every key's final state reaches the
command after its last change, deletes made while disconnected are delivered, no key ever runs twice at once,
and failing keys are retried with the configured back-off (measured) and dropped after the limit.

Sized for the suite (``KPY_CHAOS_OBJECTS``, default 60; the issue's 2,000 run with KPY_CHAOS_OBJECTS=2000).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import time
from typing import Any

from kpy.cache import Informer
from kpy.cache.command import LineWriter, RunResult
from kpy.cache.controller import CommandController, ControllerOptions
from kpy.flowcontrol import ExponentialBackoffManager
from kpy.rest import RestClient
from kpy.rest.discovery import Discovery
from kpy.workqueue import ItemExponentialFailureRateLimiter

CM = "/api/v1/namespaces/default/configmaps"
N = int(os.environ.get("KPY_CHAOS_OBJECTS", "60"))
#: prints the event and the object on one line; keys named fail-* always fail
COMMAND = ("sh", "-c", 'case "$KPY_NAME" in fail-*) exit 3;; esac; printf "%s " "$KPY_EVENT"; cat')


async def test_final_states_survive_drops_compaction_and_errors(emulator: Any, client: RestClient) -> None:
    info = await Discovery(client, None).resolve("configmaps")
    held = asyncio.Event()  # set: the reflector's next reconnect waits until it is cleared
    reached = asyncio.Event()
    released = asyncio.Event()

    async def reconnect_sleep(seconds: float) -> None:
        if held.is_set():
            reached.set()
            await released.wait()
        await asyncio.sleep(seconds)

    fast = {"backoff": ExponentialBackoffManager(0.001, 0.02, jitter=0.0), "sleep": reconnect_sleep}
    informer = Informer(client, info, "default", chunk_size=50, reflector_kwargs=fast)
    out = io.BytesIO()
    base = 0.02
    controller = CommandController(
        informer,
        ControllerOptions(COMMAND, workers=4, max_retries=3),
        LineWriter(out),  # type: ignore[arg-type]
        LineWriter(io.BytesIO()),  # type: ignore[arg-type]
        log=io.StringIO(),
        rate_limiter=ItemExponentialFailureRateLimiter(base, 10.0),
    )
    running: set[str] = set()
    overlaps: list[str] = []
    fail_runs: dict[str, list[float]] = {}
    handle = controller.process

    async def watched(key: str) -> RunResult | None:
        if key in running:
            overlaps.append(key)
        running.add(key)
        if "/fail-" in key:
            fail_runs.setdefault(key, []).append(time.monotonic())
        try:
            return await handle(key)
        finally:
            running.discard(key)

    controller.process = watched  # type: ignore[method-assign]
    task = asyncio.create_task(controller.run())
    await asyncio.wait_for(informer.synced.wait(), 10)

    latest: dict[str, dict[str, Any]] = {}  # name -> the server's copy after our last write
    writes = 0

    async def chaos() -> None:
        nonlocal writes
        writes += 1
        if writes % 37 == 0:
            emulator.faults.drop_watches()
        if writes % 101 == 0:
            emulator.faults.fail_next(2, 500, match="/configmaps$", verb="GET")
        if writes % 151 == 0:
            emulator.faults.fail_next(1, 429, match="/configmaps$", verb="GET")
        if writes == N:  # once, mid-way: disconnected while 10 writes happen, then compacted: 410, relist
            held.set()
            async with asyncio.timeout(10):  # the reflector may be between two watches: drop until it waits
                while not reached.is_set():
                    emulator.faults.drop_watches()
                    await asyncio.sleep(0.01)
        if writes == N + 10:
            emulator.faults.compact()
            held.clear()
            released.set()

    async def write(method: str, name: str, value: str | None = None) -> None:
        if method == "DELETE":
            await client.request("DELETE", f"{CM}/{name}")
            latest.pop(name)
        else:
            body = latest.get(name) or {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
            body = {**body, "data": {"v": value}}
            path = CM if method == "POST" else f"{CM}/{name}"
            latest[name] = (await client.request(method, path, json=body)).json()
        await chaos()

    names = [f"cm-{i}" for i in range(N)]
    for name in names:
        await write("POST", name, "0")
    for name in ("fail-1", "fail-2"):
        await write("POST", name, "0")
    for round_ in (1, 2):
        for name in names:
            await write("PUT", name, str(round_))
    deleted = names[::4]
    for name in deleted:
        await write("DELETE", name)

    def last_seen() -> dict[str, tuple[str, dict[str, Any]]]:
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        for line in out.getvalue().decode().splitlines():
            key, _, rest = line.partition("] ")
            event, _, body = rest.partition(" ")
            seen[key.lstrip("[")] = (event, json.loads(body))
        return seen

    def settled() -> bool:
        seen = last_seen()
        for name in names:
            got = seen.get(f"default/{name}")
            if got is None:
                return False
            if name in deleted:
                if got[0] != "Deleted":
                    return False
            elif got[1].get("data") != {"v": "2"}:
                return False
        # idle too: a key's final state may be printed by a run that an older event started, while the event
        # of that state queues one more run of it; stopping now (below) would kill that run (exit 137)
        return controller.stats.dropped == 2 and not len(controller.queue) and not controller.queue.processing

    async with asyncio.timeout(60 + N * 0.1):
        while not settled():
            await asyncio.sleep(0.02)
    await controller.stop(now=True)
    await asyncio.wait_for(task, 20)

    assert overlaps == []
    assert informer.reflector is not None and informer.reflector.relists >= 1
    seen = last_seen()
    for name in deleted:  # the last state known before the delete (round 2), delete seen or relisted
        assert seen[f"default/{name}"][1]["data"] == {"v": "2"}
    # failing keys: 1 run + 3 retries, each retry after at least base * 2^n (client-go's exponential limiter)
    for key in ("default/fail-1", "default/fail-2"):
        starts = fail_runs[key]
        assert len(starts) == 4, starts
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert all(gap >= base * 2**n * 0.9 for n, gap in enumerate(gaps)), gaps
    assert controller.stats.failures_by_code == {3: 8}
