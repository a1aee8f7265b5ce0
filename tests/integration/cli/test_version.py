"""`kpy version`: kubectl's layout for kpy's version, and the server's as the server sent it."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl

from kpy import __version__

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")


def test_prints_client_and_server_version_lines(sandbox: Any) -> None:
    res = kpy("version", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    assert res.out == f"Client Version: v{__version__}\nServer Version: v1.32.0+kpy\n"
    assert res.err == ""  # same minor as the release kpy mirrors: no skew warning


def test_json_layout_is_kubectls(sandbox: Any) -> None:
    res = kpy("version", "-o", "json", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    info = json.loads(res.out)
    assert list(info) == ["clientVersion", "serverVersion"]
    client = info["clientVersion"]
    assert list(client)[:6] == ["major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate"]
    assert client["gitVersion"] == f"v{__version__}"
    assert client["platform"].count("/") == 1


@needs_kubectl
def test_server_version_is_printed_byte_for_byte_as_kubectl_prints_it(sandbox: Any) -> None:
    for fmt in ("json", "yaml"):
        ours = kpy("version", "-o", fmt, kubeconfig=sandbox.kubeconfig_path)
        theirs = kubectl("version", "-o", fmt, kubeconfig=sandbox.kubeconfig_path)
        assert ours.code == theirs.code == 0, (ours.err, theirs.err)
        marker = '  "serverVersion"' if fmt == "json" else "serverVersion:"
        assert ours.out[ours.out.index(marker) :] == theirs.out[theirs.out.index(marker) :]


@needs_kubectl
def test_version_skew_warning_is_kubectls(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpy.testing import discovery

    original = discovery.version_info()
    newer = {**original, "minor": "36", "gitVersion": "v1.36.2"}
    monkeypatch.setattr(discovery, "version_info", lambda: newer)
    ours = kpy("version", kubeconfig=sandbox.kubeconfig_path)
    theirs = kubectl("version", kubeconfig=sandbox.kubeconfig_path)
    assert ours.code == theirs.code == 0
    assert ours.out.splitlines()[-1] == "Server Version: v1.36.2"
    assert (
        ours.err
        == theirs.err
        == (
            "WARNING: version difference between client (1.32) and server (1.36) exceeds the supported minor "
            "version skew of +/-1\n"
        )
    )


def test_client_only_needs_no_server(tmp_path: Path) -> None:
    res = kpy("version", "--client", "-o", "json", kubeconfig=tmp_path / "missing")
    assert res.code == 0, res.err
    assert list(json.loads(res.out)) == ["clientVersion"]


def test_bad_output_format_is_kubectls_error(tmp_path: Path) -> None:
    res = kpy("version", "--client", "-o", "wide", kubeconfig=tmp_path / "missing")
    assert (res.code, res.out, res.err) == (1, "", "error: --output must be 'yaml' or 'json'\n")


def test_unreachable_server_prints_client_version_then_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = kpy(
        "version",
        "-s",
        f"https://127.0.0.1:{port}",
        "--insecure-skip-tls-verify",
        kubeconfig=tmp_path / "missing",
    )
    assert res.code == 1
    assert res.out == f"Client Version: v{__version__}\n"
    assert res.err.count("\n") == 1 and "refused" in res.err
    assert "Traceback" not in res.err
