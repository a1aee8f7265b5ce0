"""Byte-exact bulk transfers, concurrency and resource hygiene: PortForwarder -> emulator -> loopback servers."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import threading
import time
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods, echo
from tests.integration.portforward.transfer import PodSide, client_side, digest, pattern

from kpy.config import ConnectionFlags, load_client_config
from kpy.portforward import PortForwarder
from kpy.rest import RestClient

MiB = 1 << 20
#: one connection, both ways at once (~3-6 s here; the issue asks for 256 MiB when that takes < 15 s)
BIG = int(os.environ.get("KPY_PF_BIG_MIB", "256")) * MiB
#: sequential connections that must leave nothing behind (each is a TLS + WebSocket handshake on both ends,
#: the emulator on this loop). A leak of one task, fd or thread per connection shows after any number of them,
#: so the suite runs 500; KPY_PF_SEQUENTIAL=5000 runs issue 7's soak count.
SEQUENTIAL = int(os.environ.get("KPY_PF_SEQUENTIAL", "500"))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("connections", "size"), [(1, BIG), (64, 4 * MiB)], ids=["1-big", "64-concurrent"])
async def test_bulk_transfer_both_ways_at_once_is_byte_exact(
    pods: Pods, client: RestClient, connections: int, size: int
) -> None:
    pod = PodSide(download=size, expected_connections=connections)
    await pods.serve("web", 80, pod)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
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


async def test_64_concurrent_connections_mixing_echo_server_close_and_client_close(
    pods: Pods, client: RestClient
) -> None:
    """Echo servers, servers that send and close first, clients that send and close first, all at once."""
    SINKS = range(2, 64, 3)
    payloads = [hashlib.sha256(b"%d" % i).digest() * (1 + i * 97) for i in range(64)]
    sunk: dict[int, bytes] = {}
    all_sunk = asyncio.Event()

    async def speak_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        i = int.from_bytes(await reader.readexactly(2), "big")
        writer.write(payloads[i])
        await writer.drain()
        writer.close()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        i = int.from_bytes(await reader.readexactly(2), "big")
        got = bytearray()
        while data := await reader.read(1 << 16):
            got += data
        sunk[i] = bytes(got)
        if len(sunk) == len(SINKS):
            all_sunk.set()
        writer.close()

    await pods.serve("web", 80, echo)
    await pods.serve("web", 81, speak_and_close)
    await pods.serve("web", 82, sink)
    async with PortForwarder(client, "pod/web", [":80", ":81", ":82"], addresses=["127.0.0.1"]) as fw:
        ports = {li.remote_port: li.local_port for li in fw.listeners}

        async def one(i: int) -> None:
            kind = i % 3
            reader, writer = await asyncio.open_connection("127.0.0.1", ports[80 + kind])
            if kind == 0:  # echo: what goes out comes back, then the client closes
                writer.write(payloads[i])
                assert await reader.readexactly(len(payloads[i])) == payloads[i]
            elif kind == 1:  # the pod's server sends and closes first: everything arrives, then EOF
                writer.write(i.to_bytes(2, "big"))
                assert await reader.read() == payloads[i]
            else:  # the client sends and closes first: everything reaches the pod's server
                writer.write(i.to_bytes(2, "big") + payloads[i])
                await writer.drain()
            writer.close()
            await writer.wait_closed()

        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(64))), 60)
        await asyncio.wait_for(all_sunk.wait(), 30)
    assert sunk == {i: payloads[i] for i in SINKS}


async def test_connections_are_not_held_back_by_the_client_rate_limiter(emulator: Any, pods: Pods) -> None:
    """One WebSocket per local connection, none waits for the 5 QPS / burst 10 token bucket.

    Throttled, 64 simultaneous connections would need at least (64 + 3 - 10) / 5 = 11.4 s to all start.
    """
    await pods.serve("web", 80, echo)
    config = load_client_config(
        ConnectionFlags(kubeconfig=str(emulator.kubeconfig_path), qps=5.0, burst=10),
        env={"HOME": "/nonexistent"},
    )
    async with (
        RestClient(config) as rest,
        PortForwarder(rest, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw,
    ):
        port = fw.listeners[0].local_port

        async def one(i: int) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"%03d" % i)
            try:
                return await reader.readexactly(3)
            finally:
                writer.close()

        started = time.monotonic()
        got = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(64))), 30)
        elapsed = time.monotonic() - started
    assert got == [b"%03d" % i for i in range(64)]
    assert elapsed < 8.0, f"64 connections took {elapsed:.1f}s: throttled by the client rate limiter?"


@pytest.mark.timeout(max(300, SEQUENTIAL // 10))
@pytest.mark.parametrize("protocol", ["auto", "v4"])
async def test_sequential_connections_leave_no_fds_or_tasks_behind(
    emulator: Any, pods: Pods, client: RestClient, protocol: str
) -> None:
    async def one_shot(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(16)
        writer.write(data)
        await writer.drain()
        writer.close()

    await pods.serve("web", 80, one_shot)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], protocol=protocol) as fw:
        port = fw.listeners[0].local_port

        async def connect_once(i: int) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"%d" % i)
            assert await reader.read() == b"%d" % i
            writer.close()
            await writer.wait_closed()

        for i in range(50):  # warm up: lazy imports, the pod watch
            await connect_once(i)
        await _settle(fw, emulator)
        fds_before = len(os.listdir("/proc/self/fd"))
        tasks_before = len(asyncio.all_tasks())
        threads_before = threading.active_count()
        started = time.monotonic()
        for i in range(SEQUENTIAL):
            await connect_once(i)
        elapsed = time.monotonic() - started
        await _settle(fw, emulator)
        # the emulator runs on this loop too: its sessions and pod connections are counted as well. The last
        # connections' tasks, sockets and relay threads end asynchronously (later still on a busy machine):
        # wait until the counts are back, with a deadline that only a leak can exhaust
        before = (tasks_before, fds_before, threads_before)
        counts = await _until_back_to(before, lambda: (len(asyncio.all_tasks()), len(os.listdir("/proc/self/fd")),
                                                       threading.active_count()))
        assert counts[0] <= tasks_before, f"{counts[0] - tasks_before} asyncio tasks left behind"
        assert counts[1] <= fds_before, f"{counts[1] - fds_before} file descriptors left behind"
        assert counts[2] <= threads_before, f"{counts[2] - threads_before} relay threads left behind"
        assert fw.connections_handled == SEQUENTIAL + 50
    print(f"{SEQUENTIAL} sequential connections in {elapsed:.1f}s")


async def _until_back_to(
    baseline: tuple[int, ...], read: Any, deadline: float = 60.0
) -> tuple[int, ...]:
    """Poll ``read()`` (collecting garbage) until no count exceeds ``baseline``, or the deadline; the last counts."""
    end = time.monotonic() + deadline
    while True:
        gc.collect()
        counts = tuple(read())
        if all(c <= b for c, b in zip(counts, baseline, strict=True)) or time.monotonic() >= end:
            return counts
        await asyncio.sleep(0.05)


async def _settle(fw: PortForwarder, emulator: Any) -> None:
    """Until every connection task is gone, and every emulator session (v4: one per connection) or every stream
    pair of the one shared SPDY connection (both end asynchronously)."""
    shared = 1 if fw.protocol_in_use in ("tunnel", "spdy") else 0
    async with asyncio.timeout(60):
        while (
            fw._connections
            or len(emulator._pf_sessions) > shared
            or (fw._mux is not None and fw._mux._forwards)
        ):
            await asyncio.sleep(0.01)


async def _until_progress_stops(read: Any) -> int:
    """Poll a counter until it stays the same for a while; its last value."""
    previous, value = -1, read()
    while value != previous:
        previous = value
        await asyncio.sleep(0.3)
        value = read()
    return int(value)


@pytest.mark.timeout(120)
async def test_a_local_reader_that_stops_reading_holds_the_pod_back_and_loses_nothing(
    pods: Pods, client: RestClient
) -> None:
    """Backpressure end to end, pod -> local: buffers stay bounded, and every byte arrives once reading resumes."""
    total = 256 * MiB
    block = os.urandom(MiB)
    sent = 0

    async def firehose(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        while sent < total:
            writer.write(block)
            await writer.drain()
            sent += len(block)
        writer.close()

    await pods.serve("web", 80, firehose)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        try:
            stalled_at = await _until_progress_stops(lambda: sent)
            assert stalled_at < 96 * MiB, f"the pod wrote {stalled_at // MiB} MiB to a reader that reads nothing"
            h, want, got = hashlib.sha256(), hashlib.sha256(), 0
            while data := await asyncio.wait_for(reader.read(4 * MiB), 30):
                h.update(data)
                got += len(data)
        finally:
            writer.close()
    for _ in range(total // MiB):
        want.update(block)
    assert got == total and h.digest() == want.digest()


@pytest.mark.timeout(120)
async def test_a_pod_that_stops_reading_holds_the_local_writer_back_and_loses_nothing(
    pods: Pods, client: RestClient
) -> None:
    """Backpressure end to end, local -> pod: the user's writes stall, then every byte arrives."""
    release = asyncio.Event()
    received = hashlib.sha256()
    count = 0
    done = asyncio.Event()

    async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        await release.wait()
        while data := await reader.read(4 * MiB):
            received.update(data)
            count += len(data)
        done.set()
        writer.close()

    await pods.serve("web", 80, stalled)
    total = 256 * MiB
    block = os.urandom(MiB)
    written = 0
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        _reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)

        async def push() -> None:
            nonlocal written
            while written < total:
                writer.write(block)
                await writer.drain()
                written += len(block)
            writer.write_eof()

        pusher = asyncio.ensure_future(push())
        stalled_at = await _until_progress_stops(lambda: written)
        assert stalled_at < 96 * MiB, f"{stalled_at // MiB} MiB were accepted while the pod read nothing"
        release.set()
        await asyncio.wait_for(pusher, 60)
        await asyncio.wait_for(done.wait(), 60)
        writer.close()
    want = hashlib.sha256()
    for _ in range(total // MiB):
        want.update(block)
    assert count == total and received.digest() == want.digest()
