"""kpy.cache.spawn: how ``kpy on`` starts runs on Linux (posix_spawn + pidfd) and the guard that kills them
when kpy dies. Real processes; every wait has a deadline."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kpy.cache import spawn

pytestmark = pytest.mark.skipif(not spawn.available(), reason="posix_spawn + pidfd_open are not available")


def gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether ``pid`` ended (or is a zombie) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


async def run(
    argv: list[str], stdin: bytes = b"", env: dict[str, str] | None = None
) -> tuple[int, bytes, bytes]:
    out: list[bytes] = []
    err: list[bytes] = []
    path = spawn.resolve(argv[0], os.environ)
    assert path is not None
    started = spawn.spawn(path, argv, env if env is not None else dict(os.environ), (out.append, err.append))
    await started.feed(stdin)
    async with asyncio.timeout(30):
        code = await started.exited
        await asyncio.gather(*started.drained)
    return code, b"".join(out), b"".join(err)


async def test_stdin_larger_than_a_pipe_arrives_whole_and_output_comes_back_line_by_line() -> None:
    data = os.urandom(300_000)
    code, out, _ = await run(["sh", "-c", "wc -c; echo two; printf 'no newline'"], data)
    assert (code, out.split(b"\n")) == (0, [b"300000", b"two", b"no newline"])


async def test_exit_codes_and_signals_come_back_like_subprocess() -> None:
    assert (await run(["sh", "-c", "exit 7"]))[0] == 7
    assert (await run(["sh", "-c", "kill -TERM $$"]))[0] == -signal.SIGTERM


async def test_the_command_leads_its_own_group_with_default_signals_and_no_inherited_descriptors(
    tmp_path: Path,
) -> None:
    kept = os.open(tmp_path / "inherited", os.O_WRONLY | os.O_CREAT)
    os.set_inheritable(kept, True)  # as if kpy had inherited it from its parent
    spawn._prepare_fds()
    try:
        code, out, _ = await run(
            [
                "sh",
                "-c",
                f'test "$(ps -o pgid= $$ | tr -d " ")" = "$$" && echo leader; '
                f"grep SigIgn /proc/$$/status; test -e /proc/$$/fd/{kept} || echo closed",
            ]
        )
    finally:
        os.close(kept)
    words = out.decode().split()
    assert (code, words[:2], words[3:]) == (0, ["leader", "SigIgn:"], ["closed"])
    # Python ignores SIGPIPE; a command must not inherit that (``yes | head`` would never end)
    ignored = int(words[2], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1)) and not ignored & (1 << (signal.SIGXFSZ - 1))


async def test_exec_errors_are_raised_like_exec() -> None:
    with pytest.raises(FileNotFoundError):
        spawn.spawn("/nonexistent/cmd", ["cmd"], {}, (print, print))
    with pytest.raises(PermissionError):
        spawn.spawn("/etc/passwd", ["passwd"], {}, (print, print))


def test_the_guard_kills_every_run_group_when_kpy_dies_and_nothing_after_a_clean_stop(
    tmp_path: Path,
) -> None:
    guard = spawn.RunGuard()
    env = {**os.environ, **guard.env}
    # a registered run whose child cleared its environment (only the group finds it) ...
    registered = subprocess.Popen(
        ["sh", "-c", f"env -i sleep 60 & echo $! > {tmp_path}/grandchild; wait"],
        env=env,
        start_new_session=True,
    )
    # ... and a run kpy had not told the guard about yet (only its environment finds it)
    unregistered = subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)
    guard.watch(registered.pid)
    wait_for(
        lambda: (tmp_path / "grandchild").exists() and (tmp_path / "grandchild").read_text().strip() != "",
        "the grandchild",
    )
    grandchild = int((tmp_path / "grandchild").read_text())
    guard.close(clean=False)  # what the guard sees when kpy dies: its pipe closes without "done"
    for proc in (registered, unregistered):
        proc.wait(20)
    assert gone(grandchild)

    guard = spawn.RunGuard()
    survivor = subprocess.Popen(["sleep", "60"], env={**os.environ, **guard.env}, start_new_session=True)
    try:
        guard.watch(survivor.pid)
        guard.close(clean=True)
        assert guard.proc.returncode == 0 and survivor.poll() is None
    finally:
        survivor.kill()
        survivor.wait()


def test_a_sigkilled_guard_holder_takes_its_runs_along(tmp_path: Path) -> None:
    """The real case: a process that owns a RunGuard and a run is SIGKILLed; the run's whole group dies."""
    script = tmp_path / "owner.py"
    script.write_text(
        "import asyncio, os, sys\n"
        "from kpy.cache import spawn\n"
        "async def main():\n"
        "    guard = spawn.RunGuard()\n"
        "    argv = ['sh', '-c', 'sleep 60 & echo $!; echo $$; wait']\n"
        "    run = spawn.spawn(spawn.resolve('sh', os.environ), argv, {**os.environ, **guard.env},\n"
        "                      (lambda b: (sys.stdout.buffer.write(b), sys.stdout.flush()), print))\n"
        "    guard.watch(run.pid)\n"
        "    await run.feed(b'')\n"
        "    await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n"
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    assert owner.stdout is not None
    pids = [int(owner.stdout.readline()), int(owner.stdout.readline())]
    owner.kill()
    owner.wait(20)
    assert all(gone(pid) for pid in pids)


def test_the_guard_kills_every_run_when_the_stop_deadline_passes_without_a_newer_one() -> None:
    from kpy.gocompat.clock import RealClock

    guard = spawn.RunGuard()
    env = {**os.environ, **guard.env}
    run = subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)
    try:
        guard.watch(run.pid)
        clock = RealClock()
        guard.hold_until(clock.monotonic() + 30)
        guard.hold_until(clock.monotonic() + 0.3)  # each deadline replaces the one before
        run.wait(20)
        assert run.returncode == -signal.SIGKILL
    finally:
        run.kill()
        guard.close()


def test_a_stalled_guard_is_not_killed_before_it_kills_the_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """kpy stops with runs left while the machine stalls its guard: kpy gives up waiting for the guard but does
    not kill it (that would leave the runs behind); the guard, once it runs again, kills them."""
    monkeypatch.setattr(spawn, "GUARD_EXIT", 0.2)
    guard = spawn.RunGuard()
    run = subprocess.Popen(["sleep", "60"], env={**os.environ, **guard.env}, start_new_session=True)
    try:
        guard.watch(run.pid)
        os.kill(guard.proc.pid, signal.SIGSTOP)
        try:
            guard.close(clean=False)
            assert guard.proc.poll() is None, "the guard was killed before it could stop the runs"
        finally:
            os.kill(guard.proc.pid, signal.SIGCONT)
        assert run.wait(30) == -signal.SIGKILL
        guard.proc.wait(30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
