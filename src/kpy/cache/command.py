"""One run of ``kpy on``'s COMMAND for one key: its own process group, the object on stdin, the ``KPY_*``
environment, output passed through line by line with a key prefix, a per-run timeout, and stopping.

The child leads a new process group so a timeout or shutdown stops everything it started, and no run may
outlive kpy. On Linux (pidfd_open, kernel 5.3+) runs start through ``kpy.cache.spawn`` (posix_spawn, a pidfd,
and one guard process that kills every run's group when kpy dies). Elsewhere asyncio's subprocesses are used,
and the kernel's PR_SET_PDEATHSIG is asked for (where the OS has it) by util-linux's ``setpriv --pdeathsig
KILL`` exec'd in front of the command when it is installed, else by a ``preexec_fn``
(``kpy.election.process.child_preexec``), which makes every spawn a full ``fork``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from kpy.cache import spawn as _spawn
from kpy.election.process import child_preexec, exit_code_of, stop_group

#: ``setpriv`` with ``--pdeathsig`` (util-linux 2.33+), found once; None: use the ``preexec_fn``
_SETPRIV: list[str | None] = []


def _pdeathsig_prefix() -> list[str] | None:
    """The exec prefix that sets PR_SET_PDEATHSIG, or None (then a preexec_fn does, where the OS has it)."""
    if not _SETPRIV:
        import shutil
        import subprocess
        import sys

        found = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        if found is not None:
            try:
                probe = subprocess.run(
                    [found, "--pdeathsig", "KILL", "--", "true"], capture_output=True, timeout=10, check=False
                )
                found = found if probe.returncode == 0 else None
            except (OSError, subprocess.TimeoutExpired):
                found = None
        _SETPRIV.append(found)
    found = _SETPRIV[0]
    return None if found is None else [found, "--pdeathsig", "KILL", "--"]


#: what a run that exceeded ``--timeout`` reports as its exit code (GNU timeout's)
EXIT_TIMEOUT = 124
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


@dataclass(frozen=True)
class RunResult:
    code: int  #: the exit code (128 + signal when a signal ended it)
    timed_out: bool = False
    error: str = ""  #: why it could not start


class LineWriter:
    """Writes whole lines to a binary stream with a prefix; lines of concurrent runs never interleave."""

    def __init__(self, stream: BinaryIO | TextIO, color: bool = False) -> None:
        self.stream = stream
        self.color = color
        self._text = isinstance(stream, io.TextIOBase)

    def prefix(self, key: str) -> bytes:
        if self.color:
            return b"\x1b[36m[" + key.encode() + b"]\x1b[0m "
        return b"[" + key.encode() + b"] "

    def write(self, key: str | None, line: bytes) -> None:
        if not line.endswith(b"\n"):
            line += b"\n"
        data = line if key is None else self.prefix(key) + line
        with contextlib.suppress(OSError, ValueError):
            if self._text:
                self.stream.write(data.decode(errors="replace"))  # type: ignore[call-overload]
            else:
                self.stream.write(data)  # type: ignore[arg-type]
            self.stream.flush()


async def _pump(reader: asyncio.StreamReader, writer: LineWriter, key: str | None) -> None:
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # a line longer than the reader's limit: pass it on in pieces
            line = await reader.read(1 << 16)
        if not line:
            return
        writer.write(key, line)


async def run_command(
    argv: Sequence[str],
    env: Mapping[str, str],
    stdin: bytes,
    key: str,
    out: LineWriter,
    err: LineWriter,
    *,
    prefix: bool = True,
    timeout: float = 0.0,
    running: dict[int, str] | None = None,
    guard: _spawn.RunGuard | None = None,
) -> RunResult:
    """Run ``argv`` once; ``running`` (pgid → key) lists the process groups alive, for shutdown. With a
    ``guard`` (``kpy.cache.spawn``, where it is available) the fast path starts it."""
    if guard is not None:
        started = _start_spawned(argv, env, guard, out, err, key if prefix else None)
        if isinstance(started, RunResult):
            return started
        return await _finish_spawned(started, stdin, key, timeout, running, guard)
    wrapper = _pdeathsig_prefix()
    if wrapper is not None:
        import shutil

        # resolve CMD first: setpriv's own "failed to execute" would hide the shell's 127/126
        resolved = argv[0] if os.sep in argv[0] else shutil.which(argv[0], path=env.get("PATH"))
        if resolved is None:
            return RunResult(EXIT_NOT_FOUND, error=f'exec: "{argv[0]}": executable file not found in $PATH')
        argv = [*wrapper, resolved, *argv[1:]]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            process_group=0,
            preexec_fn=None if wrapper is not None else child_preexec(os.getpid(), None),
            limit=1 << 20,
        )
    except OSError as exc:
        code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
        return RunResult(code, error=f'exec: "{argv[0]}": {exc.strerror or exc}')
    pgid = proc.pid
    if running is not None:
        running[pgid] = key
    label = key if prefix else None
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    pumps = [
        asyncio.create_task(_pump(proc.stdout, out, label)),
        asyncio.create_task(_pump(proc.stderr, err, label)),
    ]
    timed_out = False
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(stdin)
            await proc.stdin.drain()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout if timeout > 0 else None)
        except TimeoutError:
            timed_out = True
            await stop_group(pgid, 0)
        returncode = await proc.wait()
        # output of the group's other processes may keep the pipes open: kill what is left of the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        await asyncio.gather(*pumps)
    finally:
        for task in pumps:
            task.cancel()
        if proc.returncode is None:  # cancelled from outside: never leave the group behind
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                await asyncio.shield(proc.wait())
        if running is not None:
            running.pop(pgid, None)
    if timed_out:
        return RunResult(EXIT_TIMEOUT, timed_out=True)
    return RunResult(exit_code_of(returncode))


#: resolved executables by (name, PATH): a PATH lookup is several stat calls per run
_RESOLVED: dict[tuple[str, str | None], str] = {}


def _start_spawned(
    argv: Sequence[str],
    env: Mapping[str, str],
    guard: _spawn.RunGuard,
    out: LineWriter,
    err: LineWriter,
    label: str | None,
) -> _spawn.Run | RunResult:
    """Start a run through ``kpy.cache.spawn`` (a RunResult: it could not start)."""
    cache_key = (argv[0], env.get("PATH"))
    path = _RESOLVED.get(cache_key) or _spawn.resolve(argv[0], env)
    if path is None:
        return RunResult(EXIT_NOT_FOUND, error=f'exec: "{argv[0]}": executable file not found in $PATH')
    try:
        run = _spawn.spawn(
            path,
            argv,
            {**env, **guard.env},
            (lambda line: out.write(label, line), lambda line: err.write(label, line)),
        )
    except OSError as exc:
        _RESOLVED.pop(cache_key, None)
        code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
        return RunResult(code, error=f'exec: "{argv[0]}": {exc.strerror or exc}')
    _RESOLVED[cache_key] = path
    guard.watch(run.pid)
    return run


async def _finish_spawned(
    run: _spawn.Run,
    stdin: bytes,
    key: str,
    timeout: float,
    running: dict[int, str] | None,
    guard: _spawn.RunGuard,
) -> RunResult:
    """Feed a started run its stdin and wait for it (``timeout``); clean its group up whatever happens."""
    pgid = run.pid
    if running is not None:
        running[pgid] = key
    timed_out = False
    try:
        await run.feed(stdin)
        if timeout > 0:
            try:
                await asyncio.wait_for(asyncio.shield(run.exited), timeout)
            except TimeoutError:
                timed_out = True
                await stop_group(pgid, 0)
        returncode = await run.exited
        # output of the group's other processes may keep the pipes open: kill what is left of the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        await asyncio.gather(*run.drained)
    finally:
        run.close()
        if not run.exited.done():  # cancelled from outside: never leave the group behind
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(run.exited)
        guard.forget(pgid)
        if running is not None:
            running.pop(pgid, None)
    if timed_out:
        return RunResult(EXIT_TIMEOUT, timed_out=True)
    return RunResult(exit_code_of(returncode))
