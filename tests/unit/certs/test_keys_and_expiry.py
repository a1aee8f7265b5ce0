"""Pure parts of kpy.certs: keys and CSRs, certificate inspection, the expiry rows and table."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from kpy.certs import expiry, keys
from kpy.certs.chain import ServerChain
from kpy.certs.inspect import CertificateParseError, parse_certificates

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "rsa-2048", "ed25519"])
def test_each_key_type_makes_a_signed_csr_with_cn_and_groups(key_type: str) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = keys.generate_key(key_type)
    csr = x509.load_pem_x509_csr(keys.build_csr(key, "alice", ("dev", "ops")))
    assert csr.is_signature_valid
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == ["alice"]
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["dev", "ops"]
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    expected = {
        "ecdsa-p256": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp256r1",
        "rsa-2048": lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048,
        "ed25519": lambda k: isinstance(k, ed25519.Ed25519PrivateKey),
    }
    assert expected[key_type](key)
    assert keys.key_pem(key).startswith(b"-----BEGIN PRIVATE KEY-----")


def test_unknown_key_type() -> None:
    with pytest.raises(
        keys.KeyTypeError, match='unknown key type "dsa": must be one of ecdsa-p256, rsa-2048, ed25519'
    ):
        keys.generate_key("dsa")


def test_ca_and_serving_certificate_like_client_go() -> None:
    ca = keys.self_signed_ca("dev-ca", NOW)
    (ca_info,) = parse_certificates(ca.cert_pem)
    assert ca_info.is_ca and ca_info.self_signed and ca_info.lifetime == dt.timedelta(days=3650)
    leaf = keys.signed_certificate(ca, "web", NOW, hosts=("localhost", "127.0.0.1"))
    (info,) = parse_certificates(leaf.cert_pem)
    assert (info.common_name, info.issuer, info.dns_names) == ("web", "CN=dev-ca", ("localhost", "127.0.0.1"))
    assert not info.is_ca


def test_unreadable_pem() -> None:
    with pytest.raises(CertificateParseError, match="no PEM certificate found"):
        parse_certificates(b"hello")


def _cert(days_left: float, cn: str = "u") -> bytes:
    ca = keys.self_signed_ca("ca", NOW - dt.timedelta(days=400))
    end = NOW + dt.timedelta(days=days_left)
    return keys.signed_certificate(
        ca, cn, NOW, client=True, server=False, not_before=NOW - dt.timedelta(days=10), not_after=end
    ).cert_pem


def test_rows_are_sorted_by_time_left_and_the_table_flags_what_expires() -> None:
    users = {
        "valid": {"client-certificate-data": _cert(200, "valid")},
        "soon": {"client-certificate-data": _cert(3, "soon")},
        "gone": {"client-certificate-data": _cert(-2, "gone")},
        "token": {"token": "x"},
        "missing": {"client-certificate": "/nonexistent/c.crt"},
    }
    contexts = {"c1": {"user": "soon", "cluster": "k"}}
    rows = expiry.sort_rows(expiry.user_rows(users, contexts))
    assert [r.name for r in rows] == ["gone", "soon", "valid", "missing"]
    text = expiry.table(rows, NOW, dt.timedelta(days=30))
    lines = text.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "SUBJECT", "EXPIRES", "LEFT", "NOTE"]
    assert lines[1].split() == [
        "client",
        "gone",
        "CN=gone",
        "2026-05-30T12:00:00Z",
        "expired",
        "2d",
        "ago",
        "EXPIRED",
    ]
    assert lines[2].split()[:5] == ["client", "soon", "CN=soon", "2026-06-04T12:00:00Z", "3d"]
    assert lines[2].endswith("expires within 30d")
    assert lines[3].split()[-1] == "200d"
    assert lines[4].split()[:5] == ["client", "missing", "<none>", "<unknown>", "<unknown>"]
    assert lines[4].endswith("cannot read /nonexistent/c.crt: no such file or directory")
    assert [r.name for r in expiry.expiring(rows, NOW, dt.timedelta(days=30))] == ["gone", "soon"]
    wide = expiry.table(rows, NOW, dt.timedelta(days=30), wide=True).splitlines()
    assert wide[0].split()[-3:] == ["ISSUER", "SOURCE", "CONTEXTS"]
    assert wide[2].split()[-3:] == ["CN=ca", "embedded", "c1"]


def test_chain_rows_report_verification_and_unreachable_servers() -> None:
    (info,) = parse_certificates(_cert(10))
    rows = expiry.chain_rows("k", ServerChain("https://x:1", (info,), verify_error="certificate has expired"))
    assert rows[0].note == "verification failed: certificate has expired"
    down = expiry.chain_rows("k", ServerChain("https://x:1", error="connection refused"))
    assert (down[0].cert, down[0].note) == (None, "unreachable: connection refused")


def test_json_never_carries_keys() -> None:
    ca = keys.self_signed_ca("ca", NOW)
    users = {"u": {"client-certificate-data": ca.cert_pem, "client-key-data": ca.key_pem}}
    text = expiry.to_json(expiry.user_rows(users, {}), NOW, dt.timedelta(days=30))
    assert "PRIVATE" not in text and base64.b64encode(ca.key_pem).decode()[:20] not in text
    assert '"secondsLeft": 315360000' in text


@pytest.mark.parametrize(
    ("seconds", "text"), [(30, "30s"), (90, "1m"), (3 * 3600, "3h"), (47 * 3600, "47h"), (49 * 3600, "2d")]
)
def test_short_duration(seconds: int, text: str) -> None:
    assert expiry.short_duration(dt.timedelta(seconds=seconds)) == text
