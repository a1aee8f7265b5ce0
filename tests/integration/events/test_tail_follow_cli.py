"""``kpy events tail`` following (no ``--no-watch``) as a subprocess, against an ``EmulatorThread``.

Output is read from the raw stdout fd (``os.read`` + ``select``), never through a buffered reader, so what the
test sees is exactly what a terminal would show, when it shows it. Waits are on conditions with deadlines.

Ctrl-C: kpy exits 130 after SIGINT (``kpy.cli.main``: KeyboardInterrupt → 130, no traceback). kubectl 1.32's
``kubectl events -w`` and ``kubectl get events -w`` exit 1 instead (their interrupt handler has no final
handler, so it calls ``os.Exit(1)``); kpy keeps the shell convention 128 + SIGINT.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, Api

from kpy import testing

NS = "follow"  # a namespace of its own: the seeded cluster has events in default
EVENTS = f"/api/v1/namespaces/{NS}/events"


@pytest.fixture
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread(seed=True) as thread:
        thread.run(
            thread.emulator.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        )
        yield thread


def event(i: int, type_: str = "Normal") -> dict[str, Any]:
    stamp = f"2024-01-01T00:00:{i:02d}Z"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"web.{i:08x}", "namespace": NS},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": NS},
        "reason": "Tick",
        "message": f"msg-{i}",
        "type": type_,
        "count": 1,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "source": {"component": "test"},
    }


class RawReader:
    """Accumulates a subprocess's stdout from its fd; ``wait_for`` polls with select until a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self.eof = False

    def pump(self, timeout: float) -> None:
        if self.eof:
            return
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # a pty master reads EIO once the child side is closed
                chunk = b""
            if chunk:
                self.data += chunk
            else:
                self.eof = True

    @property
    def lines(self) -> list[str]:
        text = self.data.decode(errors="replace")
        complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
        return complete.splitlines()

    def wait_for(self, what: str, cond: Callable[[list[str]], bool], timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while not cond(self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                raise AssertionError(f"timed out waiting for {what}; output so far:\n{self.data.decode()}")
            self.pump(min(remaining, 0.5))
        return self.lines


def rows_with(lines: list[str], message: str) -> list[str]:
    return [line for line in lines if line.split() and line.split()[-1] == message]


def start_tail(
    sandbox: Any, *args: str, stdout: int | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), **(env or {})}
    full_env.pop("KUBERNETES_SERVICE_HOST", None)
    return subprocess.Popen(
        [KPY, "events", "tail", "-n", NS, *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
    )


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError("kpy events tail did not exit within 10 s of SIGINT") from None
    assert proc.stderr is not None
    return code, proc.stderr.read().decode(errors="replace")


def test_follow_prints_new_and_updated_events_exactly_once_across_dropped_watches_and_compaction(
    sandbox: Any,
) -> None:
    em = sandbox.emulator
    api = Api(em.url, em.ca_pem, em.token)
    for i in (1, 2, 3):
        assert api.call("POST", EVENTS, event(i))[0] == 201
    proc = start_tail(sandbox, env={"NO_COLOR": "1"})
    try:
        assert proc.stdout is not None
        out = RawReader(proc.stdout.fileno())
        lines = out.wait_for("the initial three events", lambda ls: len(ls) >= 4)
        assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        assert [line.split()[-1] for line in lines[1:4]] == ["msg-1", "msg-2", "msg-3"]

        # a new event, then an update of an existing one (count 2): each appears once, as it happens
        sandbox.call(em.wait_for_watches, 1)
        assert api.call("POST", EVENTS, event(4, "Warning"))[0] == 201
        out.wait_for("msg-4", lambda ls: rows_with(ls, "msg-4"))
        code, _ = api.call(
            "PATCH",
            f"{EVENTS}/web.00000001",
            {"count": 2, "lastTimestamp": "2024-01-01T00:01:00Z"},
            content_type="application/strategic-merge-patch+json",
        )
        assert code == 200
        out.wait_for("msg-1 (x2)", lambda ls: len(rows_with(ls, "msg-1")) == 2)
        assert "(x2 over" in rows_with(out.lines, "msg-1")[1]
        assert rows_with(out.lines, "msg-4")[0].split()[1] == "Warning"

        # the watch breaks; an event is created while nobody watches: it is printed once, after the resume
        sandbox.call(em.wait_for_watches, 1)
        assert sandbox.call(em.faults.drop_watches) >= 1
        assert api.call("POST", EVENTS, event(5))[0] == 201
        out.wait_for("msg-5", lambda ls: rows_with(ls, "msg-5"))

        # the watch breaks and history is compacted before it resumes: the resume answers 410 and kpy relists;
        # the relist brings one new and one updated event, and none of the others again
        sandbox.call(em.wait_for_watches, 1)

        async def break_and_compact() -> None:  # atomic on the emulator's loop: no reconnect in between
            em.faults.drop_watches()
            await em.create_object(event(6))
            stored = await em.get_object("v1", "Event", "web.00000002", NS)
            stored["count"] = 2
            await em.update_object(stored)
            em.faults.compact()

        lists_before = sum(
            1 for r in em.requests if r.path == EVENTS and r.method == "GET" and "watch" not in r.query
        )
        sandbox.run(break_and_compact())
        out.wait_for(
            "msg-6 and msg-2 (x2)", lambda ls: rows_with(ls, "msg-6") and len(rows_with(ls, "msg-2")) == 2
        )

        # a sentinel after everything: anything repeated by the relist would have been printed before it
        assert api.call("POST", EVENTS, event(7))[0] == 201
        lines = out.wait_for("msg-7", lambda ls: rows_with(ls, "msg-7"))
        assert proc.poll() is None, "tail must keep following"
    finally:
        code, err = stop(proc)

    messages = [line.split()[-1] for line in lines[1:]]
    assert sorted(messages) == sorted(
        ["msg-1", "msg-2", "msg-3", "msg-4", "msg-1", "msg-5", "msg-6", "msg-2", "msg-7"]
    ), lines
    assert messages[-1] == "msg-7"
    assert sum(1 for line in lines if line.split()[:2] == ["LAST", "SEEN"]) == 1  # one header, ever
    assert "(x2 over" in rows_with(lines, "msg-2")[1]
    lists_after = sum(
        1 for r in em.requests if r.path == EVENTS and r.method == "GET" and "watch" not in r.query
    )
    assert lists_after > lists_before, "the 410 must have made kpy relist"
    assert code == 130, err  # Ctrl-C: 128 + SIGINT, like a shell reports it
    assert "Traceback" not in err and err.strip() == "", err


@pytest.mark.parametrize(
    ("tty", "env", "colored"),
    [(True, {}, True), (True, {"NO_COLOR": "1"}, False), (False, {}, False)],
    ids=["tty", "tty-NO_COLOR", "pipe"],
)
def test_warnings_are_highlighted_only_on_a_terminal_without_no_color(
    sandbox: Any, tty: bool, env: dict[str, str], colored: bool
) -> None:
    em = sandbox.emulator
    api = Api(em.url, em.ca_pem, em.token)
    assert api.call("POST", EVENTS, event(1))[0] == 201
    assert api.call("POST", EVENTS, event(2, "Warning"))[0] == 201
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"KUBECONFIG": str(sandbox.kubeconfig_path), "TERM": "xterm", **env})
    full_env.pop("KUBERNETES_SERVICE_HOST", None)
    argv = [KPY, "events", "tail", "-n", NS, "--no-watch"]
    if tty:
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, env=full_env)
        finally:
            os.close(slave)
        try:
            reader = RawReader(master)
            deadline = time.monotonic() + 20
            while not reader.eof and time.monotonic() < deadline:
                reader.pump(0.5)
            assert proc.wait(10) == 0
        finally:
            os.close(master)
        text = reader.data.decode().replace("\r\n", "\n")
    else:
        done = subprocess.run(argv, capture_output=True, env=full_env, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        text = done.stdout.decode()
    header, normal, warning = text.splitlines()
    assert "\x1b[" not in header and "\x1b[" not in normal and "msg-1" in normal
    assert ("\x1b[" in warning) is colored and "Warning" in warning and "msg-2" in warning
