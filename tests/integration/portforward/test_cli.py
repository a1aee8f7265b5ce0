"""``kpy port-forward`` as a subprocess: kubectl's lines, -o json, SIGINT/SIGTERM exit 0, pod loss exit 1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY
from tests.integration.portforward.fakeapi import FakeApiThread, make_pod
from tests.integration.portforward.test_forwarder import echo


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeApiThread]:
    with FakeApiThread(tmp_path_factory.mktemp("pf")) as thread:
        assert thread.api is not None
        thread.run(thread.api.put("pods", make_pod("web", ports=[{"name": "http", "containerPort": 80}])))
        thread.run(thread.api.backend("web", 80, echo))
        yield thread


def start(fake: FakeApiThread, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBECONFIG": str(fake.kubeconfig)}
    return subprocess.Popen(
        [KPY, "port-forward", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def readline(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"kpy exited early: {proc.wait(10)} {proc.stderr.read() if proc.stderr else ''}"
    return line.rstrip("\n")


def echo_through(port: int, payload: bytes = b"hello kpy") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = sock.recv(65536)
            assert chunk
            got += chunk
        return got


def finish(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_prints_kubectl_lines_forwards_and_exits_0_on_signal(fake: FakeApiThread, sig: int) -> None:
    proc = start(fake, "pod/web", ":80", "--address", "127.0.0.1")
    try:
        line = readline(proc)
        assert line.startswith("Forwarding from 127.0.0.1:") and line.endswith(" -> 80")
        port = int(line.split(":")[1].split()[0])
        assert echo_through(port) == b"hello kpy"
        assert readline(proc) == f"Handling connection for {port}"
    finally:
        code, _, err = finish(proc, sig)
    assert code == 0, err
    assert err == ""


def test_json_output_is_one_line_per_listener(fake: FakeApiThread) -> None:
    proc = start(fake, "web", ":http", "-o", "json", "--address", "127.0.0.1")
    try:
        doc: dict[str, Any] = json.loads(readline(proc))
        assert doc["address"] == "127.0.0.1" and doc["remotePort"] == 80 and doc["pod"] == "web"
        assert echo_through(doc["localPort"]) == b"hello kpy"
    finally:
        code, out, _ = finish(proc, signal.SIGINT)
    assert code == 0
    assert out == ""  # no "Handling connection" lines in json mode


def test_port_in_use_prints_kubectl_message_and_exits_1(fake: FakeApiThread) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        proc = start(fake, "pod/web", f"{taken}:80", "--address", "127.0.0.1")
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert out == ""
    assert err.splitlines() == [
        f"Unable to listen on port {taken}: Listeners failed to create with the following errors: [unable to "
        f"create listener: Error listen tcp4 127.0.0.1:{taken}: bind: address already in use]",
        f"error: unable to listen on any of the requested ports: [{{{taken} 80}}]",
    ]


def test_pod_deleted_exits_1_with_lost_connection_to_pod(fake: FakeApiThread) -> None:
    assert fake.api is not None
    fake.run(fake.api.put("pods", make_pod("doomed")))
    proc = start(fake, "pod/doomed", ":80", "--address", "127.0.0.1")
    try:
        assert readline(proc).startswith("Forwarding from 127.0.0.1:")
        fake.run(fake.api.delete_pod("doomed"))
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert err.splitlines()[-1] == "error: lost connection to pod"


def test_usage_errors(fake: FakeApiThread, tmp_path: Path) -> None:
    proc = start(fake, "pod/web")
    _, err = proc.communicate(timeout=30)
    assert (
        proc.returncode == 1
        and err.strip() == "error: TYPE/NAME and list of ports are required for port-forward"
    )
    proc = start(fake, "pod/web", "80", "--pod-running-timeout", "0s")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.strip() == "error: --pod-running-timeout must be higher than zero"
    proc = start(fake, "pod/nope", "80")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.strip() == 'Error from server (NotFound): pods "nope" not found'
