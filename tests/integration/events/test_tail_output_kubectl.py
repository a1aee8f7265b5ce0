"""``kpy events tail -o json|yaml|name`` against ``kubectl events`` on the same emulator, byte for byte.

Without ``--no-watch`` kpy follows, which ``kubectl events -w`` does: both print one object per event; both are
run until every event is out, then stopped (a wait on the output, with a deadline).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, kpy, kubectl

from kpy import testing

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is the oracle here")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread(seed=True) as thread:
        config = thread.kubeconfig_path
        recorded = [  # a repeat (count 2), one with a related object, one through events.k8s.io (series)
            ("--for", "pod/web", "--reason", "Again", "--message", "twice <&>"),
            ("--for", "pod/web", "--reason", "Again", "--message", "twice <&>"),
            ("--for", "deployment/web", "--reason", "Rolled", "--related", "pod/web", "--action", "Roll"),
            ("--for", "pod/web", "--reason", "Series", "--api", "events.k8s.io/v1", "--type", "Warning"),
            ("--for", "pod/web", "--reason", "Series", "--api", "events.k8s.io/v1", "--type", "Warning"),
        ]
        for args in recorded:
            result = kpy("events", "record", *args, kubeconfig=config)
            assert result.code == 0, result.err
        yield thread


def count_objects(fmt: str) -> Callable[[str], int]:
    """How many whole objects the text holds (kubectl and kpy flush after each one)."""
    return {
        "json": lambda text: text.count("\n}\n"),
        "yaml": lambda text: (
            text.count("\n---\n") + 1 if text.endswith(("type: Normal\n", "type: Warning\n")) else 0
        ),
        "name": lambda text: text.count("\n"),
    }[fmt]


def follow(argv: list[str], config: Any, done: Callable[[str], bool]) -> str:
    env = {**os.environ, "KUBECONFIG": str(config), "NO_COLOR": "1"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    data = b""
    deadline = time.monotonic() + 60
    try:
        while not done(data.decode()):
            assert time.monotonic() < deadline, f"{argv[0]} printed only:\n{data.decode()}"
            import select

            select.select([proc.stdout], [], [], 0.5)
            data += proc.stdout.read() or b""
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    return data.decode()


@pytest.mark.parametrize("fmt", ["json", "yaml", "name"])
def test_no_watch_output_is_kubectl_events_output(sandbox: Any, fmt: str) -> None:
    ours = kpy("events", "tail", "--no-watch", "-o", fmt, kubeconfig=sandbox.kubeconfig_path)
    theirs = kubectl("events", "-o", fmt, kubeconfig=sandbox.kubeconfig_path)
    assert (ours.code, ours.err) == (theirs.code, theirs.err) == (0, "")
    assert ours.out == theirs.out
    if fmt == "json":
        assert ours.out.startswith(
            '{\n    "kind": "EventList",\n    "apiVersion": "v1",\n    "metadata": {},\n'
        )


@pytest.mark.parametrize("fmt", ["json", "yaml", "name"])
def test_following_output_is_kubectl_events_watch_output(sandbox: Any, fmt: str) -> None:
    total = len(kpy("events", "tail", "--no-watch", kubeconfig=sandbox.kubeconfig_path).out.splitlines()) - 1
    assert total >= 7
    count = count_objects(fmt)
    ours = follow([KPY, "events", "tail", "-o", fmt], sandbox.kubeconfig_path, lambda t: count(t) >= total)
    theirs = follow(
        [KUBECTL or "kubectl", "events", "-w", "-o", fmt],
        sandbox.kubeconfig_path,
        lambda t: count(t) >= total,
    )
    assert ours == theirs


def test_global_flags_between_events_and_tail(sandbox: Any) -> None:
    config = sandbox.kubeconfig_path
    empty = kpy("events", "-n", "kube-system", "tail", "--no-watch", "-o", "json", kubeconfig=config)
    assert (empty.code, empty.out, empty.err) == (0, "", "No events found in kube-system namespace.\n")
    assert empty.err == kubectl("events", "-n", "kube-system", "-o", "json", kubeconfig=config).err
    # a flag after the subcommand still wins over one before it
    inner = kpy(
        "events",
        "-n",
        "kube-system",
        "tail",
        "-n",
        "default",
        "--no-watch",
        "-o",
        "name",
        "--for",
        "pod/nosuch",
        kubeconfig=config,
    )
    assert inner.err == "No events found in default namespace.\n"
    everywhere = kpy("events", "tail", "-A", "--no-watch", "--for", "pod/nosuch", kubeconfig=config)
    assert (
        everywhere.err
        == "No events found.\n"
        == kubectl("events", "-A", "--for", "pod/nosuch", kubeconfig=config).err
    )
