"""``kpy port-forward`` as a subprocess against the emulator (in a thread) and real loopback "containers".

kubectl's lines, -o json, SIGINT exits 0 and SIGTERM 143 (as kubectl), port in use, pod deleted (exit 1, or
--reconnect), a stream that fails on the pod's side (kubectl's ``lost connection to pod``, exit 1; with
--reconnect that connection ends with a message and the listener keeps serving), a local client reset (reported
as the client's doing; the session goes on).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KPY
from tests.integration.portforward.conftest import Pods, echo, tagged


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    """A seeded emulator in a thread; pod ``web``'s port 80 is a loopback echo server."""
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as thread:
        pods = Pods(thread.emulator)
        thread.pods = pods
        thread.run(pods.serve("web", 80, echo))
        try:
            yield thread
        finally:
            thread.run(pods.close())


def start(sandbox: Any, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path)}
    return subprocess.Popen(
        [KPY, "port-forward", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def readline(proc: subprocess.Popen[str], stream: str = "stdout") -> str:
    pipe = proc.stdout if stream == "stdout" else proc.stderr
    assert pipe is not None
    line = pipe.readline()
    assert line, f"kpy exited early: {proc.wait(10)} {proc.stderr.read() if proc.stderr else ''}"
    return line.rstrip("\n")


def forwarded_port(line: str) -> int:
    assert line.startswith("Forwarding from 127.0.0.1:"), line
    return int(line.split(":")[1].split()[0])


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


@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGINT, 0), (signal.SIGTERM, 143)])
def test_prints_kubectl_lines_forwards_and_exits_like_kubectl_on_signal(
    sandbox: Any, sig: int, expected: int
) -> None:
    """kubectl 1.32 (checked against a real API server): Ctrl-C exits 0, SIGTERM 143."""
    proc = start(sandbox, "pod/web", ":80", "--address", "127.0.0.1")
    try:
        port = forwarded_port(readline(proc))
        assert echo_through(port) == b"hello kpy"
        assert readline(proc) == f"Handling connection for {port}"
    finally:
        code, _, err = finish(proc, sig)
    assert code == expected, err
    assert err == ""


def test_json_output_is_one_line_per_listener(sandbox: Any) -> None:
    proc = start(sandbox, "svc/web", ":http", "-o", "json", "--address", "127.0.0.1")
    try:
        doc: dict[str, Any] = json.loads(readline(proc))
        assert doc["address"] == "127.0.0.1" and doc["remotePort"] == 80 and doc["pod"] == "web"
        assert doc["url"] == f"http://127.0.0.1:{doc['localPort']}"
        assert echo_through(doc["localPort"]) == b"hello kpy"
    finally:
        code, out, _ = finish(proc, signal.SIGINT)
    assert code == 0
    assert out == ""  # no "Handling connection" lines in json mode


def test_port_in_use_prints_kubectl_message_and_exits_1(sandbox: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        proc = start(sandbox, "pod/web", f"{taken}:80", "--address", "127.0.0.1")
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert out == ""
    assert err.splitlines() == [
        f"Unable to listen on port {taken}: Listeners failed to create with the following errors: [unable to "
        f"create listener: Error listen tcp4 127.0.0.1:{taken}: bind: address already in use]",
        f"error: unable to listen on any of the requested ports: [{{{taken} 80}}]",
    ]


def test_dropped_stream_with_reconnect_ends_that_connection_with_a_message_and_keeps_serving(
    sandbox: Any,
) -> None:
    sandbox.run(sandbox.pods.create("dropper"))
    sandbox.run(sandbox.pods.serve("dropper", 80, echo))
    proc = start(sandbox, "pod/dropper", ":80", "--address", "127.0.0.1", "--reconnect")
    try:
        port = forwarded_port(readline(proc))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"ping")
            assert sock.recv(4) == b"ping"
            assert sandbox.call(sandbox.emulator.faults.drop_portforward, "default", "dropper") == 1
            assert sock.recv(4) == b""  # that connection is closed
        assert readline(proc, "stderr") == (
            f"error: an error occurred forwarding {port} -> 80: the port-forward stream ended without a close "
            "frame by the pod's side (the kubelet or its node); the API server is reachable"
        )
        assert echo_through(port) == b"hello kpy"  # the listener still serves
        assert proc.poll() is None
    finally:
        code, _, err = finish(proc, signal.SIGINT)
    assert code == 0 and err == ""


@pytest.mark.parametrize("fault", ["drop", "refused"])
def test_a_stream_failing_on_the_pods_side_ends_the_session_like_kubectl(sandbox: Any, fault: str) -> None:
    """kubectl: a kubelet that drops the stream, or nothing listening on the pod's port, is ``error: lost
    connection to pod`` and exit 1; the API server is not blamed."""
    name = f"fail-{fault}"
    sandbox.run(sandbox.pods.create(name))
    if fault == "drop":
        sandbox.run(sandbox.pods.serve(name, 80, echo))
    proc = start(sandbox, f"pod/{name}", ":80", "--address", "127.0.0.1")
    try:
        port = forwarded_port(readline(proc))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            if fault == "drop":
                sock.sendall(b"ping")
                assert sock.recv(4) == b"ping"
                assert sandbox.call(sandbox.emulator.faults.drop_portforward, "default", name) == 1
            assert sock.recv(4) == b""
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    lines = err.splitlines()
    assert lines[-1] == "error: lost connection to pod"
    assert lines[0].startswith(f"error: an error occurred forwarding {port} -> 80: ")
    assert "API server broke" not in err and "cannot be reached" not in err


def test_a_local_client_reset_is_reported_as_the_clients_doing_and_the_session_goes_on(sandbox: Any) -> None:
    import struct

    proc = start(sandbox, "pod/web", ":80", "--address", "127.0.0.1")
    try:
        port = forwarded_port(readline(proc))
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        client = f"127.0.0.1:{sock.getsockname()[1]}"
        sock.sendall(b"ping")
        assert sock.recv(4) == b"ping"
        sock.sendall(b"x" * 65536)  # the echo is on its way back when the client resets
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        line = readline(proc, "stderr")
        assert line.startswith(f"error: an error occurred forwarding {port} -> 80: local client {client} "), (
            line
        )
        assert "reset the connection" in line or "closed the connection" in line
        assert echo_through(port) == b"hello kpy"  # the session goes on
        assert proc.poll() is None
    finally:
        code, _, _ = finish(proc, signal.SIGINT)
    assert code == 0


def test_pod_deleted_closes_connections_and_exits_1_with_lost_connection_to_pod(sandbox: Any) -> None:
    sandbox.run(sandbox.pods.create("doomed"))
    sandbox.run(sandbox.pods.serve("doomed", 80, echo))
    proc = start(sandbox, "pod/doomed", ":80", "--address", "127.0.0.1")
    try:
        port = forwarded_port(readline(proc))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"ping")
            assert sock.recv(4) == b"ping"
            sandbox.call(sandbox.emulator.faults.delete_pod, "default", "doomed")
            assert sock.recv(4) == b""  # the open connection ends
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert err.splitlines()[-1] == "error: lost connection to pod"
    assert "resolving the target again" not in err


def test_reconnect_keeps_the_local_port_and_serves_the_new_pod(sandbox: Any) -> None:
    em = sandbox.emulator
    sandbox.run(
        em.create_object(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "flaky", "namespace": "default"},
                "spec": {"selector": {"app": "flaky"}, "ports": [{"port": 8080, "targetPort": 80}]},
            }
        )
    )
    sandbox.run(sandbox.pods.create("flaky-1", labels={"app": "flaky"}))
    sandbox.run(sandbox.pods.serve("flaky-1", 80, tagged(b"1")))
    sandbox.run(sandbox.pods.serve("flaky-2", 80, tagged(b"2")))
    proc = start(sandbox, "svc/flaky", ":8080", "--address", "127.0.0.1", "--reconnect")
    try:
        port = forwarded_port(readline(proc))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert sock.recv(1) == b"1"
        sandbox.call(em.faults.delete_pod, "default", "flaky-1")

        def next_line() -> str:
            # the first connection's stream may still be closing when its pod goes: its error is reported, as
            # kubectl reports one (whether it is still open at that moment depends on scheduling)
            line = readline(proc, "stderr")
            if line.startswith("error: an error occurred forwarding"):
                assert line.endswith('pods "flaky-1" not found'), line
                line = readline(proc, "stderr")
            return line

        assert next_line() == (
            'Lost connection to pod flaky-1: pod "flaky-1" was deleted; resolving the target again'
        )
        sandbox.run(sandbox.pods.create("flaky-2", labels={"app": "flaky"}))
        assert next_line() == "Forwarding to pod flaky-2 (was flaky-1), ports 80"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert sock.recv(1) == b"2"
        assert proc.poll() is None
    finally:
        code, _, _ = finish(proc, signal.SIGINT)
    assert code == 0


def test_usage_errors(sandbox: Any) -> None:
    for args in (["pod/web"], []):  # kubectl 1.32's two lines, exit 1
        proc = start(sandbox, *args)
        _, err = proc.communicate(timeout=30)
        assert (proc.returncode, err) == (
            1,
            "error: TYPE/NAME and list of ports are required for port-forward\n"
            "See 'kpy port-forward -h' for help and examples\n",
        )
    proc = start(sandbox, "pod/web", "80", "--pod-running-timeout", "0s")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.strip() == "error: --pod-running-timeout must be higher than zero"
    proc = start(sandbox, "pod/nope", "80")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.strip() == 'Error from server (NotFound): pods "nope" not found'


@pytest.mark.parametrize(
    ("protocol", "says"),
    [
        ("auto", "using SPDY/3.1 tunnelled in a WebSocket (SPDY/3.1+portforward.k8s.io)"),
        ("spdy", "using SPDY/3.1 over an HTTP upgrade"),
        ("v4", "using WebSocket v4.channel.k8s.io"),
    ],
)
def test_verbose_says_which_protocol_is_used(sandbox: Any, protocol: str, says: str) -> None:
    proc = start(sandbox, "pod/web", ":80", "--address", "127.0.0.1", "--protocol", protocol, "-v=1")
    try:
        port = forwarded_port(readline(proc))
        assert echo_through(port) == b"hello kpy"
    finally:
        code, _, err = finish(proc, signal.SIGINT)
    assert code == 0
    assert says in err


async def _answer_at_eof(reader: Any, writer: Any) -> None:
    writer.write(await reader.read())
    await writer.drain()
    writer.close()


def test_v4_half_close_is_explained_once_on_stderr(sandbox: Any) -> None:
    sandbox.run(sandbox.pods.serve("web", 81, _answer_at_eof))
    proc = start(sandbox, "pod/web", ":81", "--address", "127.0.0.1", "--protocol", "v4")
    try:
        port = forwarded_port(readline(proc))
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"question")
                sock.shutdown(socket.SHUT_WR)
                assert sock.recv(100) == b""  # v4: the answer is lost
    finally:
        code, _, err = finish(proc, signal.SIGINT)
    assert code == 0
    lines = [line for line in err.splitlines() if "half-close" in line]
    assert lines == [
        f"warning: a client of port {port} closed its sending side and may get no answer: "
        "v4.channel.k8s.io has no half-close (use --protocol auto, tunnel or spdy)"
    ]


def test_verbose_says_each_fallback_in_order(sandbox: Any) -> None:
    sandbox.call(sandbox.emulator.faults.refuse_portforward, "tunnel", "spdy")
    try:
        proc = start(sandbox, "pod/web", ":80", "--address", "127.0.0.1", "-v=1")
        try:
            port = forwarded_port(readline(proc))
            assert echo_through(port) == b"hello kpy"
        finally:
            code, _, err = finish(proc, signal.SIGINT)
    finally:
        sandbox.call(sandbox.emulator.faults.refused_portforward.clear)
    assert code == 0
    said = [line[line.index("port-forward: ") :] for line in err.splitlines() if "port-forward: " in line]
    assert len(said) == 3, err
    assert said[0].startswith("port-forward: the server refused the SPDY tunnel (")
    assert said[0].endswith("); trying SPDY over an HTTP upgrade")
    assert said[1].startswith("port-forward: the server refused SPDY over an HTTP upgrade (")
    assert said[1].endswith("); trying v4")
    assert said[2] == (
        "port-forward: using WebSocket v4.channel.k8s.io, one connection per local connection (no half-close)"
    )


def test_unknown_protocol_is_a_usage_error(sandbox: Any) -> None:
    proc = start(sandbox, "pod/web", ":80", "--protocol", "h2")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert (
        err.splitlines()[0]
        == 'error: invalid argument "h2" for "--protocol" flag: must be one of auto, tunnel, spdy, v4'
    )
