"""The runner with real child processes over the in-memory lease (short real durations, no emulator)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from tests.unit.election.fakes import FakeLock, LeaseStore

from kpy.election.config import ElectionConfig
from kpy.election.runner import ElectionRunner, RunOptions
from kpy.errors import ServerError
from kpy.gocompat.duration import MILLISECOND, SECOND

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

FAST = ElectionConfig(2 * SECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 300 * MILLISECOND)
PY = sys.executable


def runner(
    store: LeaseStore, *argv: str, identity: str = "me", **kw: object
) -> tuple[ElectionRunner, io.StringIO]:
    err = io.StringIO()
    opts = RunOptions(argv=tuple(argv), identity=identity, config=FAST, **kw)  # type: ignore[arg-type]
    return ElectionRunner(FakeLock(store), opts, err=err, handle_signals=False), err


async def test_child_exit_code_is_returned_and_lease_released_after() -> None:
    store = LeaseStore()
    r, err = runner(store, PY, "-c", "import sys; sys.exit(7)")
    assert await r.run() == 7
    spec = store.spec()
    assert spec["holderIdentity"] == ""
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 0
    lines = err.getvalue().splitlines()
    assert lines[0] == "acquired lease default/l as me"
    assert lines[-1] == "released lease default/l"


async def test_no_release_on_exit_leaves_the_lease_held() -> None:
    store = LeaseStore()
    r, _ = runner(store, PY, "-c", "pass", release_on_exit=False)
    assert await r.run() == 0
    assert store.spec()["holderIdentity"] == "me"


async def test_child_gets_lease_identity_and_fencing_token_in_its_environment(tmp_path: Path) -> None:
    store = LeaseStore()
    store.put_spec(
        {
            "holderIdentity": "",
            "leaseDurationSeconds": 1,
            "leaseTransitions": 4,
            "acquireTime": "2024-01-01T00:00:00.000000Z",
            "renewTime": "2024-01-01T00:00:00.000000Z",
        }
    )
    out = tmp_path / "env"
    code = (
        "import os,sys; open(sys.argv[1],'w').write(' '.join(os.environ[k] for k in "
        "('KPY_LEASE','KPY_IDENTITY','KPY_LEASE_TRANSITIONS')))"
    )
    r, _ = runner(store, PY, "-c", code, str(out))
    assert await r.run() == 0
    assert out.read_text() == "default/l me 5"


async def test_child_killed_by_a_signal_exits_128_plus_signal() -> None:
    store = LeaseStore()
    r, _ = runner(store, PY, "-c", "import os,signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert await r.run() == 128 + signal.SIGKILL


async def test_missing_command_exits_127_without_touching_the_lease() -> None:
    store = LeaseStore()
    r, err = runner(store, "kpy-no-such-command-xyz")
    assert await r.run() == 127
    assert store.lease is None
    assert err.getvalue() == 'error: exec: "kpy-no-such-command-xyz": executable file not found in $PATH\n'


async def test_non_executable_path_exits_126(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\n")
    r, _ = runner(LeaseStore(), str(script))
    assert await r.run() == 126


async def test_child_runs_in_its_own_process_group(tmp_path: Path) -> None:
    out = tmp_path / "pg"
    r, _ = runner(
        LeaseStore(),
        PY,
        "-c",
        "import os,sys; open(sys.argv[1],'w').write(f'{os.getpid()} {os.getpgrp()}')",
        str(out),
    )
    assert await r.run() == 0
    pid, pgid = out.read_text().split()
    assert pid == pgid
    assert int(pgid) != os.getpgrp()


async def test_leftover_grandchildren_are_stopped_before_the_release(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild"
    code = (
        "import subprocess,sys; p=subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']); "
        "open(sys.argv[1],'w').write(str(p.pid))"
    )
    store = LeaseStore()
    r, _ = runner(store, PY, "-c", code, str(pidfile))
    assert await r.run() == 0
    grandchild = int(pidfile.read_text())
    assert not _running(grandchild)
    assert store.spec()["holderIdentity"] == ""


async def test_renewal_failure_stops_the_child_before_the_lease_can_pass(tmp_path: Path) -> None:
    store = LeaseStore()
    started = tmp_path / "started"
    stopped = tmp_path / "stopped"
    code = (
        "import signal,sys,time,pathlib\n"
        "def bye(*a):\n    pathlib.Path(sys.argv[2]).write_text(repr(time.monotonic())); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "pathlib.Path(sys.argv[1]).write_text('x')\n"
        "while True: time.sleep(0.05)\n"
    )
    r, err = runner(store, PY, "-c", code, str(started), str(stopped))
    task = asyncio.create_task(r.run())
    await _wait_for(started.exists)
    failing_since = time.monotonic()
    last_send = r.elector.core.last_success_send
    assert last_send is not None

    def fail(verb: str) -> None:
        raise ServerError("unavailable")

    store.fault = fail
    assert await asyncio.wait_for(task, 10) == 1
    stop_time = float(stopped.read_text())
    # the child was gone before a follower could have taken over (0.9 × 2 s after the last successful send)
    assert stop_time < (r.elector.core.last_success_send or last_send) + 1.8
    assert stop_time >= failing_since
    assert "lost lease default/l: " in err.getvalue()


async def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    store = LeaseStore()
    started = tmp_path / "started"
    code = (
        "import signal,sys,time,pathlib\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).write_text('x')\nwhile True: time.sleep(0.05)\n"
    )
    r, err = runner(store, PY, "-c", code, str(started))
    task = asyncio.create_task(r.run())
    await _wait_for(started.exists)
    store.put_spec({**store.spec(), "holderIdentity": "thief"})
    assert await asyncio.wait_for(task, 10) == 1
    text = err.getvalue()
    assert "lost lease default/l: new leader: thief" in text
    assert "killing its process group" in text
    assert store.spec()["holderIdentity"] == "thief"  # never released someone else's lease


async def test_forwarded_signal_reaches_the_child_and_its_code_is_returned(tmp_path: Path) -> None:
    started = tmp_path / "started"
    code = "import sys,time,pathlib\npathlib.Path(sys.argv[1]).write_text('x')\ntime.sleep(30)\n"
    store = LeaseStore()
    r, _ = runner(store, PY, "-c", code, str(started))
    task = asyncio.create_task(r.run())
    await _wait_for(started.exists)
    r._on_signal(signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 128 + signal.SIGTERM
    assert store.spec()["holderIdentity"] == ""


async def test_signal_while_campaigning_exits_without_starting_the_child(tmp_path: Path) -> None:
    store = LeaseStore()
    store.put_spec(
        {
            "holderIdentity": "other",
            "leaseDurationSeconds": 60,
            "leaseTransitions": 0,
            "acquireTime": "2024-01-01T00:00:00.000000Z",
            "renewTime": "2024-01-01T00:00:00.000000Z",
        }
    )
    marker = tmp_path / "ran"
    r, err = runner(store, PY, "-c", "import sys; open(sys.argv[1],'w')", str(marker))
    task = asyncio.create_task(r.run())
    await _wait_for(lambda: "new leader: other" in err.getvalue())
    r._on_signal(signal.SIGINT)
    assert await asyncio.wait_for(task, 5) == 130
    assert not marker.exists()


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat[stat.rfind(")") + 2] != "Z"


async def _wait_for(cond: object, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
