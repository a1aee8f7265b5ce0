"""Port-forward tests run against ``kpy.testing.Emulator`` whose kubelet side dials real loopback TCP servers.

``emulator``: a seeded emulator on the test's loop (pod ``web`` Running with port 80 named ``http``, its
replica set and deployment ``web``, service ``web`` port ``http``). ``client``: a RestClient for it (from its
kubeconfig: TLS + token). ``pods``: makes pods (copies of the seeded ``web``) and starts the "containers":
``await pods.serve("web", 80, handler)`` binds a loopback server and points ``set_port_backend`` at it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kpy.config import ConnectionFlags, load_client_config
from kpy.rest import RestClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A container that echoes until the peer closes, then closes."""
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def tagged(tag: bytes) -> Handler:
    """Echo, after first sending ``tag`` (tells which pod answered)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(tag)
        await writer.drain()
        await echo(reader, writer)

    return handler


class Pods:
    """Pods in the emulator and the loopback servers that play their containers."""

    def __init__(self, emulator: Any) -> None:
        self.em = emulator
        self.servers: list[asyncio.Server] = []

    async def create(
        self,
        name: str,
        *,
        labels: dict[str, str] | None = None,
        ports: list[dict[str, Any]] | None = None,
        phase: str = "Running",
    ) -> dict[str, Any]:
        """A copy of the seeded Running pod ``web`` (owner references dropped) with these fields."""
        from kpy.testing.seed import seed_objects

        [pod] = [
            o
            for o in seed_objects(self.em.store.now())
            if o["kind"] == "Pod" and o["metadata"]["name"] == "web"
        ]
        meta = pod["metadata"]
        for key in ("uid", "resourceVersion", "creationTimestamp", "ownerReferences", "managedFields"):
            meta.pop(key, None)
        meta["name"] = name
        meta["labels"] = labels if labels is not None else {"app": name}
        pod["spec"]["containers"][0]["ports"] = ports if ports is not None else []
        pod["status"]["phase"] = phase
        if phase != "Running":
            pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
            pod["status"].pop("containerStatuses", None)
        created: dict[str, Any] = await self.em.create_object(pod)
        return created

    async def serve(self, pod: str, port: int, handler: Handler, *, namespace: str = "default") -> int:
        """Start a loopback TCP server for ``pod``'s ``port``; returns its real port."""
        server = await asyncio.start_server(handler, "127.0.0.1", 0, limit=1 << 20)
        self.servers.append(server)
        real = int(server.sockets[0].getsockname()[1])
        self.em.set_port_backend(namespace, pod, port, "127.0.0.1", real)
        return real

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from kpy.testing import Emulator

    async with Emulator(seed=True) as em:
        yield em


@pytest.fixture
async def pods(emulator: Any) -> AsyncIterator[Pods]:
    made = Pods(emulator)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def client(emulator: Any) -> AsyncIterator[RestClient]:
    config = load_client_config(
        ConnectionFlags(kubeconfig=str(emulator.kubeconfig_path), namespace="default"),
        env={"HOME": "/nonexistent"},
    )
    async with RestClient(config) as rest:
        yield rest
