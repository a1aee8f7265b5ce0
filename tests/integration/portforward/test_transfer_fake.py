"""Byte-exact bulk transfers and resource hygiene through PortForwarder (fake API, real kubelet side)."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import AsyncIterator

import pytest
from tests.integration.portforward.fakeapi import FakeApi, make_pod, running
from tests.integration.portforward.transfer import PodSide, client_side, digest, pattern

from kpy.config import ConnectionFlags, load_client_config
from kpy.portforward import PortForwarder
from kpy.rest import RestClient

MiB = 1 << 20


@pytest.fixture
async def client() -> AsyncIterator[tuple[FakeApi, RestClient]]:
    async with running(FakeApi()) as api:
        config = load_client_config(ConnectionFlags(server=api.url, namespace="default"), env={})
        async with RestClient(config) as rest:
            await api.put("pods", make_pod("web"))
            yield api, rest


async def test_sequential_connections_leave_no_fds_or_tasks_behind(
    client: tuple[FakeApi, RestClient],
) -> None:
    api, rest = client

    async def one_shot(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(16)
        writer.write(data)
        await writer.drain()
        writer.close()

    await api.backend("web", 80, one_shot)
    count = int(os.environ.get("KPY_PF_SEQUENTIAL", "5000"))
    async with PortForwarder(rest, "pod/web", [":80"], addresses=["127.0.0.1"], watch_pod=False) as fw:
        port = fw.listeners[0].local_port

        async def connect_once(i: int) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"%d" % i)
            assert await reader.read() == b"%d" % i
            writer.close()
            await writer.wait_closed()

        for i in range(50):  # warm up: connection pools, lazy imports
            await connect_once(i)
        await _settle(fw)
        fds_before = len(os.listdir("/proc/self/fd"))
        tasks_before = len(asyncio.all_tasks())
        started = time.monotonic()
        for i in range(count):
            await connect_once(i)
        elapsed = time.monotonic() - started
        await _settle(fw)
        gc.collect()
        assert len(asyncio.all_tasks()) <= tasks_before
        assert len(os.listdir("/proc/self/fd")) <= fds_before
        assert fw.connections_handled == count + 50
        print(f"{count} sequential connections in {elapsed:.1f}s")


async def _settle(fw: PortForwarder) -> None:
    """Wait until every connection's task and the server's sessions are gone (they end asynchronously)."""
    async with asyncio.timeout(10):
        while fw._connections:
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(("connections", "size"), [(1, 256 * MiB), (64, 4 * MiB)])
async def test_bulk_transfer_both_ways_is_byte_exact(
    client: tuple[FakeApi, RestClient], connections: int, size: int
) -> None:
    api, rest = client
    pod = PodSide(download=size, expected_connections=connections)
    await api.backend("web", 80, pod)
    async with PortForwarder(rest, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        port = fw.listeners[0].local_port
        started = time.monotonic()
        got = await asyncio.gather(
            *(client_side("127.0.0.1", port, i, size, size) for i in range(connections))
        )
        await asyncio.wait_for(pod.done.wait(), 60)
        elapsed = time.monotonic() - started
    for i in range(connections):
        assert got[i] == digest(pattern(10_000 + i, size)), f"download {i} differs"
        assert pod.received[i] == digest(pattern(i, size)), f"upload {i} differs"
    print(f"{connections}x{size // MiB} MiB each way in {elapsed:.1f}s")
