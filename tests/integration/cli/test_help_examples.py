"""Every example in every command's --help runs successfully against a real `kpy sandbox`.

Examples that run until interrupted (watches, port-forward, a bare sandbox, `events tail` without
--no-watch) must produce their first line of output and then exit cleanly on Ctrl-C (SIGINT).
"""

from __future__ import annotations

import json
import os
import selectors
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY

from kpy.cli.main import build_app


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _commands(sub, [*path, name])


def examples() -> list[tuple[str, str]]:
    """(command path, example line) for every `kpy ...` line in an Examples: section."""
    root = build_app()
    found: list[tuple[str, str]] = []
    for path, command in _commands(root, ["kpy"]):
        text = command.help or ""
        if "Examples:" not in text:
            continue
        lines = text.split("Examples:", 1)[1].splitlines()
        joined: list[str] = []
        for line in lines:
            line = line.strip()
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + line
            else:
                joined.append(line)
        found += [(" ".join(path), line) for line in joined if line.startswith("kpy ")]
    return found


EXAMPLES = examples()


def _runs_until_interrupted(argv: list[str]) -> bool:
    if argv[1:2] == ["sandbox"]:
        return "--" not in argv
    if argv[1:2] in (["port-forward"], ["on"]):
        return True
    if argv[1:2] == ["logs"]:
        return "-f" in argv or "--follow" in argv
    if argv[1:3] == ["events", "tail"]:
        return "--no-watch" not in argv
    return any(a in ("-w", "--watch", "--watch-only") for a in argv)


@pytest.fixture(scope="module")
def sandbox_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["NO_COLOR"] = "1"
    proc = subprocess.Popen(
        [KPY, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("export KUBECONFIG="), proc.stderr.read() if proc.stderr else first
    env["KUBECONFIG"] = first.strip().split("=", 1)[1]
    workdir = tmp_path_factory.mktemp("examples")
    pods = subprocess.run(
        [KPY, "get", "pods", "-o", "json"], capture_output=True, text=True, env=env, check=True
    ).stdout
    (workdir / "pods.json").write_text(pods)
    (workdir / "job.sh").write_text("#!/bin/sh\necho job ran as $KPY_IDENTITY\n")
    (workdir / "job.sh").chmod(0o755)
    (workdir / "events.jsonl").write_text(
        json.dumps(
            {"for": "pod/web", "type": "Warning", "reason": "DiskPressure", "message": "disk almost full"}
        )
        + "\n"
    )
    (workdir / "columns.txt").write_text("NAME          PHASE\nmetadata.name status.phase\n")
    (workdir / "template.jsonpath").write_text("{.items[*].metadata.name}\n")
    try:
        yield env, workdir
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_command_has_examples() -> None:
    documented = {path for path, _ in EXAMPLES}
    root = build_app()
    leaves = {" ".join(p) for p, c in _commands(root, ["kpy"]) if not getattr(c, "commands", None)}
    missing = sorted(leaves - documented - {"kpy"})
    assert not missing, f"commands without examples in --help: {missing}"


@pytest.mark.parametrize(("command", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_help_example_runs_against_the_sandbox(
    sandbox_env: tuple[dict[str, str], Path], command: str, example: str
) -> None:
    env, workdir = sandbox_env
    argv = shlex.split(example, comments=True)
    argv[0] = KPY
    # an example's fixed local port (port-forward's 18080) may be taken on a shared machine: use a free one
    argv = [f"{_free_port()}:{arg.split(':', 1)[1]}" if arg.startswith("18080:") else arg for arg in argv]
    if not _runs_until_interrupted(argv):
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=workdir, timeout=60, check=False
        )
        assert proc.returncode == 0, f"{example!r} failed ({proc.returncode}): {proc.stderr}"
        assert "Traceback" not in proc.stderr
        return
    proc2 = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=workdir
    )
    assert proc2.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc2.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    line = ""
    while not line and time.monotonic() < deadline:
        if sel.select(deadline - time.monotonic()):
            line = proc2.stdout.readline()
            if not line:
                break
    try:
        proc2.send_signal(signal.SIGINT)
        _, err = proc2.communicate(timeout=20)
    finally:
        if proc2.poll() is None:  # never leave it running when an assertion fails
            proc2.kill()
            proc2.communicate()
    assert line, f"{example!r} printed nothing: {err}"
    assert proc2.returncode in (0, 130), f"{example!r} exited {proc2.returncode} on Ctrl-C: {err}"
    assert "Traceback" not in err
