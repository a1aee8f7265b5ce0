"""``kpy certs`` as users run it (a subprocess), against the emulator, kubectl as the other side."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import socket
import ssl
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.integration.clihelpers import KPY, KUBECTL, Result, kpy, kubectl

from kpy.certs import keys
from kpy.certs.inspect import parse_certificates

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as thread:
        yield thread


def _env(tmp: Path) -> dict[str, str]:
    return {"HOME": str(tmp)}


@pytest.fixture
def run_kpy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., Result]:
    """``kpy ARGS`` in this process (the CLI's real entry point, without a process start-up per call), in
    ``tmp_path`` with HOME there."""
    from kpy.cli.main import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_COLOR", "1")

    def call(*args: str, kubeconfig: Path | str) -> Result:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


def test_user_writes_a_0600_kubeconfig_that_kubectl_uses(emu: Any, tmp_path: Path) -> None:
    em = emu.emulator
    res = kpy("certs", "user", "alice", "--group", "dev", "--approve", kubeconfig=em.kubeconfig_path,
              cwd=tmp_path, env=_env(tmp_path))  # fmt: skip
    assert res.code == 0, res.err
    written = tmp_path / "alice.kubeconfig"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    assert res.out.splitlines()[0] == "certificatesigningrequest.certificates.k8s.io/alice approved"
    assert (
        res.out.splitlines()[-1]
        == 'verified: the server sees user "alice" (groups: dev, system:authenticated)'
    )
    assert "PRIVATE KEY" not in res.out + res.err
    if KUBECTL is not None:
        who = kubectl("auth", "whoami", kubeconfig=written)
        assert who.out.split()[:4] == ["ATTRIBUTE", "VALUE", "Username", "alice"], who.err
        assert "[dev system:authenticated]" in who.out
        csr = kubectl("get", "csr", "alice", kubeconfig=em.kubeconfig_path)
        assert csr.out.split()[-1] == "Approved,Issued"
    pods = kpy("get", "pods", kubeconfig=written)
    assert pods.code == 1 and 'User "alice" cannot list resource "pods"' in pods.err


@pytest.mark.skipif(KUBECTL is None, reason="kubectl approves here")
def test_without_approve_it_waits_for_kubectl_certificate_approve(emu: Any, tmp_path: Path) -> None:
    em = emu.emulator
    env = {**os.environ, "KUBECONFIG": str(em.kubeconfig_path), "HOME": str(tmp_path), "NO_COLOR": "1"}
    proc = subprocess.Popen([KPY, "certs", "user", "bob", "--wait", "60s"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line == "waiting for an administrator to run: kubectl certificate approve bob\n"
    approve = kubectl("certificate", "approve", "bob", kubeconfig=em.kubeconfig_path)
    assert approve.code == 0, approve.err
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert 'kubeconfig "bob.kubeconfig" written for user "bob"' in out


def test_a_signer_that_never_issues_and_a_denied_request(emu: Any, tmp_path: Path, run_kpy: Any) -> None:
    em = emu.emulator
    em.signers.set("example.com/never", "never")
    em.signers.set("example.com/deny", "deny", "NotAllowed", "no kubeconfigs on Fridays")
    res = run_kpy("certs", "user", "carol", "--signer", "example.com/never", "--approve", "--wait", "1s",
                  kubeconfig=em.kubeconfig_path)  # fmt: skip
    assert (res.code, res.err) == (
        1,
        'error: timed out after 1s waiting for signer "example.com/never" to issue certificate signing request '
        '"carol": it is approved, but nothing issued a certificate (this signer is not running on the cluster; '
        "EKS-style clusters do not sign client certificates)\n",
    )
    res = run_kpy(
        "certs", "user", "dan", "--signer", "example.com/deny", "--approve", kubeconfig=em.kubeconfig_path
    )
    assert (res.code, res.err) == (
        1,
        'error: certificate signing request "dan" was denied (NotAllowed: no kubeconfigs on Fridays)\n',
    )
    assert not (tmp_path / "dan.kubeconfig").exists()


def test_shortened_expiration_is_a_warning(emu: Any, run_kpy: Any) -> None:
    em = emu.emulator
    em.signers.max_duration = dt.timedelta(hours=2)
    try:
        res = run_kpy("certs", "user", "erin", "--approve", "-o", "json", kubeconfig=em.kubeconfig_path)
    finally:
        em.signers.max_duration = dt.timedelta(days=365)
    assert res.code == 0, res.err
    assert (
        res.err
        == "Warning: the signer issued a certificate valid for 2h5m, 21h55m less than the 24h requested\n"
    )
    doc = json.loads(res.out)
    assert (doc["shortenedBySeconds"], doc["requestedSeconds"], doc["user"]) == (
        21 * 3600 + 55 * 60,
        86400,
        "erin",
    )


# ---------------------------------------------------------------------------------------------------------
# kpy certs check


class _TlsServer:
    """A TLS server presenting ``cert`` (accepts and closes connections) on 127.0.0.1, port 0."""

    def __init__(self, cert: keys.Issued, tmp: Path) -> None:
        (tmp / "srv.crt").write_bytes(cert.cert_pem)
        (tmp / "srv.key").write_bytes(cert.key_pem)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(tmp / "srv.crt", tmp / "srv.key")
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    def close(self) -> None:
        self.sock.close()


def test_check_sorts_by_time_left_reports_servers_and_fails_within(tmp_path: Path, run_kpy: Any) -> None:
    ca = keys.self_signed_ca("test-ca", NOW - dt.timedelta(days=30))

    def client(cn: str, days: float) -> str:
        cert = keys.signed_certificate(ca, cn, NOW, server=False, client=True,
                                       not_before=NOW - dt.timedelta(days=20), not_after=NOW + dt.timedelta(days=days))  # fmt: skip
        return base64.b64encode(cert.cert_pem).decode()

    expired_leaf = keys.signed_certificate(ca, "old-apiserver", NOW, hosts=("127.0.0.1",),
                                           not_before=NOW - dt.timedelta(days=20), not_after=NOW - dt.timedelta(days=2))  # fmt: skip
    server = _TlsServer(expired_leaf, tmp_path)
    refused = socket.socket()  # bound, never listening: connections are refused while the test holds it
    refused.bind(("127.0.0.1", 0))
    (tmp_path / "soon.crt").write_text(base64.b64decode(client("soon", 5)).decode())
    ca_b64 = base64.b64encode(ca.cert_pem).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "old", "cluster": {"server": f"https://127.0.0.1:{server.port}", "certificate-authority-data": ca_b64}},
            {"name": "down", "cluster": {"server": f"https://127.0.0.1:{refused.getsockname()[1]}"}},
        ],
        "users": [
            {"name": "valid", "user": {"client-certificate-data": client("valid", 300)}},
            {"name": "soon", "user": {"client-certificate": "soon.crt"}},
            {"name": "gone", "user": {"client-certificate-data": client("gone", -1)}},
            {"name": "token", "user": {"token": "secret-token-value"}},
        ],
        "contexts": [{"name": "c", "context": {"cluster": "old", "user": "soon"}}],
        "current-context": "c",
    }  # fmt: skip
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    try:
        res = run_kpy("certs", "check", kubeconfig=path)
        wide = run_kpy("certs", "check", "-o", "json", "--within", "1d", kubeconfig=path)
    finally:
        server.close()
        refused.close()
    assert res.code == 1, res.err
    rows = [line.split(None, 2)[:2] for line in res.out.splitlines()[1:]]
    assert rows == [["server", "old"], ["client", "gone"], ["client", "soon"], ["client", "valid"],
                    ["ca", "old"], ["server", "down"]]  # fmt: skip
    lines = res.out.splitlines()
    assert lines[1].endswith("EXPIRED; verification failed: certificate has expired")
    assert "expired 2d ago" in lines[1]
    assert lines[3].endswith("expires within 30d")
    assert lines[-1].endswith("unreachable: connection refused")
    assert "secret-token-value" not in res.out + res.err
    doc = json.loads(wide.out)
    assert wide.code == 1  # the expired ones still count with --within 1d
    assert [i["name"] for i in doc["items"] if i.get("expiresWithin")] == ["old", "gone"]


def test_ca_and_serving_write_private_files(tmp_path: Path, run_kpy: Any) -> None:
    res = run_kpy(
        "certs", "ca", "--cn", "dev-ca", "--cert", "pki/ca.crt", "--key", "pki/ca.key", kubeconfig="none"
    )
    assert res.code == 0, res.err
    res = run_kpy("certs", "serving", "--ca", "pki/ca.crt", "--ca-key", "pki/ca.key", "--host", "localhost",
                  "--host", "127.0.0.1", kubeconfig="none")  # fmt: skip
    assert res.code == 0, res.err
    for name in ("pki/ca.crt", "pki/ca.key", "server.crt", "server.key"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
    (leaf,) = parse_certificates((tmp_path / "server.crt").read_bytes())
    assert (leaf.common_name, leaf.issuer, leaf.dns_names) == (
        "localhost",
        "CN=dev-ca",
        ("localhost", "127.0.0.1"),
    )
    again = run_kpy("certs", "ca", "--cert", "pki/ca.crt", "--key", "pki/ca.key", kubeconfig="none")
    assert (again.code, again.err) == (
        1,
        'error: "pki/ca.crt" already exists: choose another path or pass --overwrite\n',
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "x", "--key-type", "dsa"], 'error: invalid --key-type "dsa": must be one of ecdsa-p256, rsa-2048, ed25519'),
        (["user", "x", "--expiration", "5m"], "error: --expiration must be at least 10m (the API's minimum)"),
        (["user", "x", "--expiration", "soon"], 'error: invalid argument "soon" for "--expiration" flag: time: invalid duration "soon"'),
        (["user", "x", "--bind", "role/reader"], 'error: invalid --bind "role/reader": a Role lives in a namespace: role/NAME:NAMESPACE'),
        (["user", "a/b"], 'error: invalid NAME "a/b": it names the CSR, which may not be "." or ".." or contain "/" or "%"'),
        (["user", "x", "-o", "yaml"], "error: --output must be 'json', not 'yaml'"),
        (["check", "-o", "name"], "error: --output must be 'wide' or 'json', not 'name'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(run_kpy: Any, args: list[str], message: str) -> None:
    res = run_kpy("certs", *args, kubeconfig="none")
    assert (res.code, res.err.splitlines()[0]) == (1, message)
    assert "Traceback" not in res.err and not res.out
