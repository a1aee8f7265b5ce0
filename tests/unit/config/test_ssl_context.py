"""ClientConfig.ssl_context() against a real TLS server on loopback (certificates generated per test run)."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kpy.config import ClientConfig
from kpy.errors import ConfigError


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: str,
    *,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    client_key = ec.generate_private_key(ec.SECP256R1())
    return Pki(
        ca_pem=_cert("kpy-test-ca", ca_key, ca_key, "kpy-test-ca", ca=True),
        # only a DNS name: connecting to 127.0.0.1 verifies only with tls_server_name="kube.internal"
        server_cert=_cert("kube", server_key, ca_key, "kpy-test-ca", sans=[x509.DNSName("kube.internal")]),
        server_key=_key_pem(server_key),
        client_cert=_cert("alice", client_key, ca_key, "kpy-test-ca"),
        client_key=_key_pem(client_key),
    )


@dataclass
class Server:
    port: int
    peers: list[str]


@pytest.fixture
async def server(pki: Pki, tmp_path: Path) -> AsyncIterator[Server]:
    (tmp_path / "s.crt").write_bytes(pki.server_cert)
    (tmp_path / "s.key").write_bytes(pki.server_key)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cadata=pki.ca_pem.decode())
    ctx.load_cert_chain(tmp_path / "s.crt", tmp_path / "s.key")
    ctx.verify_mode = ssl.CERT_OPTIONAL
    peers: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert")
        peers.append(dict(x[0] for x in cert["subject"])["commonName"] if cert else "")
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    try:
        yield Server(srv.sockets[0].getsockname()[1], peers)
    finally:
        srv.close()
        await srv.wait_closed()


async def _talk(
    cfg: ClientConfig,
    port: int,
    server_hostname: str | None = None,
    client_cert: tuple[bytes, bytes] | None = None,
) -> bytes:
    ctx = cfg.ssl_context(client_cert)
    assert ctx is not None
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            "127.0.0.1", port, ssl=ctx, server_hostname=server_hostname or cfg.tls_server_name or "127.0.0.1"
        ),
        10,
    )
    data = await reader.read()
    writer.close()
    return data


def _config(port: int, **kw: object) -> ClientConfig:
    return ClientConfig(server=f"https://127.0.0.1:{port}", **kw)  # type: ignore[arg-type]


async def test_ca_data_and_tls_server_name_verify_the_server(server: Server, pki: Pki) -> None:
    cfg = _config(server.port, ca_data=pki.ca_pem, tls_server_name="kube.internal")
    assert await _talk(cfg, server.port) == b"ok"


async def test_verification_is_on_by_default(server: Server, pki: Pki) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _talk(_config(server.port), server.port, server_hostname="kube.internal")  # system roots only


async def test_hostname_is_checked_without_tls_server_name(server: Server, pki: Pki) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _talk(_config(server.port, ca_data=pki.ca_pem), server.port)


async def test_insecure_skips_verification(server: Server) -> None:
    assert await _talk(_config(server.port, insecure_skip_tls_verify=True), server.port) == b"ok"


async def test_static_client_certificate_is_presented(
    server: Server, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cfg = _config(
        server.port,
        ca_data=pki.ca_pem,
        tls_server_name="kube.internal",
        client_cert_data=pki.client_cert,
        client_key_data=pki.client_key,
    )
    assert await _talk(cfg, server.port) == b"ok"
    assert server.peers == ["alice"]
    assert list(scratch.iterdir()) == []  # the key's temp files are gone


async def test_exec_plugin_certificate_replaces_the_static_one(server: Server, pki: Pki) -> None:
    cfg = _config(server.port, ca_data=pki.ca_pem, tls_server_name="kube.internal")
    await _talk(cfg, server.port)
    await _talk(cfg, server.port, client_cert=(pki.client_cert, pki.client_key))
    assert server.peers == ["", "alice"]


def test_http_server_has_no_ssl_context(pki: Pki) -> None:
    assert ClientConfig(server="http://127.0.0.1:8080", ca_data=pki.ca_pem).ssl_context() is None


def test_garbage_ca_data_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unable to load root certificates"):
        ClientConfig(server="https://h", ca_data=b"not a pem").ssl_context()


def test_mismatched_client_key_is_a_config_error(pki: Pki) -> None:
    other = _key_pem(ec.generate_private_key(ec.SECP256R1()))
    cfg = replace(ClientConfig(server="https://h"), client_cert_data=pki.client_cert, client_key_data=other)
    with pytest.raises(ConfigError, match="failed to load client certificate/key"):
        cfg.ssl_context()


def test_tls_server_name_is_carried_for_the_rest_layer() -> None:
    assert (
        ClientConfig(server="https://1.2.3.4", tls_server_name="kube.internal").tls_server_name
        == "kube.internal"
    )
