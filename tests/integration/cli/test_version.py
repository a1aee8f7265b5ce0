"""`kpy version`: kpy's version, and the server's when one is reachable (like `kubectl version`)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from tests.integration.clihelpers import kpy, kubectl

from kpy import __version__


def test_prints_kpy_and_server_version(sandbox: Any) -> None:
    res = kpy("version", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == f"kpy Version: {__version__}"
    assert lines[1].startswith("Server Version: v1.")


def test_json_output_has_the_same_server_version_kubectl_reads(sandbox: Any) -> None:
    res = kpy("version", "-o", "json", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    info = json.loads(res.out)
    assert info["clientVersion"]["kpyVersion"] == __version__
    theirs = kubectl("version", "-o", "json", kubeconfig=sandbox.kubeconfig_path)
    if theirs.code == 0:  # kubectl is installed
        assert info["serverVersion"] == json.loads(theirs.out)["serverVersion"]


def test_client_only_needs_no_server(tmp_path: Path) -> None:
    res = kpy("version", "--client", "-o", "json", kubeconfig=tmp_path / "missing")
    assert res.code == 0, res.err
    assert json.loads(res.out) == {"clientVersion": {"kpyVersion": __version__}}


def test_unreachable_server_prints_kpy_version_then_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = kpy("version", "-s", f"https://127.0.0.1:{port}", "--insecure-skip-tls-verify",
              kubeconfig=tmp_path / "missing")
    assert res.code == 1
    assert res.out == f"kpy Version: {__version__}\n"
    assert res.err.count("\n") == 1 and "refused" in res.err
    assert "Traceback" not in res.err
