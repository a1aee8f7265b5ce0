"""Server certificate names as Go checks them: SANs only (a CN-only certificate is refused), and a mismatch
names the SANs and the server name asked for, in Go's words. Certificates are made here; kubectl is the oracle."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl

cryptography = pytest.importorskip("cryptography")


def _certs(tmp_path: Path, cn: str, dns: list[str], ips: list[str]) -> tuple[bytes, Path, Path]:
    """A CA (PEM) and a server certificate/key (files) with exactly the given CN and SANs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return ca.public_bytes(serialization.Encoding.PEM), cert_path, key_path


class TlsServer:
    """Accepts connections, completes (or fails) the TLS handshake, closes: enough for a certificate check."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
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
                    tls.settimeout(5)
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    servers: list[TlsServer] = []

    def start(cn: str, dns: list[str], ips: list[str], server_name: str | None = None) -> Path:
        ca, cert, key = _certs(tmp_path, cn, dns, ips)
        server = TlsServer(cert, key)
        servers.append(server)
        cluster: dict[str, Any] = {
            "server": f"https://127.0.0.1:{server.port}",
            "certificate-authority-data": __import__("base64").b64encode(ca).decode(),
        }
        if server_name:
            cluster["tls-server-name"] = server_name
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "c",
            "clusters": [{"name": "c", "cluster": cluster}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        }
        path = tmp_path / "kubeconfig"
        path.write_text(json.dumps(config))
        return path

    yield start
    for server in servers:
        server.close()


CASES = {
    "cn-only": (
        "localhost",
        [],
        [],
        "localhost",
        "x509: certificate relies on legacy Common Name field, use SANs instead",
    ),
    "wrong-name": (
        "apiserver",
        ["localhost", "kubernetes"],
        ["127.0.0.1"],
        "wrong.example.com",
        "x509: certificate is valid for localhost, kubernetes, not wrong.example.com",
    ),
    "no-ip-sans": (
        "apiserver",
        ["localhost"],
        [],
        None,
        "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    ),
    "wrong-ip": (
        "apiserver",
        ["localhost"],
        ["10.0.0.1", "::1"],
        None,
        "x509: certificate is valid for 10.0.0.1, ::1, not 127.0.0.1",
    ),
    "cn-only-other-name": (
        "other",
        [],
        [],
        "localhost",
        "x509: certificate is not valid for any names, but wanted to match localhost",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_certificate_name_errors_are_gos(serve: Any, case: str) -> None:
    cn, dns, ips, server_name, detail = CASES[case]
    config = serve(cn, dns, ips, server_name)
    expected = f"Unable to connect to the server: tls: failed to verify certificate: {detail}\n"
    ours = kpy("get", "ns", kubeconfig=config)
    assert (ours.code, ours.err) == (1, expected)
    if KUBECTL is not None:
        theirs = kubectl("get", "ns", kubeconfig=config)
        assert theirs.err.splitlines()[-1] + "\n" == expected
