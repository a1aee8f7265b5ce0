"""In-cluster configuration, token-file re-reads, request timeouts and header redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.config.kcfg import WriteConfig, simple_config

from kpy.config import ConnectionFlags, InClusterPaths, load_client_config, redact_headers
from kpy.config.credentials import TokenCredentials, TokenFileCredentials
from kpy.config.duration import parse_go_duration, parse_request_timeout

SERVICE_ENV = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}


@pytest.fixture
def sa(tmp_path: Path) -> InClusterPaths:
    paths = InClusterPaths.under(tmp_path / "serviceaccount")
    paths.token.parent.mkdir()
    paths.token.write_text("sa-token-1\n")
    paths.ca.write_bytes(b"SA-CA")
    paths.namespace.write_text("team-a\n")
    return paths


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_in_cluster_config_when_no_kubeconfig(env: dict[str, str], sa: InClusterPaths) -> None:
    cfg = load_client_config(ConnectionFlags(), {**env, **SERVICE_ENV}, in_cluster=sa)
    assert cfg.server == "https://10.96.0.1:443"
    assert (cfg.namespace, cfg.namespace_explicit, cfg.context_name) == ("team-a", False, None)
    assert cfg.ca_data == b"SA-CA"
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer sa-token-1"}


async def test_in_cluster_token_is_reread_at_least_every_minute(
    env: dict[str, str], sa: InClusterPaths
) -> None:
    clock = Clock()
    cfg = load_client_config(ConnectionFlags(), {**env, **SERVICE_ENV}, in_cluster=sa, clock=clock)
    sa.token.write_text("sa-token-2")
    clock.now += 59
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer sa-token-1"}
    clock.now += 1
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer sa-token-2"}


async def test_token_file_is_reread_at_once_after_invalidate(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one")
    creds = TokenFileCredentials(str(token), clock=Clock())
    assert await creds.auth_headers() == {"Authorization": "Bearer one"}
    token.write_text("two")
    assert await creds.auth_headers() == {"Authorization": "Bearer one"}
    creds.invalidate()
    assert await creds.auth_headers() == {"Authorization": "Bearer two"}


async def test_token_file_keeps_the_last_token_when_a_reread_fails(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("kept")
    clock = Clock()
    creds = TokenFileCredentials(str(token), clock=clock)
    await creds.auth_headers()
    token.unlink()
    clock.now += 120
    assert await creds.auth_headers() == {"Authorization": "Bearer kept"}


@pytest.mark.parametrize(
    ("extra_env", "flags", "expected"),
    [
        ({"POD_NAMESPACE": "from-env"}, {}, "from-env"),
        ({"POD_NAMESPACE": "from-env"}, {"namespace": "flag"}, "flag"),
        ({}, {}, "team-a"),
    ],
)
def test_in_cluster_namespace_precedence(
    env: dict[str, str], sa: InClusterPaths, extra_env: dict[str, str], flags: dict[str, str], expected: str
) -> None:
    cfg = load_client_config(ConnectionFlags(**flags), {**env, **SERVICE_ENV, **extra_env}, in_cluster=sa)
    assert cfg.namespace == expected


def test_in_cluster_namespace_defaults_to_default(env: dict[str, str], sa: InClusterPaths) -> None:
    sa.namespace.unlink()
    assert load_client_config(ConnectionFlags(), {**env, **SERVICE_ENV}, in_cluster=sa).namespace == "default"


def test_in_cluster_without_ca_file_uses_the_system_roots(env: dict[str, str], sa: InClusterPaths) -> None:
    sa.ca.unlink()
    assert load_client_config(ConnectionFlags(), {**env, **SERVICE_ENV}, in_cluster=sa).ca_data is None


async def test_in_cluster_overrides(env: dict[str, str], sa: InClusterPaths, tmp_path: Path) -> None:
    (tmp_path / "ca").write_bytes(b"FLAG-CA")
    flags = ConnectionFlags(
        server="https://api:6443", token="flag-token", certificate_authority=str(tmp_path / "ca")
    )
    cfg = load_client_config(flags, {**env, **SERVICE_ENV}, in_cluster=sa)
    assert (cfg.server, cfg.ca_data) == ("https://api:6443", b"FLAG-CA")
    assert isinstance(cfg.credentials, TokenCredentials)


def test_ipv6_service_host(env: dict[str, str], sa: InClusterPaths) -> None:
    environ = {**env, "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    assert load_client_config(ConnectionFlags(), environ, in_cluster=sa).server == "https://[fd00::1]:443"


@pytest.mark.parametrize("missing", ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "token"])
def test_in_cluster_needs_both_variables_and_the_token(
    env: dict[str, str], sa: InClusterPaths, missing: str
) -> None:
    environ = {**env, **SERVICE_ENV}
    if missing == "token":
        sa.token.unlink()
    else:
        del environ[missing]
    # kubectl then goes to its default server (and fails there: "The connection to the server localhost:8080
    # was refused - did you specify the right host or port?")
    assert load_client_config(ConnectionFlags(), environ, in_cluster=sa).server == "http://localhost:8080"


def test_a_kubeconfig_with_a_server_wins_over_in_cluster(
    write_config: WriteConfig, env: dict[str, str], sa: InClusterPaths
) -> None:
    path = write_config("config", simple_config("https://from-file:1"))
    cfg = load_client_config(
        ConnectionFlags(), {**env, **SERVICE_ENV, "KUBECONFIG": str(path)}, in_cluster=sa
    )
    assert cfg.server == "https://from-file:1"


def test_a_kubeconfig_without_a_context_falls_back_to_in_cluster(
    write_config: WriteConfig, env: dict[str, str], sa: InClusterPaths
) -> None:
    path = write_config("config", clusters={"c": {"server": "https://unused"}})
    cfg = load_client_config(
        ConnectionFlags(), {**env, **SERVICE_ENV, "KUBECONFIG": str(path)}, in_cluster=sa
    )
    assert cfg.server == "https://10.96.0.1:443"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("0", None),
        ("0s", None),
        ("30", 30.0),
        ("5s", 5.0),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("300ms", 0.3),
        ("2us", 2e-6),
        (" 7 ", 7.0),
    ],
)
def test_request_timeout_values(value: str | None, seconds: float | None) -> None:
    result = parse_request_timeout(value)
    assert result == pytest.approx(seconds) if seconds is not None else result is None


def test_go_duration_accepts_a_sign() -> None:
    assert parse_go_duration("-2m") == -120.0
    assert parse_go_duration("+1s") == 1.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer abc.def"}, {"Authorization": "Bearer <masked>"}),
        ({"authorization": "Basic Ym9iOnB3"}, {"authorization": "Basic <masked>"}),
        ({"Authorization": "Token xyz"}, {"Authorization": "<masked>"}),
        ({"Authorization": "Bearer"}, {"Authorization": "Bearer"}),
        ({"Proxy-Authorization": "Basic abc"}, {"Proxy-Authorization": "Basic <masked>"}),
        (
            {"Accept": "application/json", "Impersonate-User": "bob"},
            {"Accept": "application/json", "Impersonate-User": "bob"},
        ),
    ],
)
def test_redact_headers(headers: dict[str, str], expected: dict[str, str]) -> None:
    assert redact_headers(headers) == expected


def test_redact_headers_accepts_pairs_and_does_not_modify_the_input() -> None:
    original = {"Authorization": "Bearer s3cret"}
    assert redact_headers(list(original.items())) == {"Authorization": "Bearer <masked>"}
    assert original == {"Authorization": "Bearer s3cret"}
