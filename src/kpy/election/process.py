"""The child under a lease: its own process group, a guard process beside it, and stopped group-wide.

Platform notes (what "the child must not outlive its lease, nor kpy" means where):

* Every POSIX system: a tiny guard process (``kpy.election.guard``, run as ``python -I -S``) holds the
  command's stop deadline, which kpy sends after every successful renewal, and stops the command's whole
  process group itself (SIGTERM, SIGKILL after the grace period) when the deadline passes without a newer one,
  even while kpy is frozen (SIGSTOP, a debugger, swapping). It also SIGKILLs the group when its pipe from kpy
  closes without a "done" line, i.e. when kpy died, even by SIGKILL or the OOM killer.
* Linux, in addition: the child asks the kernel for SIGKILL when kpy dies (``prctl(PR_SET_PDEATHSIG,
  SIGKILL)``, set in the child between fork and exec). Grandchildren are covered by the guard, not by
  PDEATHSIG. Deadlines are on CLOCK_BOOTTIME, which keeps counting while the machine is suspended.
* Processes that leave the group (``setsid``/``setpgid``) are outside both; they are the command's business.
* Windows has no process groups or POSIX signals; ``kpy elect`` refuses to run there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kpy.election import guard as _guard
from kpy.gocompat.clock import DEADLINE_CLOCK_ID

PR_SET_PDEATHSIG = 1
#: False makes spawned children rely on the guard alone (what non-Linux systems do); tests flip it
USE_PDEATHSIG = True
GUARD_SCRIPT = str(Path(_guard.__file__).resolve())


def _prctl() -> Callable[..., int] | None:
    if not (USE_PDEATHSIG and sys.platform.startswith("linux")):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


def child_preexec(parent_pid: int, guard_fd: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` (runs in the child between fork and exec, after ``setsid``): on Linux ask the kernel
    for SIGKILL when kpy dies; tell the guard the new process group before the command runs."""
    prctl = _prctl()
    if prctl is None and guard_fd is None:
        return None

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
            if os.getppid() != parent_pid:  # kpy died before prctl took effect
                os._exit(1)
        if guard_fd is not None:
            with contextlib.suppress(OSError):
                os.write(guard_fd, b"pgid %d\n" % os.getpid())

    return preexec


async def spawn_child(
    argv: Sequence[str], env: Mapping[str, str], guard: GroupGuard | None = None
) -> asyncio.subprocess.Process:
    """Start CMD as the leader of a new session/process group, inheriting stdio. Raises OSError like exec."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        start_new_session=True,
        preexec_fn=child_preexec(os.getpid(), guard.fd if guard is not None else None),
        stdin=None,
        stdout=None,
        stderr=None,
    )
    if guard is not None:
        guard.watch(proc.pid)
    return proc


class GroupGuard:
    """kpy's end of the guard process (see ``kpy.election.guard`` for what it does and its protocol).

    Both pipes are plain non-blocking descriptors written and read without the event loop: a line to the
    guard is one ``write`` (never blocks; when the guard is frozen with a full pipe the line is dropped and the
    guard acts on the older, earlier deadline), and whether the guard reported ``expired`` is read on demand,
    so the answer does not depend on which of two ready events the loop happens to process first.
    """

    def __init__(self, proc: asyncio.subprocess.Process, to_guard: int, from_guard: int) -> None:
        self.proc = proc
        self.fd = to_guard
        self._from = from_guard
        self._expired = False
        self._closed = False

    @classmethod
    async def start(cls, grace: float) -> GroupGuard:
        """Start the guard; it does nothing until it knows a process group and a deadline."""
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                GUARD_SCRIPT,
                str(DEADLINE_CLOCK_ID),
                repr(grace),
                stdin=to_r,
                stdout=from_w,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            for fd in (to_w, from_r):
                os.close(fd)
            raise
        finally:
            os.close(to_r)
            os.close(from_w)
        os.set_blocking(to_w, False)
        os.set_blocking(from_r, False)
        return cls(proc, to_w, from_r)

    def _send(self, line: str) -> None:
        if self._closed:
            return
        # a full pipe (the guard is frozen) or a gone guard: it acts on what it already has
        with contextlib.suppress(OSError):
            os.write(self.fd, (line + "\n").encode("ascii"))

    def watch(self, pgid: int) -> None:
        self._send(f"pgid {pgid}")

    def hold_until(self, deadline: float) -> None:
        """The command may run until ``deadline`` (DEADLINE_CLOCK_ID seconds); replaces the previous one."""
        self._send(f"until {deadline!r}")

    def stopping(self) -> None:
        """kpy is sending SIGTERM itself: the guard only enforces the SIGKILL at the deadline."""
        self._send("term")

    def expired(self) -> bool:
        """Whether the guard has reported that the deadline passed (it did, or will, stop the group)."""
        if not self._expired and not self._closed:
            try:
                data = os.read(self._from, 4096)
            except OSError:  # nothing yet (EAGAIN)
                data = b""
            self._expired = b"expired" in data
        return self._expired

    async def dismiss(self, group_gone: bool = True) -> None:
        """Let the guard go: "done" when the group is gone, else close the pipe so it SIGKILLs the group."""
        if not self._closed:
            if group_gone:
                self._send("done")
            self._closed = True
            os.close(self.fd)
            os.close(self._from)
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


group_alive = _guard.group_alive


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the group; False when it is already gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def wait_group_gone(pgid: int, timeout: float | None, poll: float = 0.02) -> bool:
    """Poll until no process of the group runs; False on timeout."""
    loop = asyncio.get_running_loop()
    end = None if timeout is None else loop.time() + timeout
    while group_alive(pgid):
        if end is not None and loop.time() >= end:
            return False
        await asyncio.sleep(poll)
    return True


async def stop_group(
    pgid: int, grace: float, on_kill: Callable[[], None] | None = None, *, term: bool = True
) -> None:
    """SIGTERM the group (unless ``term`` is False: someone else did), SIGKILL it after ``grace`` seconds, and
    return only once it is gone."""
    if (not term or signal_group(pgid, signal.SIGTERM)) and await wait_group_gone(pgid, grace):
        return
    if group_alive(pgid):
        if on_kill is not None:
            on_kill()
        signal_group(pgid, signal.SIGKILL)
    await wait_group_gone(pgid, None)


def exit_code_of(returncode: int) -> int:
    """A shell's view of how the child ended: its code, or 128 + signal number when a signal killed it."""
    return 128 - returncode if returncode < 0 else returncode
