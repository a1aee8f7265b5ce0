"""``kpy exec`` as a user runs it, side by side with kubectl 1.32 against the same emulator.

The expectations were first checked against a real API server (v1.36, the realk8s kit): the same stdout,
stderr, messages and exit codes for these commands with kubectl and kpy."""

from __future__ import annotations

import hashlib
import os
import pty
import signal
import subprocess
import termios
import time
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, Api, kpy_listing_heavy_modules

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def tool(argv: list[str], sandbox: Any, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "NO_COLOR": "1"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=60, check=False)


def both(sandbox: Any, *args: str, stdin: bytes | None = None) -> tuple[Any, Any]:
    assert KUBECTL is not None
    return tool([KPY, *args], sandbox, stdin), tool([KUBECTL, *args], sandbox, stdin)


@pytest.mark.parametrize(
    "args",
    [
        ("exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 42"),
        ("exec", "web", "--", "sh", "-c", "kill -9 $$"),
        ("exec", "web", "--", "sh", "-c", "printf '\\377\\000\\376'"),
        ("exec", "pod/web", "--", "true"),
        ("exec", "deploy/web", "--", "echo", "via deployment"),
        ("exec", "web", "--", "no-such-command-x"),
        ("exec", "web"),
        ("exec", "web", "echo", "hi"),
        ("exec", "nope", "--", "true"),
        ("exec", "web", "-c", "zzz", "--", "true"),
        ("exec",),
        ("exec", "-t", "web", "--", "true"),
        ("exec", "-it", "web", "--", "true"),
    ],
)
def test_same_as_kubectl(sandbox: Any, args: tuple[str, ...]) -> None:
    ours, theirs = both(sandbox, *args)
    assert ours.returncode == theirs.returncode
    assert ours.stdout == theirs.stdout
    assert ours.stderr.replace(b"kpy", b"kubectl") == theirs.stderr


@pytest.mark.parametrize("data", [b"abc", os.urandom(3 << 20)])
def test_stdin_is_closed_at_its_end(sandbox: Any, data: bytes) -> None:
    ours, theirs = both(
        sandbox, "exec", "-i", "web", "--", "sh", "-c", "wc -c; sha256sum </dev/null >/dev/null", stdin=data
    )
    assert ours.stdout.split() == theirs.stdout.split() == [str(len(data)).encode()]
    assert ours.returncode == theirs.returncode == 0


def test_binary_round_trip_matches_kubectl(sandbox: Any) -> None:
    data = os.urandom(4 << 20)
    ours, theirs = both(sandbox, "exec", "-i", "web", "--", "cat", stdin=data)
    assert (
        hashlib.sha256(ours.stdout).digest()
        == hashlib.sha256(theirs.stdout).digest()
        == hashlib.sha256(data).digest()
    )


def test_default_container_notice_and_annotation(sandbox: Any, api: Api) -> None:
    def two(name: str, annotations: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations},
            "spec": {"containers": [{"name": "main", "image": "x"}, {"name": "side", "image": "x"}]},
            "status": {"phase": "Running"},
        }

    api.call("POST", "/api/v1/namespaces/default/pods", two("two", {}))
    api.call(
        "POST",
        "/api/v1/namespaces/default/pods",
        two("annotated", {"kubectl.kubernetes.io/default-container": "side"}),
    )
    ours, theirs = both(sandbox, "exec", "two", "--", "sh", "-c", "echo $CONTAINER_NAME")
    assert (
        (ours.stdout, ours.stderr)
        == (theirs.stdout, theirs.stderr)
        == (
            b"main\n",
            b'Defaulted container "main" out of: main, side\n',
        )
    )
    ours, theirs = both(sandbox, "exec", "annotated", "--", "sh", "-c", "echo $CONTAINER_NAME")
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr) == (b"side\n", b"")
    ours, theirs = both(sandbox, "exec", "-q", "two", "--", "true")
    assert ours.stderr == theirs.stderr == b""


def test_v4_only_server_warns_but_works(sandbox: Any) -> None:
    from kpy.exec import protocol as p

    sandbox.emulator.exec.protocols = (p.V4,)
    try:
        result = tool([KPY, "exec", "-i", "web", "--", "echo", "hi"], sandbox, stdin=b"")
    finally:
        sandbox.emulator.exec.protocols = p.SERVER_SUBPROTOCOLS
    assert (result.returncode, result.stdout) == (0, b"hi\n")
    assert result.stderr.count(b"Warning: the server granted only v4.channel.k8s.io") == 1


def _pty_exec(sandbox: Any, command: list[str]) -> tuple[int, int, subprocess.Popen[bytes], list[Any]]:
    master, slave = pty.openpty()
    termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(slave))
    import fcntl
    import struct

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    before = termios.tcgetattr(slave)
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path)}
    proc = subprocess.Popen(
        [KPY, "exec", "-it", "web", "--", *command], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    return master, slave, proc, before


def _wait_raw(slave: int, before: list[Any]) -> None:
    """Until kpy has put the terminal in raw mode (input written before that is flushed by it)."""
    deadline = time.monotonic() + 30
    while termios.tcgetattr(slave) == before and time.monotonic() < deadline:
        time.sleep(0.005)
    assert termios.tcgetattr(slave) != before


def _read_until(master: int, wanted: bytes, deadline: float) -> bytes:
    import select

    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return seen


def test_tty_size_and_raw_mode_restored(sandbox: Any) -> None:
    master, slave, proc, before = _pty_exec(sandbox, ["sh", "-c", "read x; stty size; echo done"])
    try:
        _wait_raw(slave, before)
        os.write(master, b"go\r")  # stdin follows the initial size on the wire
        seen = _read_until(master, b"done", time.monotonic() + 30)
        assert proc.wait(30) == 0
        assert b"33 111" in seen  # the initial size went over the resize channel
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_window_change_reaches_the_command(sandbox: Any) -> None:
    """SIGWINCH sends the terminal's new size (kpy runs a pod named directly without an event loop: the
    session is in the main thread, where the signal handler runs)."""
    import fcntl
    import struct

    script = "read x; stty size; read y; stty size; echo done"
    master, slave, proc, before = _pty_exec(sandbox, ["sh", "-c", script])
    try:
        _wait_raw(slave, before)
        os.write(master, b"a\r")
        assert b"33 111" in _read_until(master, b"33 111", time.monotonic() + 30)
        record = next(r for r in reversed(sandbox.emulator.exec.sessions) if r.command[-1] == script)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 44, 122, 0, 0))
        proc.send_signal(signal.SIGWINCH)
        deadline = time.monotonic() + 30
        while (122, 44) not in record.resizes and time.monotonic() < deadline:
            time.sleep(0.01)
        assert record.resizes == [(111, 33), (122, 44)]
        os.write(master, b"b\r")
        assert b"44 122" in _read_until(master, b"done", time.monotonic() + 30)
        assert proc.wait(30) == 0
    finally:
        os.close(master)
        os.close(slave)


def test_sigterm_restores_the_terminal(sandbox: Any) -> None:
    master, slave, proc, before = _pty_exec(sandbox, ["sleep", "30"])
    try:
        _wait_raw(slave, before)  # raw while the command runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_closed_stdout_ends_like_kubectl(sandbox: Any) -> None:
    """`kpy exec ... | head -c 10`: kubectl dies of SIGPIPE (the shell's 141); kpy exits 141, silently."""
    results = []
    for exe in (KPY, KUBECTL):
        assert exe is not None
        env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path)}
        proc = subprocess.Popen(
            [exe, "exec", "web", "--", "sh", "-c", "yes | head -c 50000000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(10) == b"y\ny\ny\ny\ny\n"
        proc.stdout.close()
        code = proc.wait(60)
        results.append((128 - code if code < 0 else code, proc.stderr.read()))  # -13: killed by SIGPIPE
    assert results[0] == (141, b"")
    assert results[1][0] == 141


@pytest.mark.parametrize("stdin", [None, b"in\n"], ids=["no-stdin", "small-stdin"])
def test_exec_imports_neither_websockets_nor_spdy_nor_completion(sandbox: Any, stdin: bytes | None) -> None:
    """Start-up: websockets (~17 ms: it loads importlib.metadata) only for a proxy or bulk stdin, the SPDY codec
    only on fallback, the completers only when the shell asks."""
    argv = ["exec", *(["-i"] if stdin else []), "web", "--", "sh", "-c", "cat 2>/dev/null; echo out"]
    proc = kpy_listing_heavy_modules(
        *argv,
        kubeconfig=sandbox.kubeconfig_path,
        stdin=stdin,
        heavy=("websockets", "kpy.streams.spdy", "kpy.cli.completion", "asyncio"),
    )
    assert proc.stdout == (stdin or b"") + b"out\n"
    assert proc.stderr.decode().splitlines()[-1] == "0 []"


def test_dropped_stream_is_an_error(sandbox: Any) -> None:
    sandbox.emulator.exec.drops = [100_000]
    result = tool([KPY, "exec", "web", "--", "head", "-c", "1000000", "/dev/zero"], sandbox)
    assert result.returncode == 1
    assert result.stderr == b"error: the connection to the server was lost before the command ended\n"


def test_exec_in_a_named_pod_imports_no_asyncio_or_aiohttp(sandbox: Any) -> None:
    """A pod named directly runs without an event loop (start-up is part of every exec's time)."""
    proc = kpy_listing_heavy_modules(
        *["exec", "-i", "web", "--", "sh", "-c", "cat; echo err >&2; exit 3"],
        kubeconfig=sandbox.kubeconfig_path,
        stdin=b"in\n",
    )
    assert proc.stdout == b"in\n"
    assert proc.stderr.decode().splitlines() == ["err", "command terminated with exit code 3", "3 []"]
