"""Cheap process starts for ``kpy on``'s runs (Linux): ``posix_spawn``, a pidfd, raw pipes, one guard process.

Per run, asyncio's subprocess machinery costs a thread (the child watcher), three transports with their
protocols and stream readers, and ``setpriv`` exec'd in front of the command for PR_SET_PDEATHSIG. Next to a
process start (~1 ms) that overhead doubled the cost of a run. Here instead:

* ``os.posix_spawn`` (glibc's clone(CLONE_VFORK): no copy of kpy's page tables, however large the informer's
  store) starts the command as the leader of a new process group, with its signal dispositions reset;
* ``os.pidfd_open`` tells the event loop when it exits (no thread); the pipes are read with ``add_reader``;
* one guard process for the whole controller (``kpy.cache.runguard``) kills every run's group when kpy dies,
  even by SIGKILL; each run carries ``KPY_ON_GUARD`` in its environment so that the guard also finds a run
  started in the microseconds before kpy told it the group.

``available()`` says whether this path works here (Linux with pidfd_open, kernel 5.3+); otherwise
``kpy.cache.command`` falls back to asyncio's subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kpy.cache import runguard
from kpy.gocompat.clock import DEADLINE_CLOCK_ID

_AVAILABLE: list[bool] = []
#: signals Python or kpy ignore that a command must start with at their default (subprocess does the same)
_RESET = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGPIPE", "SIGXFSZ", "SIGXFZ")) if s is not None
)


def available() -> bool:
    """Whether posix_spawn + pidfd_open work on this system (checked once)."""
    if not _AVAILABLE:
        ok = sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(os, "posix_spawn")
        if ok:
            try:
                os.close(os.pidfd_open(os.getpid()))
            except OSError:
                ok = False
        if ok:
            _prepare_fds()
        _AVAILABLE.append(ok)
    return _AVAILABLE[0]


def _prepare_fds() -> None:
    """posix_spawn keeps inheritable descriptors (subprocess closes them): mark what kpy inherited above 2
    close-on-exec, and make sure 0-2 are open so a pipe never lands on them."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2:
                with contextlib.suppress(OSError):
                    os.set_inheritable(fd, False)


#: how long ``RunGuard.close`` waits for the guard to exit
GUARD_EXIT = 5.0


class RunGuard:
    """kpy's end of the guard process: ``watch``/``forget`` process groups, ``close`` at a clean stop."""

    def __init__(self) -> None:
        self.token = f"{os.getpid()}-{secrets.token_hex(8)}"
        read, self._fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    str(Path(runguard.__file__).resolve()),
                    self.token,
                    str(DEADLINE_CLOCK_ID),
                ],
                stdin=read,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            os.close(self._fd)
            raise
        finally:
            os.close(read)
        os.set_blocking(self._fd, False)
        self._pending = b""
        self._scheduled = False
        self._closed = False

    @property
    def env(self) -> dict[str, str]:
        return {runguard.ENV: self.token}

    def _send(self, line: bytes) -> None:
        """Queue a line; they go out together once per event-loop turn (a run started meanwhile is found by
        its ``KPY_ON_GUARD`` should kpy die first)."""
        if self._closed:
            return
        self._pending += line
        if not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self._flush)
            except RuntimeError:  # no loop: write now
                self._flush()

    def _flush(self) -> None:
        self._scheduled = False
        if self._closed or not self._pending:
            return
        data = self._pending
        try:
            written = os.write(self._fd, data)
        except BlockingIOError:  # the guard is not reading (frozen): keep it for the next line
            written = 0
        except OSError:  # the guard is gone
            written = len(data)
        self._pending = data[written:]

    def watch(self, pgid: int) -> None:
        self._send(b"+%d\n" % pgid)

    def forget(self, pgid: int) -> None:
        self._send(b"-%d\n" % pgid)

    def hold_until(self, deadline: float) -> None:
        """Runs may go on until ``deadline`` (``RealClock.monotonic`` seconds); the guard kills them after it."""
        self._send(b"until %r\n" % deadline)
        self._flush()  # at once: this may be the last thing kpy does before it freezes

    def close(self, clean: bool = True) -> None:
        """``clean``: no run is left, the guard exits quietly; else it kills what it knows now. Either way it
        is given ``GUARD_EXIT`` seconds to exit; a guard still killing runs is never killed itself (on a
        stalled machine that would leave the runs behind): it is left to finish on its own."""
        if self._closed:
            return
        if clean:
            self._pending += b"done\n"
        self._flush()
        self._closed = True
        os.close(self._fd)
        try:
            self.proc.wait(GUARD_EXIT)
        except subprocess.TimeoutExpired:
            if clean:
                self.proc.kill()
                self.proc.wait()


def _set_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def resolve(cmd: str, env: Mapping[str, str]) -> str | None:
    """CMD as exec would find it with the run's PATH (None: not found)."""
    if os.sep in cmd:
        return cmd
    import shutil

    return shutil.which(cmd, path=env.get("PATH", os.defpath))


class Run:
    """One started command: its pid (= its process group), exit status, and pumped output."""

    def __init__(self, pid: int, stdin_fd: int, outputs: list[tuple[int, Callable[[bytes], None]]]) -> None:
        self.pid = pid
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.exited: asyncio.Future[int] = loop.create_future()
        self.drained: list[asyncio.Future[None]] = []
        self._pidfd = os.pidfd_open(pid)
        loop.add_reader(self._pidfd, self._reap)
        for fd, emit in outputs:
            self._pump(fd, emit)
        self._stdin_fd = stdin_fd

    # -- exit ---------------------------------------------------------------------------------------
    def _reap(self) -> None:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # someone else reaped it: its status is lost
            pid, status = self.pid, 255 << 8
        if pid == 0:
            return
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        if not self.exited.done():
            self.exited.set_result(os.waitstatus_to_exitcode(status))

    # -- output -------------------------------------------------------------------------------------
    def _pump(self, fd: int, emit: Callable[[bytes], None]) -> None:
        done: asyncio.Future[None] = self._loop.create_future()
        self.drained.append(done)
        buf = bytearray()
        limit = 1 << 20

        def ready() -> None:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if data:
                buf.extend(data)
                end = buf.rfind(b"\n")
                if end >= 0:
                    for line in bytes(buf[: end + 1]).splitlines(keepends=True):
                        emit(line)
                    del buf[: end + 1]
                if len(buf) >= limit:  # a line longer than the limit: pass it on in pieces
                    emit(bytes(buf))
                    buf.clear()
                return
            if buf:
                emit(bytes(buf))
                buf.clear()
            self._loop.remove_reader(fd)
            os.close(fd)
            if not done.done():
                done.set_result(None)

        os.set_blocking(fd, False)
        self._loop.add_reader(fd, ready)

    # -- input --------------------------------------------------------------------------------------
    async def feed(self, data: bytes) -> None:
        """Write ``data`` to the command's stdin and close it (a command that exits unread is fine)."""
        fd = self._stdin_fd
        view = memoryview(data)
        try:
            os.set_blocking(fd, False)
            while view:
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    writable: asyncio.Future[None] = self._loop.create_future()
                    self._loop.add_writer(fd, _set_once, writable)
                    try:
                        await writable
                    finally:
                        self._loop.remove_writer(fd)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            os.close(fd)
            self._stdin_fd = -1

    def close(self) -> None:
        """Release whatever is still open (after a cancellation)."""
        if self._stdin_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._stdin_fd)
            self._stdin_fd = -1


def _start(path: str, argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, int, int, int]:
    """Start ``path`` with ``argv`` as the leader of a new process group, stdin/stdout/stderr pipes: (pid, stdin
    write end, stdout read end, stderr read end). Raises OSError as exec would. os.posix_spawn holds the GIL
    until the child has exec'd, so this runs in the loop's thread: a worker thread would only add a hand-over."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawn(
            path,
            list(argv),
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, in_r, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ],
            setpgroup=0,
            setsigdef=_RESET,
        )
    except BaseException:
        for fd in (in_w, out_r, err_r):
            os.close(fd)
        raise
    finally:
        for fd in (in_r, out_w, err_w):
            os.close(fd)
    return pid, in_w, out_r, err_r


def spawn(
    path: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    outputs: Sequence[Callable[[bytes], None]],
) -> Run:
    """``_start`` it, its output pumped line by line to ``outputs`` (stdout, stderr) by the running loop."""
    pid, in_w, out_r, err_r = _start(path, argv, env)
    return Run(pid, in_w, [(out_r, outputs[0]), (err_r, outputs[1])])
