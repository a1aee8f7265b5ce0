"""CommandController (kpy on's engine) against the emulator with real commands."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kpy.cache import Informer
from kpy.cache.command import LineWriter, RunResult
from kpy.cache.controller import CommandController, ControllerOptions
from kpy.jsonpath import parse
from kpy.rest import RestClient
from kpy.rest.discovery import Discovery
from kpy.workqueue import ItemExponentialFailureRateLimiter

CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture(params=["spawn", "asyncio"], autouse=True)
def start_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on both ways of starting runs: kpy.cache.spawn (Linux) and asyncio's subprocesses."""
    from kpy.cache import spawn

    if request.param == "asyncio":
        monkeypatch.setattr(spawn, "_AVAILABLE", [False])
    elif not spawn.available():
        pytest.skip("posix_spawn + pidfd_open are not available here")
    return str(request.param)


# prints what it was given: event, key, retries, and the object's data from stdin
ECHO = [
    sys.executable,
    "-c",
    "import json,os,sys; o=json.load(sys.stdin); e=os.environ; "
    "print(e['KPY_EVENT'], e['KPY_KEY'], e['KPY_NAMESPACE'], e['KPY_NAME'], e['KPY_RETRIES'], "
    "e['KPY_RESOURCE_VERSION']==o['metadata']['resourceVersion'], json.dumps(o.get('data')))",
]


async def create(client: RestClient, name: str, value: str = "1") -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}
    await client.request("POST", CM, json=body)


async def update(client: RestClient, name: str, value: str) -> None:
    current = await client.get_json(f"{CM}/{name}")
    current["data"] = {"v": value}
    await client.request("PUT", f"{CM}/{name}", json=current)


class Harness:
    def __init__(self, controller: CommandController, out: io.BytesIO, log: io.StringIO) -> None:
        self.controller = controller
        self.out = out
        self.log = log
        self.results: list[tuple[str, str, int]] = []
        self.changed = asyncio.Event()
        controller.on_run = self._on_run

    def _on_run(self, key: str, kind: str, result: RunResult) -> None:
        self.results.append((key, kind, result.code))
        self.changed.set()

    async def wait_runs(self, n: int) -> None:
        async with asyncio.timeout(20):
            while len(self.results) < n:
                self.changed.clear()
                await self.changed.wait()

    def lines(self) -> list[str]:
        return self.out.getvalue().decode().splitlines()


@contextlib.asynccontextmanager
async def running(client: RestClient, argv: list[str], **options: Any) -> AsyncIterator[Harness]:
    info = await Discovery(client, None).resolve("configmaps")
    informer = Informer(client, info, "default")
    out, log = io.BytesIO(), io.StringIO()
    limiter = options.pop("rate_limiter", None)
    controller = CommandController(
        informer,
        ControllerOptions(tuple(argv), **options),
        LineWriter(out),  # type: ignore[arg-type]
        LineWriter(out),  # type: ignore[arg-type]
        log=log,
        rate_limiter=limiter,
    )
    harness = Harness(controller, out, log)
    task = asyncio.create_task(controller.run())
    try:
        yield harness
    finally:
        await controller.stop(now=True)
        await asyncio.wait_for(task, 20)


async def test_command_gets_each_change_with_state_on_stdin_env_and_prefixed_output(
    client: RestClient,
) -> None:
    await create(client, "a")
    async with running(client, ECHO) as h:
        await h.wait_runs(1)
        await update(client, "a", "2")
        await h.wait_runs(2)
        await client.request("DELETE", f"{CM}/a")
        await h.wait_runs(3)
    assert h.lines() == [
        '[default/a] Added default/a default a 0 True {"v": "1"}',
        '[default/a] Modified default/a default a 0 True {"v": "2"}',
        '[default/a] Deleted default/a default a 0 True {"v": "2"}',
    ]


async def test_failures_are_retried_with_backoff_then_dropped_and_counted(client: RestClient) -> None:
    await create(client, "bad")
    fail = [sys.executable, "-c", "import os,sys; print('try', os.environ['KPY_RETRIES']); sys.exit(3)"]
    limiter = ItemExponentialFailureRateLimiter(0.001, 0.004)
    async with running(client, fail, max_retries=2, rate_limiter=limiter) as h:
        await h.wait_runs(3)
        async with asyncio.timeout(10):
            while h.controller.stats.dropped < 1:
                await asyncio.sleep(0.01)
    assert h.lines() == ["[default/bad] try 0", "[default/bad] try 1", "[default/bad] try 2"]
    assert h.log.getvalue() == 'dropping "default/bad" out of the queue after 2 retries: exit code 3\n'
    assert h.controller.stats.failures_by_code == {3: 3}
    assert h.controller.queue.num_requeues("default/bad") == 0  # forgotten when dropped


async def test_success_forgets_failures(client: RestClient) -> None:
    """Fails twice, then succeeds: the next change starts again at KPY_RETRIES=0."""
    await create(client, "x")
    script = (
        "import os,sys; r=int(os.environ['KPY_RETRIES']); print(os.environ['KPY_EVENT'], r); "
        "sys.exit(1 if os.environ['KPY_EVENT']=='Added' and r<2 else 0)"
    )
    limiter = ItemExponentialFailureRateLimiter(0.001, 0.004)
    async with running(client, [sys.executable, "-c", script], rate_limiter=limiter) as h:
        await h.wait_runs(3)
        await update(client, "x", "2")
        await h.wait_runs(4)
    assert [line.split("] ")[1] for line in h.lines()] == ["Added 0", "Added 1", "Added 2", "Modified 0"]


async def test_on_and_when_filter_what_is_queued(client: RestClient) -> None:
    await create(client, "a", "1")
    async with running(client, ECHO, events=frozenset({"Modified", "Deleted"}), when=parse("{.data.v}")) as h:
        await asyncio.wait_for(h.controller.informer.synced.wait(), 10)
        current = await client.get_json(f"{CM}/a")
        current["metadata"].setdefault("labels", {})["x"] = "y"  # a change --when ignores
        await client.request("PUT", f"{CM}/a", json=current)
        await update(client, "a", "2")  # a change it sees
        await h.wait_runs(1)
        await client.request("DELETE", f"{CM}/a")
        await h.wait_runs(2)
    assert [line.split()[1] for line in h.lines()] == ["Modified", "Deleted"]
    assert json.loads(h.lines()[0].split(" True ")[1]) == {"v": "2"}


@pytest.mark.parametrize("now", [True, False])
async def test_stop_kills_or_waits_for_running_commands(client: RestClient, now: bool, tmp_path: Any) -> None:
    await create(client, "slow")
    started = tmp_path / "started"
    script = f"import pathlib,time; pathlib.Path({str(started)!r}).write_text('x'); time.sleep(60 if {now} else 0.2); print('finished')"
    info = await Discovery(client, None).resolve("configmaps")
    out = io.BytesIO()
    controller = CommandController(
        Informer(client, info, "default"),
        ControllerOptions((sys.executable, "-c", script), grace_period=30.0),
        LineWriter(out),  # type: ignore[arg-type]
        LineWriter(out),  # type: ignore[arg-type]
        log=io.StringIO(),
    )
    task = asyncio.create_task(controller.run())
    async with asyncio.timeout(20):
        while not started.exists() or not controller.running:
            await asyncio.sleep(0.01)
    pgid = next(iter(controller.running))
    await controller.stop(now=now)
    await asyncio.wait_for(task, 20)
    assert controller.running == {}
    assert (b"finished" in out.getvalue()) is (not now)
    from kpy.election.process import group_alive

    assert not group_alive(pgid)


async def test_timeout_kills_a_stuck_run_and_counts_it_as_a_failure(client: RestClient) -> None:
    await create(client, "stuck")
    script = "import time; print('started', flush=True); time.sleep(60)"
    async with running(client, [sys.executable, "-c", script], timeout=0.3, max_retries=0) as h:
        await h.wait_runs(1)
    assert h.results == [("default/stuck", "Added", 124)]
    assert h.lines() == ["[default/stuck] started"]
    assert h.log.getvalue() == (
        "default/stuck: command timed out after 0.3s; killed\n"
        'dropping "default/stuck" out of the queue after 0 retries: exit code 124\n'
    )
    assert h.controller.running == {}
