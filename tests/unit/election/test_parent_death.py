"""kpy killed with SIGKILL: its child (PDEATHSIG) and the child's whole group (guard process) die too.

The deadlines below only bound how long the kernel and the guard may take to be scheduled (generous, for a
loaded machine); nothing here depends on how fast things happen. The guard is started before the child and
learns the child's process group from the child itself before exec, so there is no window in which kpy can
die with the group unguarded (there used to be one: the guard was started after the child).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc and PDEATHSIG")

ROOT = Path(__file__).resolve().parents[3]

KPY_LIKE = """
import asyncio, sys
from kpy.election.config import ElectionConfig
from kpy.election.runner import ElectionRunner, RunOptions
from tests.unit.election.fakes import FakeLock, LeaseStore
opts = RunOptions(argv=tuple(sys.argv[1:]), identity="me", config=ElectionConfig())
asyncio.run(ElectionRunner(FakeLock(LeaseStore()), opts).run())
"""

CHILD = """
import subprocess, sys, time
p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(f"{__import__('os').getpid()} {p.pid}")
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def wait_until(cond: object, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("use_pdeathsig", [True, False], ids=["pdeathsig+guard", "guard-only"])
def test_sigkill_of_kpy_kills_the_child_and_its_group(tmp_path: Path, use_pdeathsig: bool) -> None:
    pids = tmp_path / "pids"
    script = KPY_LIKE
    if not use_pdeathsig:  # prove the guard alone cleans the group (what non-Linux systems rely on)
        script = "import kpy.election.process as p; p.USE_PDEATHSIG = False\n" + script
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    kpy = subprocess.Popen(
        [sys.executable, "-c", script, sys.executable, "-c", CHILD, str(pids)], env=env, cwd=ROOT
    )
    try:
        assert wait_until(lambda: pids.exists() and " " in pids.read_text(), 120), "child never started"
        child, grandchild = map(int, pids.read_text().split())
        assert alive(child) and alive(grandchild)
        kpy.send_signal(signal.SIGKILL)
        kpy.wait(60)
        assert wait_until(lambda: not alive(child), 60), "child outlived kpy"
        assert wait_until(lambda: not alive(grandchild), 60), "grandchild outlived kpy"
    finally:
        kpy.kill()
        kpy.wait()
