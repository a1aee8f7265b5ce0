"""kpy's follower against the emulator: cut streams resume without duplicates, rotations and restarts are
recovered or reported as gaps (and only then), pods that come later are followed, deleted ones dropped."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from kpy.logs.follower import LogFollower, StreamOptions
from kpy.logs.render import Renderer
from kpy.logs.targets import Query, resolve
from kpy.rest import RestClient

NS = "default"


def pod(
    name: str, containers: tuple[str, ...] = ("c",), labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels or {"app": "demo"}},
        "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers]},
    }


def start_pod(
    em: Any, name: str, containers: tuple[str, ...] = ("c",), labels: dict[str, str] | None = None
) -> None:
    em.api.create(em.logs.pods, NS, pod(name, containers, labels))
    em.logs.run_pod(NS, name)


async def wait_for(cond: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not cond():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


class Run:
    def __init__(self, follower: LogFollower, out: io.BytesIO, err: io.StringIO) -> None:
        self.follower, self.out, self.err = follower, out, err

    @property
    def lines(self) -> list[str]:
        return self.out.getvalue().decode().splitlines()

    @property
    def gaps(self) -> list[Any]:
        return self.follower.renderer.gaps


@contextlib.asynccontextmanager
async def follow(client: RestClient, query: Query, **kw: Any) -> AsyncIterator[Run]:
    out, err = io.BytesIO(), io.StringIO()
    renderer = Renderer(out, err, prefix=True)
    resolved = await resolve(client, None, query)
    follower = LogFollower(client, query, resolved, renderer, StreamOptions(), **kw)
    task = asyncio.create_task(follower.run())
    try:
        yield Run(follower, out, err)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def log_requests(em: Any) -> list[str]:
    return [
        r.path + "?" + "&".join(f"{k}={v}" for k, v in r.query.items())
        for r in em.requests
        if r.path.endswith("/log")
    ]


async def test_cut_streams_resume_without_duplicates(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "one", "two")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 2, "the existing lines")
        for i in range(3):
            assert em.logs.cut(NS, "web", "c") == 1
            em.logs.append(NS, "web", "c", f"after cut {i}")
            await wait_for(
                lambda i=i: run.lines[-1:] == [f"[pod/web/c] after cut {i}"], "the line after a cut"
            )
        assert run.lines == ["[pod/web/c] one", "[pod/web/c] two"] + [
            f"[pod/web/c] after cut {i}" for i in range(3)
        ]
        assert run.gaps == [] and run.err.getvalue() == ""
    assert sum("sinceTime=" in q for q in log_requests(em)) >= 3  # resumed at the last timestamp


async def test_same_timestamp_lines_at_the_boundary_are_not_repeated(
    emulator: Any, client: RestClient
) -> None:
    """Three lines share one nanosecond; the stream is cut after the second: the third is printed, once."""
    em = emulator
    start_pod(em, "web")
    at = em.logs.append(NS, "web", "c", "a")[0] + 1000
    em.logs.append(NS, "web", "c", "same 1", "same 2", at=at)
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 3, "three lines")
        em.logs.cut(NS, "web", "c")
        em.logs.append(NS, "web", "c", "same 3", at=at)
        em.logs.append(NS, "web", "c", "later")
        await wait_for(lambda: run.lines[-1:] == ["[pod/web/c] later"], "the later line")
        assert [line.split()[-1] for line in run.lines] == ["a", "1", "2", "3", "later"]
        assert run.gaps == []


async def test_rotation_while_cut_is_reported_as_a_gap(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "before")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 1, "the first line")
        # in one step, as the kubelet would see it: lines written, the stream cut, the file rotated away
        lost = em.logs.append(NS, "web", "c", "lost 1", "lost 2")
        em.logs.cut(NS, "web", "c")
        em.logs.rotate(NS, "web", "c")
        first_new = em.logs.append(NS, "web", "c", "after rotation")[0]
        await wait_for(
            lambda: run.lines[-1:] == ["[pod/web/c] after rotation"], "the line after the rotation"
        )
        assert len(run.gaps) == 1
        gap = run.gaps[0]
        assert (gap.pod, gap.container, gap.end) == ("web", "c", first_new)
        assert gap.start is not None and gap.start < lost[0] < lost[1] < gap.end
        assert "possible gap in the logs of pod/web/c" in run.err.getvalue()
        assert "lost" not in run.out.getvalue().decode()


async def test_rotation_while_following_loses_nothing(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        em.logs.append(NS, "web", "c", "old file")
        await wait_for(lambda: len(run.lines) == 1, "the first line")
        em.logs.rotate(NS, "web", "c")
        em.logs.append(NS, "web", "c", "new file")
        await wait_for(lambda: len(run.lines) == 2, "the line of the new file")
        assert run.gaps == []


async def test_restart_after_a_cut_reads_the_rest_from_previous(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "first instance")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 1, "the first line")
        em.logs.append(NS, "web", "c", "unread end of the first instance")
        em.logs.cut(NS, "web", "c")
        em.logs.restart(NS, "web", "c")
        em.logs.append(NS, "web", "c", "second instance")
        await wait_for(lambda: len(run.lines) == 3, "all three lines")
        assert run.lines == [
            "[pod/web/c] first instance",
            "[pod/web/c] unread end of the first instance",
            "[pod/web/c] second instance",
        ]
        assert run.gaps == []
    assert any("previous=true" in q for q in log_requests(em))


async def test_two_restarts_unread_is_a_gap(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "first")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 1, "the first line")
        em.logs.cut(NS, "web", "c")
        em.logs.restart(NS, "web", "c")
        em.logs.append(NS, "web", "c", "of the second instance")
        em.logs.restart(NS, "web", "c")
        em.logs.append(NS, "web", "c", "third")
        await wait_for(lambda: run.lines[-1:] == ["[pod/web/c] third"], "the third instance")
        # which instance is "previous" when kpy asks is not the one it read last: a gap, never silence
        assert len(run.gaps) == 1 and run.gaps[0].reason.startswith("the container restarted")


async def test_ignored_since_time_still_no_duplicates(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.ignore_since_time = True
    em.logs.append(NS, "web", "c", "one", "two")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 2, "two lines")
        em.logs.cut(NS, "web", "c")
        em.logs.append(NS, "web", "c", "three")
        await wait_for(lambda: len(run.lines) == 3, "three lines")
        assert [line.split()[-1] for line in run.lines] == ["one", "two", "three"]
        assert run.gaps == []


async def test_new_pods_followed_deleted_dropped(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "a")
    em.logs.append(NS, "a", "c", "from a")
    async with follow(client, Query(selector="app=demo", namespace=NS)) as run:
        await wait_for(lambda: run.lines == ["[pod/a/c] from a"], "pod a")
        start_pod(em, "b", ("x", "y"), {"app": "demo"})
        start_pod(em, "other", labels={"app": "other"})
        em.logs.append(NS, "b", "x", "from b")  # the default (first) container of a pod that came later
        em.logs.append(NS, "other", "c", "not selected")
        await wait_for(lambda: "[pod/b/x] from b" in run.lines, "pod b")
        em.api.delete(em.logs.pods, NS, "a")
        await wait_for(lambda: all(k[1] != "a" for k in run.follower.tasks), "pod a's stream ends")
        assert "not selected" not in run.out.getvalue().decode()
        assert 'Defaulted container "x" out of: x, y' in run.err.getvalue()


async def test_max_streams_waits_for_a_free_slot(emulator: Any, client: RestClient) -> None:
    em = emulator
    for name in ("p1", "p2", "p3"):
        start_pod(em, name)
        em.logs.append(NS, name, "c", f"from {name}")
    async with follow(client, Query(selector="app=demo", namespace=NS), max_streams=2) as run:
        await wait_for(lambda: len(run.lines) == 2, "two streams")
        assert "--max-streams" in run.err.getvalue()
        first = run.lines[0].split("/")[1]
        em.api.delete(em.logs.pods, NS, first)
        await wait_for(lambda: len(run.lines) == 3, "the third stream once a slot is free")
        assert sorted(run.lines) == ["[pod/p1/c] from p1", "[pod/p2/c] from p2", "[pod/p3/c] from p3"]


async def test_twenty_pods_with_random_faults(emulator: Any, client: RestClient) -> None:
    """Lines written to 20 pods while pods come and go, streams are cut, logs rotated and containers restarted:
    every line printed at most once, every line either printed or inside a reported gap of its container, and
    every gap on a container that had a rotation or restart injected."""
    em = emulator
    rng = random.Random(18)
    written: dict[str, list[tuple[str, int]]] = {}
    faulted: set[str] = set()
    alive: list[str] = []
    serial = 0

    def write(name: str) -> None:
        nonlocal serial
        serial += 1
        text = f"{name} line {serial}"
        written.setdefault(name, []).append((text, em.logs.append(NS, name, "c", text)[0]))

    for i in range(20):
        start_pod(em, f"p{i}")
        alive.append(f"p{i}")
        write(f"p{i}")
    async with follow(client, Query(selector="app=demo", namespace=NS)) as run:

        def unaccounted(only: str | None = None) -> list[str]:
            printed = {line.split("] ", 1)[1] for line in run.lines}
            missing = []
            for name, lines in written.items():
                if only is not None and name != only:
                    continue
                gaps = [g for g in run.gaps if g.pod == name]
                for text, ts in lines:
                    if text in printed:
                        continue
                    if not any((g.start or 0) < ts and (g.end is None or ts < g.end) for g in gaps):
                        missing.append(text)
            return missing

        def caught_up(name: str) -> bool:
            printed = {line.split("] ", 1)[1] for line in run.lines}
            return all(text in printed for text, _ in written.get(name, []))

        for step in range(300):
            name = rng.choice(alive)
            roll = rng.random()
            if roll < 0.7:
                write(name)
            elif roll < 0.8:
                em.logs.cut(NS, name, "c")
            elif roll < 0.85:
                # (lines rotated away before the first read are gone before kpy could know of them)
                if caught_up(name):
                    em.logs.rotate(NS, name, "c")
                    faulted.add(name)
            elif roll < 0.9:
                em.logs.restart(NS, name, "c")
                faulted.add(name)
            elif roll < 0.95 and len(alive) > 5:
                # a graceful deletion: the pod goes once its lines are out (a stream cut at the very moment
                # a pod is force-deleted cannot be told from one that ended with its container)
                await wait_for(lambda name=name: not unaccounted(name), f"the lines of {name}")
                em.api.delete(em.logs.pods, NS, name)
                alive.remove(name)
            else:
                new = f"n{step}"
                start_pod(em, new)
                alive.append(new)
                write(new)
            if step % 10 == 0:
                await asyncio.sleep(0.01)

        with contextlib.suppress(AssertionError):
            await wait_for(lambda: not unaccounted(), "every line printed or inside a gap", timeout=20)
        missing = unaccounted()
        assert missing == []
        printed = [line.split("] ", 1)[1] for line in run.lines]
        assert len(printed) == len(set(printed)), "a line was printed twice"
        deleted = set(written) - set(alive)
        assert {g.pod for g in run.gaps} <= faulted | deleted
        # deleted pods' lines printed before they went are kept; no line of an undeleted pod is missing silently
        assert len(printed) > 150


async def test_refused_since_time_reads_from_the_start(emulator: Any, client: RestClient) -> None:
    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "one", "two")
    async with follow(client, Query(resource="web", namespace=NS)) as run:
        await wait_for(lambda: len(run.lines) == 2, "two lines")
        em.logs.refuse_since_time = True
        em.logs.cut(NS, "web", "c")
        em.logs.append(NS, "web", "c", "three")
        await wait_for(lambda: len(run.lines) == 3, "three lines")
        assert [line.split()[-1] for line in run.lines] == ["one", "two", "three"]
        assert run.gaps == []


async def test_a_follower_that_goes_away_leaves_no_error_in_the_servers_log(
    emulator: Any, caplog: Any
) -> None:
    # `kubectl logs -f` ended with Ctrl-C: the next line written to it found the connection closed, and the
    # emulator (kpy sandbox) printed aiohttp's "Error handling request" traceback
    import logging
    import ssl
    from urllib.parse import urlsplit

    em = emulator
    start_pod(em, "web")
    em.logs.append(NS, "web", "c", "before")
    url = urlsplit(em.url)
    context = ssl.create_default_context(cadata=em.ca_pem.decode())
    caplog.set_level(logging.ERROR)
    reader, writer = await asyncio.open_connection(url.hostname, url.port, ssl=context)
    writer.write(
        f"GET /api/v1/namespaces/{NS}/pods/web/log?follow=true HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {em.token}\r\n\r\n".encode()
    )
    async with asyncio.timeout(15):
        while b"before" not in await reader.read(65536):
            pass
    writer.transport.abort()
    streams = em.logs.containers[(NS, "web", "c")].streams
    async with asyncio.timeout(15):  # the server notices the closed connection when it writes the next line
        for i in itertools.count():
            if not streams:
                break
            em.logs.append(NS, "web", "c", f"after {i}")
            await asyncio.sleep(0.01)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
