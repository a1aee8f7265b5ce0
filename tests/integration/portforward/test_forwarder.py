"""PortForwarder against a small fake API server whose portforward route is the emulator's kubelet side."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.integration.portforward.fakeapi import FakeApi, make_pod, running

from kpy.config import ConnectionFlags, load_client_config
from kpy.errors import ForwardError, UsageError
from kpy.portforward import PortForwarder
from kpy.portforward import events as ev
from kpy.rest import RestClient


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def tagged(tag: bytes) -> Any:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(tag)
        await writer.drain()
        await echo(reader, writer)

    return handler


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    async with running(FakeApi()) as fake:
        yield fake


@pytest.fixture
async def client(api: FakeApi) -> AsyncIterator[RestClient]:
    config = load_client_config(ConnectionFlags(server=api.url, namespace="default"), env={})
    async with RestClient(config) as rest:
        yield rest


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.ForwardEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: ev.ForwardEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type[Any], count: int = 1) -> list[Any]:
        async with asyncio.timeout(10):
            while len(self.of(kind)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.of(kind)


async def roundtrip(port: int, payload: bytes = b"hello", host: str = "127.0.0.1", skip: int = 0) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        if skip:
            await reader.readexactly(skip)
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 10)
    finally:
        writer.close()


async def test_pod_target_forwards_bytes_and_reports_kubectl_events(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web"))
    await api.backend("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], on_event=rec) as fw:
        listener = fw.listeners[0]
        assert listener.address == "127.0.0.1" and listener.remote_port == 80 and listener.local_port > 0
        assert await roundtrip(listener.local_port) == b"hello"
        if ipv6_loopback():
            assert [li.address for li in fw.listeners] == ["127.0.0.1", "::1"]
            assert fw.listeners[1].local_port == listener.local_port  # :80 binds once, reuses the port
            assert await roundtrip(listener.local_port, host="::1") == b"hello"
        await rec.wait_for(ev.ConnectionAccepted)
    started = rec.of(ev.ForwardingStarted)
    assert started[0].listener.host_port == f"127.0.0.1:{listener.local_port}" and started[0].pod == "web"
    assert all(e.local_port == listener.local_port for e in rec.of(ev.ConnectionAccepted))
    assert rec.of(ev.ConnectionFailed) == []


async def test_bare_name_named_container_port_and_explicit_local(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web", ports=[{"name": "http", "containerPort": 8080}]))
    await api.backend("web", 8080, echo)
    async with PortForwarder(client, "web", [":http"], addresses=["127.0.0.1"]) as fw:
        assert [(li.address, li.remote_port) for li in fw.listeners] == [("127.0.0.1", 8080)]
        assert await roundtrip(fw.listeners[0].local_port) == b"hello"


async def test_service_named_port_maps_to_named_target_port_on_selected_pod(
    api: FakeApi, client: RestClient
) -> None:
    await api.put(
        "pods",
        make_pod(
            "web-old",
            labels={"app": "web"},
            ports=[{"name": "http", "containerPort": 9090}],
            phase="Pending",
            ready=False,
        ),
    )
    await api.put(
        "pods", make_pod("web-1", labels={"app": "web"}, ports=[{"name": "http", "containerPort": 9090}])
    )
    await api.put("pods", make_pod("other", labels={"app": "db"}))
    await api.put(
        "services",
        {
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "web", "port": 80, "targetPort": "http"}],
            },
        },
    )
    await api.backend("web-1", 9090, await tagged(b"web-1:"))
    async with PortForwarder(client, "svc/web", [":web"], addresses=["127.0.0.1"]) as fw:
        assert fw.pod == "web-1"
        assert fw.listeners[0].remote_port == 9090
        assert await roundtrip(fw.listeners[0].local_port, skip=6) == b"hello"


async def test_deployment_picks_a_running_pod_from_its_selector(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web-abc", labels={"app": "web", "tier": "fe"}))
    await api.put(
        "deployments",
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
        },
    )
    await api.backend("web-abc", 80, echo)
    async with PortForwarder(client, "deploy/web", [":80"], addresses=["127.0.0.1"]) as fw:
        assert fw.pod == "web-abc"
        assert await roundtrip(fw.listeners[0].local_port) == b"hello"


async def test_workload_without_running_pod_times_out(api: FakeApi, client: RestClient) -> None:
    await api.put(
        "deployments",
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
        },
    )
    with pytest.raises(ForwardError, match="timed out waiting for the condition"):
        async with PortForwarder(client, "deploy/web", ["80"], pod_running_timeout=0.2):
            pass


async def test_pod_not_running_is_refused_like_kubectl(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web", phase="Pending"))
    with pytest.raises(
        ForwardError, match=r"unable to forward port because pod is not running\. Current status=Pending"
    ):
        async with PortForwarder(client, "pod/web", ["80"]):
            pass


async def test_missing_pod_is_the_servers_not_found(api: FakeApi, client: RestClient) -> None:
    from kpy.errors import NotFound

    with pytest.raises(NotFound, match='pods "nope" not found'):
        async with PortForwarder(client, "pod/nope", ["80"]):
            pass


def test_bad_arguments_fail_before_any_request() -> None:
    config = load_client_config(ConnectionFlags(server="http://127.0.0.1:1", namespace="default"), env={})
    rest = RestClient(config)
    with pytest.raises(UsageError, match="invalid port format '1:2:3'"):
        PortForwarder(rest, "pod/web", ["1:2:3"])
    with pytest.raises(UsageError, match="nope is not a valid IP"):
        PortForwarder(rest, "pod/web", ["80"], addresses=["nope"])
    with pytest.raises(UsageError, match='the server doesn\'t have a resource type "cm"'):
        PortForwarder(rest, "cm/web", ["80"])


async def test_error_channel_message_closes_that_connection_and_listener_keeps_serving(
    api: FakeApi, client: RestClient
) -> None:
    await api.put("pods", make_pod("web"))
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, no bytes
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert (failed.local_port, failed.remote_port) == (port, 80)
        assert failed.message.startswith(
            "error forwarding port 80 to pod web, uid uid-web: failed to connect"
        )
        await api.backend("web", 80, echo)
        assert await roundtrip(port) == b"hello"


async def test_dropped_websocket_closes_only_that_connection(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web"))
    await api.backend("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
        [session] = api.sessions
        await session.abort()
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert "lost" in failed.message
        assert await roundtrip(port) == b"hello"


async def test_pod_deleted_fails_with_lost_connection_to_pod(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web"))
    await api.backend("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        await api.delete_pod("web")
        with pytest.raises(ForwardError, match=r"^lost connection to pod$"):
            await asyncio.wait_for(fw.wait(), 10)
    assert rec.of(ev.PodLost)[0].pod == "web"


async def test_reconnect_resolves_a_new_pod_and_keeps_the_local_port(
    api: FakeApi, client: RestClient
) -> None:
    await api.put("pods", make_pod("web-1", labels={"app": "web"}))
    await api.put(
        "replicasets",
        {
            "kind": "ReplicaSet",
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
        },
    )
    await api.backend("web-1", 80, await tagged(b"1"))
    rec = Recorder()
    async with PortForwarder(
        client, "rs/web", [":80"], addresses=["127.0.0.1"], reconnect=True, on_event=rec
    ) as fw:
        port = fw.listeners[0].local_port
        assert await roundtrip(port, skip=1) == b"hello"
        await api.delete_pod("web-1")
        await rec.wait_for(ev.PodLost)
        await api.backend("web-2", 80, await tagged(b"2"))
        await api.put("pods", make_pod("web-2", labels={"app": "web"}))
        [again] = await rec.wait_for(ev.Reconnected)
        assert (again.previous_pod, again.pod) == ("web-1", "web-2")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.readexactly(1), 10) == b"2"
        writer.close()
        assert fw.pod == "web-2"


async def test_port_in_use_is_reported_and_no_bound_port_is_an_error(
    api: FakeApi, client: RestClient
) -> None:
    await api.put("pods", make_pod("web"))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    rec = Recorder()
    try:
        with pytest.raises(
            ForwardError, match=rf"^unable to listen on any of the requested ports: \[\{{{taken} 80\}}\]$"
        ):
            async with PortForwarder(
                client, "pod/web", [f"{taken}:80"], addresses=["127.0.0.1"], on_event=rec
            ):
                pass
        [failed] = rec.of(ev.ListenFailed)
        assert failed.local_port == taken
        assert failed.message == (
            "Listeners failed to create with the following errors: [unable to create listener: "
            f"Error listen tcp4 127.0.0.1:{taken}: bind: address already in use]"
        )
        # one free port is enough: the busy one is reported, the other serves
        await api.backend("web", 81, echo)
        rec2 = Recorder()
        async with PortForwarder(
            client, "pod/web", [f"{taken}:80", ":81"], addresses=["127.0.0.1"], on_event=rec2
        ) as fw:
            assert [li.remote_port for li in fw.listeners] == [81]
            assert len(rec2.of(ev.ListenFailed)) == 1
    finally:
        busy.close()


async def test_pod_closing_first_delivers_everything(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web"))
    payload = os.urandom(8 << 20)

    async def speak(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        writer.close()

    await api.backend("web", 80, speak)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        got = await asyncio.wait_for(reader.read(-1), 30)  # until EOF: the pod side closed
        writer.close()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()


async def test_client_closing_first_delivers_everything_to_the_pod(api: FakeApi, client: RestClient) -> None:
    await api.put("pods", make_pod("web"))
    payload = os.urandom(8 << 20)
    received = bytearray()
    eof = asyncio.Event()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1 << 16):
            received.extend(data)
        eof.set()
        writer.close()

    await api.backend("web", 80, sink)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        _, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(payload)
        await writer.drain()
        writer.close()
        await asyncio.wait_for(eof.wait(), 30)
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(payload).hexdigest()


async def test_stop_makes_wait_return_and_close_ends_open_connections(
    api: FakeApi, client: RestClient
) -> None:
    await api.put("pods", make_pod("web"))
    await api.backend("web", 80, echo)
    fw = PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"])
    async with fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 10) == b"x"
        fw.stop()
        await asyncio.wait_for(fw.wait(), 5)
    assert await asyncio.wait_for(reader.read(), 10) == b""
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
