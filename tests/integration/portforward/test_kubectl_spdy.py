"""kubectl's own port-forward against the emulator: SPDY/3.1 over an HTTP upgrade (kubectl 1.30 and older) and
tunnelled in a WebSocket (1.31+), byte-exact both ways, with half-close, and a refused port's error text.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.portforward.conftest import Pods

SDK = Path("/usr/lib/google-cloud-sdk/bin")
SIZE = 2 << 20
DATA = hashlib.sha256(b"kubectl").digest() * (SIZE // 32)


async def speak_then_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send a fixed 2 MiB, then echo until the client's EOF, then close (half-close visible end to end)."""
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


def kubectl(version: str) -> Path:
    path = SDK / f"kubectl.{version}"
    if not path.exists():
        pytest.skip(f"{path} is not installed")
    return path


def start(binary: Path, sandbox: Any, *args: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "KUBECONFIG": str(sandbox.emulator.kubeconfig_path), "HOME": "/nonexistent"}
    proc = subprocess.Popen(
        [str(binary), "port-forward", "--address", "127.0.0.1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ->", line)
    if match is None:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"kubectl did not start forwarding: {line!r} {err!r}")
    return proc, int(match.group(1))


def exchange(port: int, upload: bytes) -> bytes:
    """Read the pod's 2 MiB, send ``upload``, half-close, read the echo until the pod closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        got = bytearray()
        while len(got) < SIZE:
            chunk = sock.recv(1 << 16)
            assert chunk, f"stream ended after {len(got)} bytes"
            got += chunk
        sock.sendall(upload)
        sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(1 << 16):
            got += chunk
    return bytes(got)


@pytest.mark.parametrize(
    ("version", "protocol"), [("1.27", "spdy"), ("1.30", "spdy"), ("1.32", "tunnel"), ("1.33", "tunnel")]
)
def test_kubectl_port_forward_is_byte_exact_with_half_close(
    sandbox: Any, version: str, protocol: str
) -> None:
    """1.30 and older upgrade to SPDY/3.1; 1.31+ tunnel SPDY in a WebSocket. Every local connection shares
    kubectl's one connection to the server."""
    proc, port = start(kubectl(version), sandbox, "pod/web", ":80")
    try:
        for n in range(3):
            upload = os.urandom(100_000 + n)
            assert exchange(port, upload) == DATA + upload
            assert [s.protocol for s in sandbox.emulator.portforward_sessions] == [protocol]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    deadline = time.monotonic() + 10  # the session ends with kubectl
    while sandbox.emulator.portforward_sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sandbox.emulator.portforward_sessions


@pytest.mark.parametrize("version", ["1.29", "1.32"])
def test_kubectl_gets_the_kubelets_error_for_a_closed_port(sandbox: Any, version: str) -> None:
    proc, port = start(kubectl(version), sandbox, "pod/web", ":81")  # nothing listens on 81
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.settimeout(30)
            assert sock.recv(100) == b""  # kubectl closes the local connection
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "error forwarding port 81 to pod web" in err
