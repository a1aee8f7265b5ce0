"""`kpy get -w` and `kpy events tail` while the API server is down: they say so on stderr once, keep retrying,
say when the server is back and print what happened meanwhile; ``--max-retry-time`` makes them give up with
the last error instead. The emulator really stops listening (connections refused), then listens again on the
same port. Every wait is a condition with a deadline.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, Api, pod
from tests.integration.events.test_tail_follow_cli import RawReader

from kpy import testing

NS = "outage"
LOST = re.compile(
    r"^kpy: watch lost: The connection to the server 127\.0\.0\.1:\d+ was refused - did you specify the right "
    r"host or port\?; retrying \(next in \d+(ms|s)\)$"
)
RESTORED = re.compile(r"^kpy: watch restored after \d+(ms|s|m)")


@pytest.fixture
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread() as thread:
        thread.run(
            thread.emulator.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        )
        yield thread


def start(sandbox: Any, *args: str) -> tuple[subprocess.Popen[bytes], RawReader, RawReader]:
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "NO_COLOR": "1"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    proc = subprocess.Popen([KPY, *args, "-n", NS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    return proc, RawReader(proc.stdout.fileno()), RawReader(proc.stderr.fileno())


def finish(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def event(name: str, message: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": NS},
        "reason": "Tick",
        "message": message,
        "type": "Normal",
        "count": 1,
        "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:00:00Z",
        "source": {"component": "test"},
    }


@pytest.mark.parametrize(
    ("command", "path", "make", "expect"),
    [
        (
            ["get", "pods", "-w", "-o", "name"],
            f"/api/v1/namespaces/{NS}/pods",
            lambda name: pod(name, NS),
            lambda name: f"pod/{name}",
        ),
        (
            ["events", "tail"],
            f"/api/v1/namespaces/{NS}/events",
            lambda name: event(name, f"msg-{name}"),
            lambda name: f"msg-{name}",
        ),
    ],
    ids=["get-w", "events-tail"],
)
def test_an_outage_is_reported_and_output_resumes_after_it(
    sandbox: Any, command: list[str], path: str, make: Any, expect: Any
) -> None:
    em = sandbox.emulator
    api = Api(em.url, em.ca_pem, em.token)
    assert api.call("POST", path, make("before"))[0] == 201
    proc, out, err = start(sandbox, *command)
    try:
        out.wait_for("the first object", lambda ls: any(expect("before") in line for line in ls), 30)
        sandbox.call(em.wait_for_watches, 1)
        sandbox.run(em.faults.go_offline())
        err.wait_for("the outage on stderr", lambda ls: any(LOST.match(line) for line in ls), 60)
        assert proc.poll() is None  # still retrying
        sandbox.run(em.faults.go_online())
        assert api.call("POST", path, make("after"))[0] == 201
        out.wait_for(
            "the object created after the outage", lambda ls: any(expect("after") in x for x in ls), 60
        )
        err.wait_for("the recovery on stderr", lambda ls: any(RESTORED.match(line) for line in ls), 30)
        assert len([line for line in err.lines if LOST.match(line)]) == 1  # once per outage, not per retry
        assert all(line.startswith("kpy: watch ") for line in err.lines), err.lines
    finally:
        finish(proc)


@pytest.mark.parametrize("command", [["get", "pods", "-w"], ["events", "tail"]], ids=["get-w", "events-tail"])
def test_max_retry_time_gives_up_with_the_last_error(sandbox: Any, command: list[str]) -> None:
    em = sandbox.emulator
    proc, _out, err = start(sandbox, *command, "--max-retry-time", "3s")
    try:
        sandbox.call(em.wait_for_watches, 1)
        sandbox.run(em.faults.go_offline())
        code = proc.wait(60)
        while not err.eof:
            err.pump(1.0)
        lines = err.lines
        assert code == 1
        assert LOST.match(lines[0]), lines
        assert re.match(
            r"^The connection to the server 127\.0\.0\.1:\d+ was refused - did you specify the right "
            r"host or port\?$",
            lines[-1],
        ), lines
        assert "Traceback" not in err.data.decode()
    finally:
        finish(proc)


def test_a_bad_max_retry_time_is_pflags_error(sandbox: Any) -> None:
    proc = subprocess.run(
        [KPY, "get", "pods", "-w", "--max-retry-time", "soon"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path)},
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        1,
        'error: invalid argument "soon" for "--max-retry-time" flag: time: invalid duration "soon"\n',
    )
