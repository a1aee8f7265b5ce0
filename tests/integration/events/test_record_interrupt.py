"""``kpy events record`` as a subprocess under faults and real signals, against an ``EmulatorThread``.

Nothing read may be lost silently: a lookup that fails is retried and then counted, SIGINT/SIGTERM flush what
was read (within ``--flush-timeout``) and print the summary, a second signal exits at once with the summary.
Every wait is on a condition (the progress line, a message on stderr, the process ending) with a deadline.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

import pytest
from tests.integration.clihelpers import KPY, Api, kpy

from kpy import testing

#: nothing is written before the flush: the sink waits an hour for a batch of 10,000
HOLD = ["--max-batch-wait", "1h", "--max-batch-size", "10000"]


@pytest.fixture
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread(seed=True) as thread:
        try:
            yield thread
        finally:
            thread.call(thread.emulator.faults.clear)


def lines(n: int, reason: str = "R") -> str:
    """``n`` inputs about pod/web, each its own event (distinct reasons are never aggregated)."""
    return "".join(
        json.dumps({"for": "pod/web", "reason": f"{reason}{i}", "message": "m"}) + "\n" for i in range(n)
    )


def stored(sandbox: Any, prefix: str) -> list[dict[str, Any]]:
    em = sandbox.emulator
    code, body = Api(em.url, em.ca_pem, em.token).call("GET", "/api/v1/namespaces/default/events")
    assert code == 200, body
    return [e for e in body["items"] if str(e.get("reason", "")).startswith(prefix)]


class Output:
    """Accumulates what a child writes on one fd (a pipe or a pty master); waits poll with a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self.eof = False

    @property
    def text(self) -> str:
        return self.data.decode(errors="replace")

    def pump(self, timeout: float) -> None:
        if self.eof:
            return
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # a pty master reads EIO once the child side is closed
                chunk = b""
            self.data += chunk
            self.eof = not chunk

    def wait_for(self, what: str, cond: Callable[[str], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond(self.text):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                raise AssertionError(f"timed out waiting for {what}; stderr so far:\n{self.text}")
            self.pump(min(remaining, 0.5))

    def drain(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.pump(0.5)
        return self.text


class Recorder:
    """``kpy events record --from-file -`` whose stdin stays open until the test closes it."""

    def __init__(self, sandbox: Any, *args: str, tty: bool = False) -> None:
        env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "NO_COLOR": "1"}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        self.pty_slave: int | None = None
        if tty:
            master, self.pty_slave = pty.openpty()
            stderr: int = self.pty_slave
            err_fd = master
        else:
            stderr = subprocess.PIPE
        self.proc = subprocess.Popen(
            [KPY, "events", "record", "--from-file", "-", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
        if tty:
            assert self.pty_slave is not None
            os.close(self.pty_slave)
        else:
            assert self.proc.stderr is not None
            err_fd = self.proc.stderr.fileno()
        self.err = Output(err_fd)

    @property
    def stdin(self) -> IO[bytes]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def feed(self, text: str) -> None:
        self.stdin.write(text.encode())
        self.stdin.flush()

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        """Wait for the exit (killing the process if it overstays) and return (code, all of stderr)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"kpy did not exit; stderr:\n{self.err.drain(5)}") from None
        finally:
            if not self.stdin.closed:
                self.stdin.close()
        return code, self.err.drain()


def summary(err: str) -> str:
    text = err.replace("\x1b[K", "").replace("\r", "\n")
    [line] = [line for line in text.splitlines() if line.startswith("events: read") and "created" in line]
    return line


def test_a_lookup_that_fails_is_retried_and_a_line_that_still_fails_is_counted(
    sandbox: Any, tmp_path: Any
) -> None:
    faults = sandbox.emulator.faults
    sandbox.call(faults.fail_next, 2, 500, match=r"/pods/web$", verb="GET")  # retried, then it answers
    sandbox.call(faults.fail_next, 1000, 500, match=r"/pods/broken$", verb="GET")  # never answers
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {"for": "pod/web", "reason": "Lookup1"},
                {"for": "pod/broken", "reason": "Lookup2"},
                {"for": "pod/web", "reason": "Lookup3"},
            ]
        )
        + "\n"
    )
    result = kpy(
        "events", "record", "--from-file", str(path), "--max-tries", "3", kubeconfig=sandbox.kubeconfig_path
    )
    assert result.code == 1, result.err
    assert result.err.splitlines() == [
        "error: line 2: pod/broken: Error from server (InternalError): Internal error occurred: injected failure",
        "events: read 3, created 2, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 1",
    ]
    assert sorted(e["reason"] for e in stored(sandbox, "Lookup")) == ["Lookup1", "Lookup3"]
    assert all(e["involvedObject"].get("uid") for e in stored(sandbox, "Lookup"))  # the GET did answer
    assert "\x1b[" not in result.err  # stderr is not a terminal: no progress line


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_reading_writes_what_was_read_and_prints_the_summary(
    sandbox: Any, sig: int, code: int
) -> None:
    # the flush may take as long as it needs (a loaded machine): only its outcome is checked
    rec = Recorder(sandbox, *HOLD, "--progress", "--flush-timeout", "1h", "--qps", "1000", "--burst", "1000")
    rec.feed(lines(25, "Flush"))
    rec.err.wait_for("the progress line to count 25 lines", lambda t: "events: read 25," in t)
    assert stored(sandbox, "Flush") == []  # all of it is still buffered in kpy
    rec.proc.send_signal(sig)
    exit_code, err = rec.finish()
    assert exit_code == code, err
    name = signal.Signals(sig).name
    assert f"kpy: {name}: stopped reading; writing 25 pending events (at most 3600s" in err
    assert summary(err) == (
        "events: read 25, created 25, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 0, not written 0"
    )
    assert len(stored(sandbox, "Flush")) == 25


def test_a_flush_that_cannot_finish_in_time_says_what_was_not_written(sandbox: Any) -> None:
    rec = Recorder(sandbox, *HOLD, "--progress", "--flush-timeout", "0.2s")
    rec.feed(lines(10, "Late"))
    rec.err.wait_for("the progress line to count 10 lines", lambda t: "events: read 10," in t)
    sandbox.call(sandbox.emulator.faults.pause)  # no write can be answered any more
    rec.proc.send_signal(signal.SIGTERM)
    exit_code, err = rec.finish()
    assert exit_code == 143, err
    assert summary(err) == (
        "events: read 10, created 0, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 0, not written 10"
    )


def test_a_second_signal_exits_at_once_with_the_summary(sandbox: Any) -> None:
    rec = Recorder(sandbox, *HOLD, "--progress", "--flush-timeout", "1h")
    rec.feed(lines(12, "Twice"))
    rec.err.wait_for("the progress line to count 12 lines", lambda t: "events: read 12," in t)
    sandbox.call(sandbox.emulator.faults.pause)  # the flush would wait for the full hour
    rec.proc.send_signal(signal.SIGTERM)
    rec.err.wait_for("kpy to start flushing", lambda t: "stopped reading" in t)
    rec.proc.send_signal(signal.SIGINT)
    exit_code, err = rec.finish()
    assert exit_code == 143, err
    assert summary(err).endswith(
        "created 0, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 0, not written 12"
    )
    assert "Traceback" not in err


def test_progress_line_on_a_terminal(sandbox: Any) -> None:
    rec = Recorder(sandbox, tty=True)  # no --progress: a terminal turns it on
    rec.feed(lines(3, "Tty"))
    rec.err.wait_for("a progress line", lambda t: "\r\x1b[Kevents: read 3, written 3" in t)
    rec.stdin.close()
    exit_code, err = rec.finish()
    assert exit_code == 0, err
    # the live line is erased before the summary, which stands on a line of its own
    assert err.endswith(
        "\r\x1b[Kevents: read 3, created 3, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 0\r\n"
    )
