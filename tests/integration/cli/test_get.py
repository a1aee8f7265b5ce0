"""`kpy get` against the emulator, with the real kubectl as the oracle for output where it is installed."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, Api, kpy, kubectl, pod

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; it is the oracle here")


def test_default_table_lists_the_sandbox_pods(sandbox: Any) -> None:
    res = kpy("get", "pods", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    names = {line.split()[0] for line in lines[1:]}
    assert {"web", "worker"} <= names
    web = next(line.split() for line in lines[1:] if line.startswith("web "))
    assert web[1:4] == ["1/1", "Running", "0"]


def test_wide_table_adds_the_priority_columns(sandbox: Any) -> None:
    res = kpy("get", "pods", "-o", "wide", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    assert res.out.splitlines()[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]


@needs_kubectl
@pytest.mark.parametrize("output", ["json", "yaml", "name"])
def test_structured_output_is_byte_identical_to_kubectl(sandbox: Any, output: str) -> None:
    mine = kpy("get", "pods", "-o", output, kubeconfig=sandbox.kubeconfig_path)
    theirs = kubectl("get", "pods", "-o", output, kubeconfig=sandbox.kubeconfig_path)
    assert mine.code == theirs.code == 0, (mine.err, theirs.err)
    assert mine.out == theirs.out


@needs_kubectl
def test_single_object_yaml_is_byte_identical_to_kubectl(sandbox: Any) -> None:
    mine = kpy("get", "pod", "web", "-o", "yaml", kubeconfig=sandbox.kubeconfig_path)
    theirs = kubectl("get", "pod", "web", "-o", "yaml", kubeconfig=sandbox.kubeconfig_path)
    assert (mine.code, mine.out) == (theirs.code, theirs.out)


_AGE_CELL = re.compile(r"(?:\d+[smhdy])+")


@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["services"],
        ["deployments", "-o", "wide"],
        ["svc,deploy"],
        ["nodes"],
        ["namespaces", "--no-headers"],
        ["pods", "-A", "-o", "wide"],
        ["pods", "-l", "app=web"],
        ["pods", "--field-selector", "metadata.name=worker"],
        ["pods", "--show-labels"],
        ["pods", "-L", "app"],
    ],
)
def test_tables_match_kubectl_apart_from_age(sandbox: Any, args: list[str]) -> None:
    mine = kpy("get", *args, kubeconfig=sandbox.kubeconfig_path)
    theirs = kubectl("get", *args, kubeconfig=sandbox.kubeconfig_path)
    assert (mine.code, mine.err) == (theirs.code, theirs.err)

    def strip_age(text: str) -> list[list[str]]:
        # AGE can tick between the two runs (59s -> 60s, 9m59s -> 10m); compare every other cell.
        return [[c for c in line.split() if not _AGE_CELL.fullmatch(c)] for line in text.splitlines()]

    assert strip_age(mine.out) == strip_age(theirs.out)


def test_label_selector_filters(sandbox: Any) -> None:
    res = kpy("get", "pods", "-l", "app=web", "-o", "name", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    assert "pod/web" in res.out.split()
    assert "pod/worker" not in res.out.split()


def test_field_selector_filters(sandbox: Any) -> None:
    res = kpy(
        "get",
        "pods",
        "--field-selector",
        "metadata.name=worker",
        "-o",
        "name",
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert (res.code, res.out) == (0, "pod/worker\n")


def test_small_chunks_still_return_every_object(sandbox: Any, api: Api) -> None:
    for i in range(7):
        api.call("POST", "/api/v1/namespaces", {"metadata": {"name": f"chunk-{i}"}})
    res = kpy("get", "namespaces", "--chunk-size", "2", "-o", "name", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    assert {f"namespace/chunk-{i}" for i in range(7)} <= set(res.out.split())
    assert len(res.out.split()) == len(set(res.out.split()))


def test_not_found_is_kubectls_one_line(sandbox: Any) -> None:
    res = kpy("get", "pod", "nope", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert res.err == 'Error from server (NotFound): pods "nope" not found\n'


def test_unknown_resource_type_is_kubectls_one_line(sandbox: Any) -> None:
    res = kpy("get", "flurbs", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert res.err == 'error: the server doesn\'t have a resource type "flurbs"\n'


def test_empty_namespace_says_no_resources_found(sandbox: Any, api: Api) -> None:
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "empty"}})
    res = kpy("get", "pods", "-n", "empty", kubeconfig=sandbox.kubeconfig_path)
    assert (res.code, res.out, res.err) == (0, "", "No resources found in empty namespace.\n")


def test_unreachable_server_is_one_line(sandbox: Any) -> None:
    res = kpy(
        "get",
        "pods",
        "-s",
        "https://127.0.0.1:1",
        "--insecure-skip-tls-verify",
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert res.code == 1
    assert res.err.strip() == (
        "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"
    )


@pytest.mark.parametrize("watch", [[], ["-w", "--max-retry-time", "1s"]])
def test_a_server_that_closes_every_connection_is_one_line_in_gos_words(
    sandbox: Any, watch: list[str]
) -> None:
    """Accepted, then closed during the TLS handshake: Go's words (EOF, or a reset), never OpenSSL's or Python's
    (the one-shot transport and the aiohttp path of a watch)."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def close_all() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=close_all, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        res = kpy(
            *["get", "pods", "-s", f"https://127.0.0.1:{port}", "--insecure-skip-tls-verify", *watch],
            kubeconfig=sandbox.kubeconfig_path,
            timeout=60,
        )
    finally:
        stop.set()
        thread.join(10)
        listener.close()
    assert res.code == 1
    last = res.err.strip().splitlines()[-1]
    # EOF when the close comes before kpy's ClientHello; a reset when the ClientHello was already there unread
    assert last.startswith("Unable to connect to the server: "), res.err
    assert last.endswith(("EOF", "connection reset by peer")), res.err
    assert "SSL" not in res.err and "_ssl" not in res.err and "Traceback" not in res.err


def test_untrusted_certificate_fails_closed(sandbox: Any, tmp_path: Any) -> None:
    # Same server, but no CA: TLS verification is on by default, so this must fail.
    res = kpy(
        "get",
        "pods",
        "-s",
        sandbox.emulator.url,
        "--token",
        sandbox.emulator.token,
        "--kubeconfig",
        str(tmp_path / "missing"),
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert res.code == 1
    assert "Traceback" not in res.err
    assert res.err.count("\n") == 1


def test_bad_token_is_unauthorized(sandbox: Any) -> None:
    res = kpy("get", "pods", "--token", "wrong", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert res.err.startswith("error: You must be logged in to the server (Unauthorized)")
    assert "wrong" not in res.err


def test_verbose_logging_never_shows_the_token(sandbox: Any) -> None:
    res = kpy("get", "pods", "-v", "9", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0
    assert sandbox.emulator.token not in res.err + res.out
    assert "GET https://" in res.err


def _read_until(proc: subprocess.Popen[str], predicate: Any, timeout: float = 20) -> list[str]:
    """Read stdout lines until predicate(lines) holds; fail after timeout (no sleeps)."""
    # Read the raw descriptor: select() on a buffered text stream can miss lines already in its buffer.
    import time

    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending = _PENDING.setdefault(fd, bytearray())
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            lines.append(line.decode())
        if predicate(lines):
            return lines
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {lines!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"kpy exited early; got {lines!r}"
            pending += chunk


_PENDING: dict[int, bytearray] = {}


def test_watch_survives_dropped_connections_without_repeats(sandbox: Any, api: Api) -> None:
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "watched"}})
    api.call("POST", "/api/v1/namespaces/watched/pods", pod("first", "watched"))
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path)}
    proc = subprocess.Popen(
        [KPY, "get", "pods", "-n", "watched", "-w", "-o", "name"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = _read_until(proc, lambda ls: "pod/first" in ls)
        # The watch is established after the list; wait for the emulator to see it, then drop it.
        sandbox.call(sandbox.emulator.faults.drop_watches)
        api.call("POST", "/api/v1/namespaces/watched/pods", pod("second", "watched"))
        lines += _read_until(proc, lambda ls: "pod/second" in ls)
        sandbox.call(sandbox.emulator.faults.drop_watches)
        api.call("POST", "/api/v1/namespaces/watched/pods", pod("third", "watched"))
        lines += _read_until(proc, lambda ls: "pod/third" in ls)
        assert lines.count("pod/first") == 1
        assert lines.count("pod/second") == 1
    finally:
        proc.terminate()
        proc.wait(10)


def test_local_files_print_without_a_server(tmp_path: Any) -> None:
    items = [pod("a"), pod("b")]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    res = kpy("get", "-f", str(path), "--local", "-o", "name", kubeconfig=tmp_path / "none")
    assert (res.code, res.out) == (0, "pod/a\npod/b\n")


def test_local_reads_stdin_yaml_documents(tmp_path: Any) -> None:
    docs = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n"
    res = kpy("get", "-f", "-", "--local", "-o", "name", kubeconfig=tmp_path / "none", stdin=docs)
    assert (res.code, res.out) == (0, "pod/a\npod/b\n")
