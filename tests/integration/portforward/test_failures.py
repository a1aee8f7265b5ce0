"""What broke, in the message, on every protocol: the local client, the pod (the kubelet's error stream), the
kubelet (the connection dropped while the API server answers) or the API server. Against the emulator's faults."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods, echo
from tests.integration.portforward.test_forwarder import Recorder

from kpy.portforward import PortForwarder
from kpy.portforward import events as ev
from kpy.rest import RestClient

PROTOCOLS = ["tunnel", "spdy", "v4"]
KUBELET = (
    "the port-forward stream ended without a close frame by the pod's side (the kubelet or its node); "
    "the API server is reachable"
)


async def open_echo(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 10) == b"ping"
    return reader, writer


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_local_client_reset_names_the_client_and_the_forwarder_goes_on(
    pods: Pods, client: RestClient, protocol: str
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":80"], addresses=["127.0.0.1"], protocol=protocol, on_event=rec
    ) as fw:
        port = fw.listeners[0].local_port
        _, writer = await open_echo(port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer = f"127.0.0.1:{sock.getsockname()[1]}"
        writer.transport.abort()  # RST
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert failed.message.startswith(f"local client {peer} reset the connection"), failed.message
        await open_echo(port)  # not the pod's fault: the session goes on
    assert rec.of(ev.PodLost) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_refused_port_is_the_kubelets_error_text(pods: Pods, client: RestClient, protocol: str) -> None:
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":81"], protocol=protocol, reconnect=True, on_event=rec
    ) as fw:
        reader, writer = await asyncio.open_connection("127.0.0.1", fw.listeners[0].local_port)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
    assert failed.message.startswith("error forwarding port 81 to pod web, uid "), failed.message
    assert "connection refused" in failed.message


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_pod_side_error_mid_stream_is_the_kubelets_text(
    emulator: Any, pods: Pods, client: RestClient, protocol: str
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":80"], protocol=protocol, reconnect=True, on_event=rec
    ) as fw:
        reader, writer = await open_echo(fw.listeners[0].local_port)
        assert emulator.abort_portforward("default", "web", "container web exited") == 1
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
    assert failed.message == "container web exited"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_kubelet_drop_says_the_pods_side_and_the_api_server_is_fine(
    emulator: Any, pods: Pods, client: RestClient, protocol: str
) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(
        client, "pod/web", [":80"], protocol=protocol, reconnect=True, on_event=rec
    ) as fw:
        port = fw.listeners[0].local_port
        reader, writer = await open_echo(port)
        assert emulator.faults.drop_portforward("default", "web") == 1
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        [failed] = await rec.wait_for(ev.ConnectionFailed)
        assert failed.message == KUBELET
        await open_echo(port)  # dialled again


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_api_server_down_says_so(emulator: Any, pods: Pods, client: RestClient, protocol: str) -> None:
    await pods.serve("web", 80, echo)
    rec = Recorder()
    async with PortForwarder(client, "pod/web", [":80"], protocol=protocol, on_event=rec) as fw:
        reader, writer = await open_echo(fw.listeners[0].local_port)
        await emulator.faults.go_offline()
        try:
            assert await asyncio.wait_for(reader.read(), 10) == b""
            writer.close()
            [failed] = await rec.wait_for(ev.ConnectionFailed)
        finally:
            await emulator.faults.go_online()
    assert failed.message.startswith(
        "the port-forward stream ended without a close frame, and the API server cannot be reached: "
    ), failed.message
