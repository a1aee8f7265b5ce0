"""`kpy sandbox`: a seeded emulator for one command, or until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from pathlib import Path

from tests.integration.clihelpers import KPY


def _sandbox(*args: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run(
        [KPY, "sandbox", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def test_runs_a_command_against_the_seeded_sandbox() -> None:
    res = _sandbox("--", "kpy", "get", "pods", "-o", "wide")
    assert res.returncode == 0, res.stderr
    names = [line.split()[0] for line in res.stdout.splitlines()[1:]]
    assert names == ["web", "worker"]


def test_exits_with_the_childs_exit_code() -> None:
    assert _sandbox("--", "sh", "-c", "exit 7").returncode == 7


def test_missing_command_exits_127() -> None:
    res = _sandbox("--", "no-such-command-kpy")
    assert res.returncode == 127
    assert "no-such-command-kpy" in res.stderr


def test_child_sees_the_kubeconfig_and_the_seeded_objects() -> None:
    res = _sandbox("--", "sh", "-c", 'test -f "$KUBECONFIG" && kpy get svc,deploy -o name')
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["service/web", "deployment.apps/web"]


def test_web_pod_port_80_is_served_through_port_forward(tmp_path: Path) -> None:
    script = (
        "kpy port-forward pod/web :80 -o json > pf.out & pid=$!; "
        "for i in $(seq 100); do grep -q localPort pf.out 2>/dev/null && break; sleep 0.1; done; "
        'port=$(python3 -c \'import json;print(json.loads(open("pf.out").readline())["localPort"])\'); '
        "python3 -c \"import urllib.request,sys;print(urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]).status)\" $port; "
        "kill -INT $pid; wait $pid"
    )
    res = _sandbox("--", "sh", "-c", script, cwd=tmp_path)  # pf.out goes to tmp_path, not the checkout
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "200"


def test_two_sandboxes_run_at_once_and_stop_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    procs = [
        subprocess.Popen([KPY, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    try:
        configs = []
        for proc in procs:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("export KUBECONFIG=")
            configs.append(first.strip().split("=", 1)[1])
        assert configs[0] != configs[1]
        for cfg in configs:
            res = subprocess.run(
                [KPY, "get", "pods", "-o", "name"],
                capture_output=True,
                text=True,
                env={**env, "KUBECONFIG": cfg},
                timeout=60,
                check=False,
            )
            assert res.stdout.split() == ["pod/web", "pod/worker"], res.stderr
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        codes = [proc.wait(20) for proc in procs]
    assert codes == [0, 0]
    assert not any(Path(c).exists() for c in configs), "the sandbox left its kubeconfig behind"


def test_page_server_answers_200() -> None:
    # The backing HTTP server itself (without port-forward) is part of the sandbox contract.
    import asyncio

    from kpy.sandbox import WEB_PAGE, _web_backend

    async def fetch() -> tuple[int, str]:
        async with _web_backend() as port:

            def get() -> tuple[int, str]:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
                    return resp.status, resp.read().decode()

            return await asyncio.to_thread(get)

    assert asyncio.run(fetch()) == (200, WEB_PAGE)
