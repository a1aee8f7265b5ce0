"""PortForwarder against the emulator, whose kubelet side dials real loopback TCP servers ("containers")."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods, echo, tagged

from kpy.config import ConnectionFlags, load_client_config
from kpy.errors import ForwardError, NotFound, UsageError
from kpy.portforward import PortForwarder
from kpy.portforward import events as ev
from kpy.rest import RestClient

WEB_RS = "web-7c5ddbdf54"  # the seeded deployment's replica set (labels app=web, pod-template-hash)
WEB_LABELS = {"app": "web", "pod-template-hash": "7c5ddbdf54"}


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


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


async def test_pod_target_forwards_bytes_and_reports_kubectl_events(pods: Pods, client: RestClient) -> None:
    await pods.serve("web", 80, echo)
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


async def test_bare_name_and_named_container_port(pods: Pods, client: RestClient) -> None:
    await pods.serve("web", 80, echo)  # the seeded pod's container port 80 is named "http"
    async with PortForwarder(client, "web", [":http"], addresses=["127.0.0.1"]) as fw:
        assert [(li.address, li.remote_port) for li in fw.listeners] == [("127.0.0.1", 80)]
        assert await roundtrip(fw.listeners[0].local_port) == b"hello"


async def test_service_named_port_maps_to_the_target_port_of_a_running_selected_pod(
    pods: Pods, client: RestClient
) -> None:
    # service web: port "http" -> targetPort "http"; a Pending pod it also selects is passed over
    await pods.create(
        "web-pending", labels=WEB_LABELS, ports=[{"name": "http", "containerPort": 80}], phase="Pending"
    )
    await pods.serve("web", 80, tagged(b"web:"))
    await pods.serve("web-pending", 80, tagged(b"nope"))
    async with PortForwarder(client, "svc/web", [":http"], addresses=["127.0.0.1"]) as fw:
        assert fw.pod == "web"
        assert fw.listeners[0].remote_port == 80
        assert await roundtrip(fw.listeners[0].local_port, skip=4) == b"hello"


async def test_deployment_picks_a_running_pod_from_its_selector(pods: Pods, client: RestClient) -> None:
    await pods.serve("web", 80, echo)
    async with PortForwarder(client, "deploy/web", [":80"], addresses=["127.0.0.1"]) as fw:
        assert fw.pod == "web"
        assert await roundtrip(fw.listeners[0].local_port) == b"hello"


async def test_workload_without_running_pod_times_out(emulator: Any, client: RestClient) -> None:
    await emulator.delete_object("v1", "Pod", "web", "default")
    with pytest.raises(ForwardError, match="timed out waiting for the condition"):
        async with PortForwarder(client, "deploy/web", ["80"], pod_running_timeout=0.2):
            pass


async def test_pod_not_running_is_refused_like_kubectl(pods: Pods, client: RestClient) -> None:
    await pods.create("starting", phase="Pending")
    with pytest.raises(
        ForwardError, match=r"unable to forward port because pod is not running\. Current status=Pending"
    ):
        async with PortForwarder(client, "pod/starting", ["80"]):
            pass


async def test_missing_pod_is_the_servers_not_found(client: RestClient) -> None:
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


async def test_error_channel_message_carries_the_pod_uid_and_with_reconnect_the_listener_keeps_serving(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    uid = (await emulator.get_object("v1", "Pod", "web", "default"))["metadata"]["uid"]
    assert uid
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec, reconnect=True
    ) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # nothing listens in the pod yet
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, no bytes
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert (failed.local_port, failed.remote_port) == (port, 80)
        assert failed.message.startswith(f"error forwarding port 80 to pod web, uid {uid}: failed to connect")
        await pods.serve("web", 80, echo)
        assert await roundtrip(port) == b"hello"


async def test_error_channel_message_without_reconnect_ends_the_session_like_kubectl(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # nothing listens in the pod
        writer.close()
        with pytest.raises(ForwardError, match=r"^lost connection to pod$"):
            await asyncio.wait_for(fw.wait(), 10)
    [failed] = rec.of(ev.ConnectionFailed)
    assert failed.message.startswith("error forwarding port 80 to pod web")


async def test_dropped_websocket_with_reconnect_closes_only_that_connection(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec, reconnect=True
    ) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
        assert emulator.faults.drop_portforward("default", "web") == 1
        assert await asyncio.wait_for(reader.read(), 10) == b""  # that connection ends
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert failed.message == (
            "the port-forward stream ended without a close frame by the pod's side (the kubelet or its node); "
            "the API server is reachable"
        )
        assert await roundtrip(port) == b"hello"  # the listener keeps serving
        assert rec.of(ev.PodLost) == []


async def test_a_dropped_stream_while_the_api_server_is_down_says_so(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
        await emulator.faults.go_offline()
        try:
            assert await asyncio.wait_for(reader.read(), 10) == b""
            writer.close()
            [failed] = await rec.wait_for(ev.ConnectionFailed)
        finally:
            await emulator.faults.go_online()
    assert failed.message.startswith(
        "the port-forward stream ended without a close frame, and the API server cannot be reached: "
    )


async def test_pod_deleted_ends_open_connections_and_fails_with_lost_connection_to_pod(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"], on_event=rec) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
        emulator.faults.delete_pod("default", "web")
        assert await asyncio.wait_for(reader.read(), 10) == b""  # the open session was aborted
        writer.close()
        with pytest.raises(ForwardError, match=r"^lost connection to pod$"):
            await asyncio.wait_for(fw.wait(), 10)
    [lost] = rec.of(ev.PodLost)
    assert (lost.pod, lost.reason) == ("web", 'pod "web" was deleted')


async def test_reconnect_resolves_a_new_pod_and_keeps_the_local_port(
    emulator: Any, pods: Pods, client: RestClient
) -> None:
    await pods.serve("web", 80, tagged(b"1"))
    rec = Recorder()
    async with PortForwarder(
        client, f"rs/{WEB_RS}", [":80"], addresses=["127.0.0.1"], reconnect=True, on_event=rec
    ) as fw:
        port = fw.listeners[0].local_port
        assert await roundtrip(port, skip=1) == b"hello"
        await emulator.delete_object("v1", "Pod", "web", "default")
        await rec.wait_for(ev.PodLost)
        await pods.serve("web-2", 80, tagged(b"2"))
        await pods.create("web-2", labels=WEB_LABELS)
        [again] = await rec.wait_for(ev.Reconnected)
        assert (again.previous_pod, again.pod) == ("web", "web-2")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.readexactly(1), 10) == b"2"
        writer.close()
        assert fw.pod == "web-2"


async def test_port_in_use_is_reported_and_no_bound_port_is_an_error(pods: Pods, client: RestClient) -> None:
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
        await pods.serve("web", 81, echo)
        rec2 = Recorder()
        async with PortForwarder(
            client, "pod/web", [f"{taken}:80", ":81"], addresses=["127.0.0.1"], on_event=rec2
        ) as fw:
            assert [li.remote_port for li in fw.listeners] == [81]
            assert len(rec2.of(ev.ListenFailed)) == 1
            assert await roundtrip(fw.listeners[0].local_port) == b"hello"
    finally:
        busy.close()


async def test_pod_closing_first_delivers_everything(pods: Pods, client: RestClient) -> None:
    payload = os.urandom(8 << 20)

    async def speak(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        writer.close()

    await pods.serve("web", 80, speak)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        got = await asyncio.wait_for(reader.read(-1), 30)  # until EOF: the pod side closed
        writer.close()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()


async def test_client_closing_first_delivers_everything_to_the_pod(pods: Pods, client: RestClient) -> None:
    payload = os.urandom(8 << 20)
    received = bytearray()
    eof = asyncio.Event()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1 << 16):
            received.extend(data)
        eof.set()
        writer.close()

    await pods.serve("web", 80, sink)
    async with PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw:
        _, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        writer.write(payload)
        await writer.drain()
        writer.close()
        await asyncio.wait_for(eof.wait(), 30)
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(payload).hexdigest()


async def test_stop_makes_wait_return_and_close_ends_open_connections(pods: Pods, client: RestClient) -> None:
    await pods.serve("web", 80, echo)
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
