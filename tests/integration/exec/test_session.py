"""ExecSession against the emulator's exec endpoint: bytes, exit codes, stdin close, v4 fallback, drops."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from typing import Any

import pytest

from kpy.errors import NotFound
from kpy.exec import protocol as p
from kpy.exec.session import V4_WARNING, ExecRequest, ExecSession, StreamLost, open_exec
from kpy.rest import RestClient


class Capture:
    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.warnings: list[str] = []


async def run(
    client: RestClient,
    command: list[str],
    stdin: bytes | None = None,
    subprotocols: tuple[str, ...] = p.CLIENT_SUBPROTOCOLS,
    **kw: Any,
) -> tuple[p.ExitResult, Capture, ExecSession]:
    cap = Capture()
    req = ExecRequest("default", "web", "", command, stdin=stdin is not None, **kw)
    dialed = await open_exec(client, req, subprotocols)
    source = io.BytesIO(stdin) if stdin is not None else None
    session = ExecSession(
        dialed,
        stdin=source.read if source is not None else None,
        stdout=cap.out.extend,
        stderr=cap.err.extend,
        warn=cap.warnings.append,
    )
    result = await asyncio.to_thread(session.run)
    return result, cap, session


async def test_stdout_stderr_and_exit_code(sclient: RestClient) -> None:
    result, cap, _ = await run(sclient, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (bytes(cap.out), bytes(cap.err), result) == (b"out\n", b"err\n", p.ExitResult(3))


@pytest.mark.parametrize("code", [0, 1, 42])
async def test_exit_codes(sclient: RestClient, code: int) -> None:
    result, _, _ = await run(sclient, ["sh", "-c", f"exit {code}"])
    assert result == p.ExitResult(code)


async def test_killed_by_signal_is_128_plus_n(sclient: RestClient) -> None:
    result, _, _ = await run(sclient, ["sh", "-c", "kill -9 $$"])
    assert result == p.ExitResult(137)


async def test_missing_command_is_the_servers_message(sclient: RestClient) -> None:
    result, _, _ = await run(sclient, ["no-such-command-kpy"])
    assert result.code == 1 and result.message is not None
    assert 'exec: "no-such-command-kpy": executable file not found in $PATH' in result.message


async def test_stdin_eof_closes_remote_stdin_v5(sclient: RestClient, seeded: Any) -> None:
    result, cap, session = await run(sclient, ["wc", "-c"], stdin=b"abc")
    assert (bytes(cap.out).strip(), result) == (b"3", p.ExitResult(0))
    assert session.channels.subprotocol == p.V5 and session.stdin_closed
    assert seeded.exec.sessions[-1].stdin_closed
    assert not cap.warnings


async def test_binary_bytes_round_trip(sclient: RestClient) -> None:
    data = os.urandom(3 << 20) + bytes(range(256))
    result, cap, _ = await run(sclient, ["cat"], stdin=data)
    assert result == p.ExitResult(0)
    assert hashlib.sha256(cap.out).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_output_is_bytes_not_text(sclient: RestClient) -> None:
    result, cap, _ = await run(sclient, ["printf", "\\377\\376\\000x"])
    assert bytes(cap.out) == b"\xff\xfe\x00x" and result.code == 0


async def test_v4_only_server_works_and_warns_once(sclient: RestClient, seeded: Any) -> None:
    seeded.exec.protocols = (p.V4,)
    result, cap, session = await run(sclient, ["sh", "-c", "echo hi; exit 4"], stdin=b"")
    assert (bytes(cap.out), result) == (b"hi\n", p.ExitResult(4))
    assert session.channels.subprotocol == p.V4 and not session.stdin_closed
    assert cap.warnings == [V4_WARNING]


async def test_offering_v4_first_still_gets_v5(sclient: RestClient) -> None:
    _, _, session = await run(sclient, ["true"], subprotocols=(p.V4, p.V5))
    assert session.channels.subprotocol == p.V5


async def test_dropped_stream_is_an_error_not_a_short_success(sclient: RestClient, seeded: Any) -> None:
    seeded.exec.drops = [100_000]
    with pytest.raises(StreamLost):
        await run(sclient, ["head", "-c", "1000000", "/dev/zero"])


async def test_output_received_before_a_drop_is_written_then_the_drop_is_an_error(
    sclient: RestClient, seeded: Any
) -> None:
    """The output is written by a thread of its own: what arrived before the connection broke is all
    written (a prefix of the real output), and the session still ends with the error."""
    seeded.exec.drops = [3_000_000]
    cap = Capture()
    dialed = await open_exec(
        sclient, ExecRequest("default", "web", "", ["head", "-c", "8000000", "/dev/zero"])
    )
    session = ExecSession(dialed, stdin=None, stdout=cap.out.extend, stderr=cap.err.extend)
    with pytest.raises(StreamLost):
        await asyncio.to_thread(session.run)
    assert len(cap.out) <= 3_000_000
    assert cap.out.count(0) == len(cap.out)


async def test_a_failing_local_output_ends_the_session_with_its_error(sclient: RestClient) -> None:
    """A local write that fails (stdout closed, disk full) ends the session with that error: no hang, and
    nothing written after it."""
    got = bytearray()
    calls_after_failure = 0

    def out(data: bytes | memoryview) -> None:
        nonlocal calls_after_failure
        if len(got) >= 1_000_000:
            calls_after_failure += 1
            raise BrokenPipeError("the reader went away")
        got.extend(data)

    dialed = await open_exec(
        sclient, ExecRequest("default", "web", "", ["head", "-c", "50000000", "/dev/zero"])
    )
    session = ExecSession(dialed, stdin=None, stdout=out, stderr=lambda _d: None)
    with pytest.raises(BrokenPipeError):
        await asyncio.to_thread(session.run)
    assert 1_000_000 <= len(got) < 50_000_000
    assert calls_after_failure == 1


async def test_stalled_server_ends_the_session(sclient: RestClient, seeded: Any) -> None:
    seeded.exec.stall_after = 0
    cap = Capture()
    dialed = await open_exec(sclient, ExecRequest("default", "web", "", ["echo", "hi"]))
    session = ExecSession(
        dialed, stdin=None, stdout=cap.out.extend, stderr=cap.err.extend, ping_interval=0.05, idle_timeout=0.5
    )
    with pytest.raises(StreamLost):
        await asyncio.to_thread(session.run)


async def test_missing_pod_is_not_found(sclient: RestClient) -> None:
    with pytest.raises(NotFound, match='pods "nope" not found'):
        await open_exec(sclient, ExecRequest("default", "nope", "", ["true"]))


async def test_tty_resize_reaches_the_terminal(sclient: RestClient, seeded: Any) -> None:
    cap = Capture()
    req = ExecRequest("default", "web", "", ["sh", "-c", "read x; stty size"], stdin=True, tty=True)
    dialed = await open_exec(sclient, req)
    lines = [b"go\n"]

    def stdin(_n: int) -> bytes:
        if not lines:
            return b""
        # the resize arrives before the line that lets the command print its size
        session.resize(100, 30)
        deadline = time.monotonic() + 10
        while seeded.exec.sessions[-1].resizes != [(100, 30)] and time.monotonic() < deadline:
            time.sleep(0.005)
        return lines.pop()

    session = ExecSession(dialed, stdin=stdin, stdout=cap.out.extend, stderr=cap.err.extend)
    result = await asyncio.to_thread(session.run)
    assert result == p.ExitResult(0)
    assert b"30 100" in bytes(cap.out)


async def test_refused_upgrade_without_status_is_explained(sclient: RestClient) -> None:
    from kpy.errors import Forbidden

    with pytest.raises(Forbidden, match='needs the "create" verb on "pods/exec"'):
        await open_exec(sclient, ExecRequest("default", "web", "", ["true"]), ("v9.channel.k8s.io",))


async def test_refused_upgrade_with_rbac_status_keeps_rbacs_words(sclient: RestClient, seeded: Any) -> None:
    from kpy.errors import Forbidden

    message = 'pods "web" is forbidden: User "u" cannot create resource "pods/exec" in API group "" in the namespace "default"'
    seeded.exec.refuse = (403, "Forbidden", message)
    with pytest.raises(Forbidden) as info:
        await open_exec(sclient, ExecRequest("default", "web", "", ["true"]))
    assert str(info.value).endswith(message)


async def test_failing_local_input_ends_the_session_with_its_reason(sclient: RestClient) -> None:
    from kpy.exec.session import StdinFailed

    def broken(_n: int) -> bytes:
        raise OSError("disk on fire")

    dialed = await open_exec(sclient, ExecRequest("default", "web", "", ["cat"], stdin=True))
    session = ExecSession(dialed, stdin=broken, stdout=bytearray().extend, stderr=bytearray().extend)
    with pytest.raises(StdinFailed, match="reading the local input failed: disk on fire"):
        await asyncio.to_thread(session.run)


async def test_a_large_stdin_message_goes_into_the_commands_stdin_whole(sclient: RestClient) -> None:
    """kpy sends stdin in 256 KiB messages; the emulator's pipe to the command takes one whole before the
    command reads anything (Linux's default pipe holds 64 KiB: the relay stalled on it, with the rest of the
    message buffered and the client no longer read). The command waits until its stdin holds a whole message
    (FIONREAD, with a deadline), then reads it all."""
    script = (
        "import fcntl, sys, termios, time, struct\n"
        "deadline = time.monotonic() + 20\n"
        "n = 0\n"
        "while time.monotonic() < deadline:\n"
        "    n = struct.unpack('i', fcntl.ioctl(0, termios.FIONREAD, b'0000'))[0]\n"
        "    if n >= 256 * 1024: break\n"
        "    time.sleep(0.01)\n"
        "data = sys.stdin.buffer.read()\n"
        "print(n >= 256 * 1024, len(data))\n"
    )
    payload = os.urandom(300 * 1024)
    result, cap, _ = await run(sclient, ["python3", "-c", script], stdin=payload)
    assert (result, bytes(cap.out)) == (p.ExitResult(0), f"True {len(payload)}\n".encode())
