"""exec over SPDY/3.1 (v4.channel.k8s.io after an HTTP upgrade) against the emulator, and the fallback to it
when the server refuses WebSocket exec (as OpenShift can)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import subprocess
from typing import Any

import pytest
from tests.integration.clihelpers import KPY

from kpy.errors import BadRequest, NotFound
from kpy.exec import protocol as p
from kpy.exec.fallback import open_exec_any, session_for
from kpy.exec.session import ExecRequest
from kpy.exec.spdy import SpdyExecSession, open_exec_spdy
from kpy.rest import RestClient
from kpy.streams.dial import DialedUpgrade

REFUSED = (400, "BadRequest", "websocket exec is turned off")


async def run_spdy(
    client: RestClient, command: list[str], stdin: bytes | None = None, **kw: Any
) -> tuple[p.ExitResult, bytes, bytes, SpdyExecSession]:
    out, err = bytearray(), bytearray()
    req = ExecRequest("default", "web", "", command, stdin=stdin is not None, **kw)
    dialed = await open_exec_spdy(client, req)
    source = io.BytesIO(stdin) if stdin is not None else None
    session = SpdyExecSession(
        dialed, req, stdin=source.read if source else None, stdout=out.extend, stderr=err.extend
    )
    result = await asyncio.to_thread(session.run)
    return result, bytes(out), bytes(err), session


async def test_stdout_stderr_and_exit_code_over_spdy(sclient: RestClient, seeded: Any) -> None:
    result, out, err, _ = await run_spdy(sclient, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (out, err, result) == (b"out\n", b"err\n", p.ExitResult(3))
    [record] = seeded.exec.sessions
    assert (record.transport, record.subprotocol, record.exit_code) == ("spdy", p.V4, 3)


async def test_stdin_end_reaches_the_command_and_bytes_are_exact(sclient: RestClient, seeded: Any) -> None:
    data = os.urandom(2 << 20) + bytes(range(256))
    result, out, _, session = await run_spdy(sclient, ["cat"], stdin=data)
    assert result == p.ExitResult(0)
    assert hashlib.sha256(out).digest() == hashlib.sha256(data).digest()
    assert session.stdin_closed and seeded.exec.sessions[-1].stdin_closed  # half-close: cat saw EOF


async def test_missing_command_is_the_servers_message_over_spdy(sclient: RestClient) -> None:
    result, _, _, _ = await run_spdy(sclient, ["no-such-command-kpy"])
    assert result.code == 1 and result.message is not None
    assert 'exec: "no-such-command-kpy": executable file not found in $PATH' in result.message


async def test_tty_resize_over_spdy(sclient: RestClient, seeded: Any) -> None:
    out = bytearray()
    req = ExecRequest("default", "web", "", ["sh", "-c", "read x; stty size"], stdin=True, tty=True)
    dialed = await open_exec_spdy(sclient, req)
    lines = [b"go\n"]

    def stdin(_n: int) -> bytes:
        return lines.pop() if lines else b""

    session = SpdyExecSession(dialed, req, stdin=stdin, stdout=out.extend, stderr=out.extend)
    session.resize(100, 30)
    result = await asyncio.to_thread(session.run)
    assert result == p.ExitResult(0)
    assert b"30 100" in out
    assert seeded.exec.sessions[-1].resizes[:1] == [(100, 30)]


async def test_refused_websocket_exec_falls_back_to_spdy(sclient: RestClient, seeded: Any) -> None:
    seeded.exec.websocket_refusal = REFUSED
    said: list[str] = []
    req = ExecRequest("default", "web", "", ["sh", "-c", "cat; exit 5"], stdin=True)
    dialed = await open_exec_any(sclient, req, said.append)
    assert isinstance(dialed, DialedUpgrade)
    out = bytearray()
    source = io.BytesIO(b"through spdy")
    session = session_for(dialed, req, stdin=source.read, stdout=out.extend, stderr=out.extend)
    assert await asyncio.to_thread(session.run) == p.ExitResult(5)
    assert bytes(out) == b"through spdy"
    assert said == [
        "exec: the server refused WebSocket exec (Error from server (BadRequest): websocket exec is turned "
        "off); using SPDY/3.1"
    ]


async def test_every_refusal_is_tried_over_spdy_and_a_repeated_one_is_reported(
    sclient: RestClient, seeded: Any
) -> None:
    # kubectl's FallbackExecutor retries over SPDY after any bad WebSocket handshake (client-go makes each one an
    # UpgradeFailureError), not only after 400/405: a pod that is missing is missing over SPDY too
    said: list[str] = []
    with pytest.raises(NotFound, match='pods "nope" not found'):
        await open_exec_any(sclient, ExecRequest("default", "nope", "", ["true"]), said.append)
    assert len(said) == 1 and said[0].endswith("using SPDY/3.1"), said
    seeded.exec.refuse = REFUSED  # refused whatever the transport
    with pytest.raises(BadRequest, match="websocket exec is turned off"):
        await open_exec_any(sclient, ExecRequest("default", "web", "", ["true"]), said.append)
    assert len(said) == 2
    assert not seeded.exec.sessions
    seeded.exec.refuse = None
    seeded.exec.websocket_refusal = (500, "InternalError", "a proxy in front of the server cannot upgrade")
    dialed = await open_exec_any(sclient, ExecRequest("default", "web", "", ["true"]), said.append)
    assert isinstance(dialed, DialedUpgrade)  # a 500 on the WebSocket upgrade falls back too
    dialed.sock.close()
    assert [s.transport for s in seeded.exec.sessions] == ["spdy"]


def test_kpy_exec_falls_back_to_spdy_and_says_so_with_v() -> None:
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as thread:
        thread.emulator.exec.websocket_refusal = REFUSED
        env = {**os.environ, "KUBECONFIG": str(thread.emulator.kubeconfig_path)}
        proc = subprocess.run(
            [KPY, "exec", "-i", "web", "-v=1", "--", "sh", "-c", "tr a-z A-Z; exit 2"],
            input=b"hello",
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert [s.transport for s in thread.emulator.exec.sessions] == ["spdy"]
    assert proc.stdout == b"HELLO"
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert "exec: the server refused WebSocket exec (" in err and "); using SPDY/3.1" in err
    assert "command terminated with exit code 2" in err
