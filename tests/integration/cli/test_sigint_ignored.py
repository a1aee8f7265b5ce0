"""A watch started with SIGINT ignored (a background job of a script: ``kpy get pods -w &``) still stops on
SIGINT, as kubectl's does (Go's signal.Notify takes an ignored signal back; Python would leave it ignored)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from typing import Any

from tests.integration.clihelpers import KPY


def test_a_watch_started_ignoring_sigint_still_stops_on_it(sandbox: Any) -> None:
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "NO_COLOR": "1"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    # `trap "" INT` ignores SIGINT and exec keeps it ignored: what a non-interactive shell does for `cmd &`
    proc = subprocess.Popen(
        ["sh", "-c", f'trap "" INT; exec {KPY} get pods -n default -w'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        out = b""
        deadline = time.monotonic() + 60
        while b"NAME" not in out:  # the watch is running (its first lines are out)
            assert time.monotonic() < deadline, "kpy get -w printed nothing"
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"kpy get -w ended early: {proc.wait()} {proc.stderr.read()!r}"  # type: ignore[union-attr]
                out += chunk
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130
