"""Cross-check: the ``kubernetes`` package's port-forward and kpy's, through the same emulator, get the same bytes."""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods

from kpy.config import ConnectionFlags, load_client_config
from kpy.portforward import PortForwarder
from kpy.rest import RestClient

SIZE = 4 << 20
DATA = hashlib.sha256(b"seed").digest() * (SIZE // 32)


async def speak_then_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send a fixed 4 MiB, then echo what arrives (both directions compared across clients)."""
    writer.write(DATA)
    await writer.drain()
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as thread:
        pods = Pods(thread.emulator)
        thread.run(pods.serve("web", 80, speak_then_echo))
        try:
            yield thread
        finally:
            thread.run(pods.close())


def exchange(sock: socket.socket, upload: bytes) -> bytes:
    # a deadline per call, generous: the package's proxy thread shares this process's GIL with the emulator and
    # kpy, and moves ~1 MiB/s upstream on an idle machine (far less with every core busy)
    sock.settimeout(120)
    got = bytearray()
    while len(got) < SIZE:
        chunk = sock.recv(1 << 16)
        assert chunk, "stream ended early"
        got += chunk
    sock.sendall(upload)
    while len(got) < SIZE + len(upload):
        chunk = sock.recv(1 << 16)
        assert chunk, "stream ended early"
        got += chunk
    return bytes(got)


def via_kubernetes_package(sandbox: Any, tmp: Path, upload: bytes) -> bytes:
    from kubernetes import client as k8s
    from kubernetes.stream import portforward

    em = sandbox.emulator
    ca = tmp / "ca.pem"
    ca.write_bytes(em.ca_pem)
    config = k8s.Configuration()
    config.host = em.url
    config.ssl_ca_cert = str(ca)
    config.api_key = {"authorization": f"Bearer {em.token}"}
    api = k8s.CoreV1Api(k8s.ApiClient(config))
    pf = portforward(api.connect_get_namespaced_pod_portforward, "web", "default", ports="80")
    try:
        sock = pf.socket(80)
        sock.setblocking(True)
        got = exchange(sock, upload)
        sock.close()
        assert pf.error(80) is None
        return got
    finally:
        pf.close()


async def via_kpy(sandbox: Any, upload: bytes) -> bytes:
    config = load_client_config(ConnectionFlags(kubeconfig=str(sandbox.kubeconfig_path)), env={"HOME": "/x"})
    async with (
        RestClient(config) as rest,
        PortForwarder(rest, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw,
    ):
        port = fw.listeners[0].local_port

        def run() -> bytes:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                return exchange(sock, upload)

        return await asyncio.to_thread(run)


def test_kubernetes_package_and_kpy_get_the_same_bytes(sandbox: Any, tmp_path: Path) -> None:
    upload = bytes(range(256)) * 1024
    theirs = via_kubernetes_package(sandbox, tmp_path, upload)
    ours = asyncio.run(via_kpy(sandbox, upload))
    expected = hashlib.sha256(DATA + upload).hexdigest()
    assert hashlib.sha256(theirs).hexdigest() == expected
    assert hashlib.sha256(ours).hexdigest() == expected
