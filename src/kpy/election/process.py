"""The child under a lease: its own process group, killed with kpy, and stopped group-wide.

Platform notes (what "the child must not outlive kpy" means where):

* Linux: the child asks the kernel for SIGKILL when kpy dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, set in the
  child between fork and exec), and a tiny guard process (``python -I -S``) holding a pipe from kpy kills the
  child's whole process group when that pipe closes without a "done" line — i.e. when kpy died, even by
  SIGKILL or the OOM killer. Grandchildren are covered by the guard, not by PDEATHSIG.
* macOS and other POSIX systems: no PDEATHSIG; the guard alone kills the group when kpy dies.
* Processes that leave the group (``setsid``/``setpgid``) are outside both; they are the command's business.
* Windows has no process groups or POSIX signals; ``kpy elect`` refuses to run there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PR_SET_PDEATHSIG = 1

_GUARD = (
    "import os,signal,sys\n"
    "line=sys.stdin.readline()\n"
    "if line.strip()!='done':\n"
    "    try: os.killpg(int(sys.argv[1]),signal.SIGKILL)\n"
    "    except OSError: pass\n"
)


def pdeathsig_preexec(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the kernel SIGKILL the child when kpy dies (Linux only; None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent_pid:  # kpy died before prctl took effect
            os._exit(1)

    return preexec


async def spawn_child(argv: Sequence[str], env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """Start CMD as the leader of a new session/process group, inheriting stdio. Raises OSError like exec."""
    return await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        start_new_session=True,
        preexec_fn=pdeathsig_preexec(os.getpid()),
        stdin=None,
        stdout=None,
        stderr=None,
    )


class GroupGuard:
    """A separate process that SIGKILLs process group ``pgid`` if kpy dies without saying "done"."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, pgid: int) -> GroupGuard:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            "-c",
            _GUARD,
            str(pgid),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        return cls(proc)

    async def dismiss(self) -> None:
        """The group is gone: tell the guard to exit without killing anything."""
        stdin = self.proc.stdin
        if stdin is not None:
            try:
                stdin.write(b"done\n")
                await stdin.drain()
                stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` still runs (zombies, which can do nothing, do not count)."""
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) >= 3 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


async def stop_group(pgid: int, grace: float, on_kill: Callable[[], None] | None = None) -> None:
    """SIGTERM the group, SIGKILL it after ``grace`` seconds, and return only once it is gone."""
    if signal_group(pgid, signal.SIGTERM) and await wait_group_gone(pgid, grace):
        return
    if group_alive(pgid):
        if on_kill is not None:
            on_kill()
        signal_group(pgid, signal.SIGKILL)
    await wait_group_gone(pgid, None)


def exit_code_of(returncode: int) -> int:
    """A shell's view of how the child ended: its code, or 128 + signal number when a signal killed it."""
    return 128 - returncode if returncode < 0 else returncode
