"""Connection flags override the kubeconfig the way kubectl's do."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc

from kpy.config import ConnectionFlags, load_client_config
from kpy.config.credentials import BasicCredentials, NoCredentials, TokenCredentials, TokenFileCredentials
from kpy.config.exec_plugin import ExecCredentials
from kpy.config.loader import normalize_server
from kpy.errors import ConfigError


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


FULL = kubeconfig_doc(
    current="main",
    clusters={
        "c1": {
            "server": "https://c1.example:6443/",
            "certificate-authority-data": _b64(b"CA1"),
            "tls-server-name": "c1-name",
            "proxy-url": "socks5://proxy:1080",
        },
        "c2": {"server": "https://c2.example:6443", "insecure-skip-tls-verify": True},
    },
    contexts={
        "main": {"cluster": "c1", "user": "tok", "namespace": "ns-main"},
        "other": {"cluster": "c2", "user": "basic"},
    },
    users={
        "tok": {"token": "secret-token", "as": "admin", "as-groups": ["g1", "g2"]},
        "basic": {"username": "bob", "password": "pw"},
        "certs": {"client-certificate-data": _b64(b"CERT"), "client-key-data": _b64(b"KEY")},
        "exec": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "plug"}},
        "exec-and-cert": {
            "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "plug"},
            "client-certificate-data": _b64(b"CERT"),
            "client-key-data": _b64(b"KEY"),
        },
    },
)


@pytest.fixture
def load(write_config: WriteConfig, env: dict[str, str]) -> Any:
    path = write_config("config", FULL)

    def run(**flags: Any) -> Any:
        return load_client_config(ConnectionFlags(kubeconfig=str(path), **flags), env)

    return run


def test_defaults_from_the_current_context(load: Any) -> None:
    cfg = load()
    assert cfg.server == "https://c1.example:6443"
    assert (cfg.namespace, cfg.namespace_explicit, cfg.context_name) == ("ns-main", False, "main")
    assert cfg.ca_data == b"CA1"
    assert cfg.tls_server_name == "c1-name"
    assert cfg.proxy_url == "socks5://proxy:1080"
    assert cfg.insecure_skip_tls_verify is False
    assert (cfg.impersonate_user, cfg.impersonate_groups) == ("admin", ("g1", "g2"))
    assert isinstance(cfg.credentials, TokenCredentials)
    assert (cfg.qps, cfg.burst, cfg.request_timeout) == (5.0, 10, None)


async def test_token_credentials_send_a_bearer_header(load: Any) -> None:
    assert await load().credentials.auth_headers() == {"Authorization": "Bearer secret-token"}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            {"context": "other"},
            {
                "server": "https://c2.example:6443",
                "namespace": "default",
                "context_name": "other",
                "insecure_skip_tls_verify": True,
                "ca_data": None,
                "tls_server_name": None,
            },
        ),
        (
            {"cluster": "c2"},
            {"server": "https://c2.example:6443", "namespace": "ns-main", "context_name": "main"},
        ),
        ({"namespace": "kube-system"}, {"namespace": "kube-system", "namespace_explicit": True}),
        (
            {"server": "https://override:1"},
            {"server": "https://override:1", "tls_server_name": None, "ca_data": b"CA1"},
        ),
        ({"server": "https://override:1", "tls_server_name": "n"}, {"tls_server_name": "n"}),
        (
            {"tls_server_name": "flag-name"},
            {"tls_server_name": "flag-name", "server": "https://c1.example:6443"},
        ),
        ({"insecure_skip_tls_verify": True}, {"insecure_skip_tls_verify": True, "ca_data": None}),
        ({"as_user": "alice"}, {"impersonate_user": "alice", "impersonate_groups": ("g1", "g2")}),
        (
            {"as_user": "alice", "as_groups": ("x",)},
            {"impersonate_user": "alice", "impersonate_groups": ("x",)},
        ),
        (
            {"as_user": "alice", "as_uid": "u-1"},
            {"impersonate_user": "alice", "impersonate_uid": "u-1", "impersonate_groups": ("g1", "g2")},
        ),
        ({"qps": 50.0, "burst": 100}, {"qps": 50.0, "burst": 100}),
        ({"request_timeout": "0"}, {"request_timeout": None}),
        ({"request_timeout": "30"}, {"request_timeout": 30.0}),
        ({"request_timeout": "5s"}, {"request_timeout": 5.0}),
        ({"request_timeout": "1m"}, {"request_timeout": 60.0}),
        ({"request_timeout": "1h"}, {"request_timeout": 3600.0}),
        ({"request_timeout": "1m30s"}, {"request_timeout": 90.0}),
        ({"request_timeout": "250ms"}, {"request_timeout": 0.25}),
        ({"cache_dir": "/tmp/kpy-cache"}, {"cache_dir": Path("/tmp/kpy-cache")}),
    ],
)
def test_flag_overrides(load: Any, flags: dict[str, Any], expected: dict[str, Any]) -> None:
    cfg = load(**flags)
    assert {k: getattr(cfg, k) for k in expected} == expected


def test_certificate_authority_flag_replaces_ca_data_and_insecure(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    ca = tmp_path / "flag-ca.pem"
    ca.write_bytes(b"FLAGCA")
    path = write_config("config", FULL)
    for context in ("main", "other"):
        cfg = load_client_config(
            ConnectionFlags(kubeconfig=str(path), context=context, certificate_authority=str(ca)), env
        )
        assert (cfg.ca_data, cfg.insecure_skip_tls_verify) == (b"FLAGCA", False)


def test_insecure_and_certificate_authority_flags_together_are_refused(load: Any, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"X")
    with pytest.raises(Exception, match="root certificates file with the insecure flag"):
        load(insecure_skip_tls_verify=True, certificate_authority=str(ca))


def test_cache_dir_defaults_under_home_and_honours_kubecachedir(
    write_config: WriteConfig, env: dict[str, str]
) -> None:
    path = str(write_config("config", FULL))
    assert (
        load_client_config(ConnectionFlags(kubeconfig=path), env).cache_dir
        == Path(env["HOME"]) / ".kube/cache"
    )
    cfg = load_client_config(ConnectionFlags(kubeconfig=path), {**env, "KUBECACHEDIR": "/var/cache/k"})
    assert cfg.cache_dir == Path("/var/cache/k")


@pytest.mark.parametrize(
    ("user", "kind"),
    [
        ("tok", TokenCredentials),
        ("basic", BasicCredentials),
        ("certs", NoCredentials),
        ("exec", ExecCredentials),
        ("exec-and-cert", NoCredentials),
    ],
)
def test_user_flag_selects_the_credentials(load: Any, user: str, kind: type) -> None:
    assert type(load(user=user).credentials) is kind


def test_static_client_certificate_is_carried(load: Any) -> None:
    cfg = load(user="certs")
    assert (cfg.client_cert_data, cfg.client_key_data) == (b"CERT", b"KEY")


@pytest.mark.parametrize("user", ["tok", "exec"])
async def test_token_flag_overrides_a_token_or_an_exec_plugin(load: Any, user: str) -> None:
    cfg = load(user=user, token="flag-token")
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer flag-token"}


def test_token_flag_next_to_basic_auth_is_an_error_as_in_kubectl(load: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load(user="basic", token="flag-token")
    assert info.value.format() == (
        "error: more than one authentication method found for basic; found [token basicAuth], only one is allowed"
    )


async def test_a_token_file_wins_over_the_token_flag_while_it_can_be_read(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    """client-go keeps the user's tokenFile next to --token and sends the file's token; --token is the
    fallback when the file cannot be read."""
    (tmp_path / "tok").write_text("file-token\n")
    doc = kubeconfig_doc(
        current="x",
        clusters={"c": {"server": "https://h"}},
        contexts={"x": {"cluster": "c", "user": "u"}},
        users={"u": {"tokenFile": "tok"}},
    )
    path = write_config("config", doc)
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(path)), env)
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer file-token"}
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(path), token="flag"), env)
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer file-token"}
    (tmp_path / "tok").unlink()
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(path), token="flag"), env)
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer flag"}


async def test_token_file_wins_over_token_in_the_same_user(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "tok").write_text("from-file")
    doc = kubeconfig_doc(
        current="x",
        clusters={"c": {"server": "https://h"}},
        contexts={"x": {"cluster": "c", "user": "u"}},
        users={"u": {"token": "inline", "tokenFile": "tok"}},
    )
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(write_config("config", doc))), env)
    assert isinstance(cfg.credentials, TokenFileCredentials)
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer from-file"}


async def test_basic_auth_header(load: Any) -> None:
    headers = await load(context="other").credentials.auth_headers()
    assert headers == {"Authorization": "Basic " + base64.b64encode(b"bob:pw").decode()}


def test_client_certificate_flags_replace_the_users_certificate(load: Any, tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_bytes(b"FLAGCERT")
    (tmp_path / "k.pem").write_bytes(b"FLAGKEY")
    cfg = load(user="certs", client_certificate=str(tmp_path / "c.pem"), client_key=str(tmp_path / "k.pem"))
    assert (cfg.client_cert_data, cfg.client_key_data) == (b"FLAGCERT", b"FLAGKEY")


def test_client_certificate_flags_alone_give_certificate_auth(load: Any, tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_bytes(b"C")
    (tmp_path / "k.pem").write_bytes(b"K")
    cfg = load(
        context="other",
        user="certs",
        client_certificate=str(tmp_path / "c.pem"),
        client_key=str(tmp_path / "k.pem"),
    )
    assert (cfg.client_cert_data, cfg.client_key_data) == (b"C", b"K")


async def test_plain_http_servers_get_no_credentials_but_keep_impersonation(load: Any) -> None:
    cfg = load(server="http://127.0.0.1:8080", user="certs", as_user="alice")
    assert isinstance(cfg.credentials, NoCredentials)
    assert cfg.client_cert_data is None
    assert cfg.impersonation_headers == {"Impersonate-User": "alice"}
    assert cfg.ssl_context() is None
    cfg = load(server="http://127.0.0.1:8080", token="t")
    assert await cfg.credentials.auth_headers() == {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://h:6443/", "https://h:6443"),
        ("127.0.0.1:6443", "http://127.0.0.1:6443"),
        ("https://h/prefix/", "https://h/prefix"),
        ("https://[::1]:6443", "https://[::1]:6443"),
        ("localhost", "http://localhost"),
    ],
)
def test_server_normalisation(given: str, expected: str) -> None:
    assert normalize_server(given) == expected


def test_server_flag_works_without_any_kubeconfig(env: dict[str, str]) -> None:
    cfg = load_client_config(ConnectionFlags(server="https://10.1.1.1:6443", token="t"), env)
    assert (cfg.server, cfg.namespace, cfg.context_name) == ("https://10.1.1.1:6443", "default", None)
    assert isinstance(cfg.credentials, TokenCredentials)


def test_repr_never_shows_secrets(load: Any) -> None:
    text = repr(load()) + repr(load(context="other")) + repr(load(user="certs"))
    assert "secret-token" not in text and "pw" not in text and "KEY" not in text


def test_kubeconfig_uid_and_extra_become_impersonation_headers(
    write_config: WriteConfig, env: dict[str, str]
) -> None:
    """client-go's impersonating round tripper: one Impersonate-Extra-KEY header per value, the key escaped
    (non-token bytes and % as %XX) and the name canonical as Go's http.Header writes it."""
    doc = kubeconfig_doc(
        current="c",
        clusters={"k": {"server": "https://k.example:6443"}},
        contexts={"c": {"cluster": "k", "user": "imp"}},
        users={
            "imp": {
                "token": "t",
                "as": "alice",
                "as-uid": "uid-7",
                "as-groups": ["dev"],
                "as-user-extra": {"scopes": ["read", "write"], "team/x y%": ["t"]},
            }
        },
    )
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(write_config("config", doc))), env)
    assert cfg.impersonation_headers == {
        "Impersonate-User": "alice",
        "Impersonate-Uid": "uid-7",
        "Impersonate-Group": ["dev"],
        "Impersonate-Extra-Scopes": ["read", "write"],
        "Impersonate-Extra-Team%2fx%20y%25": ["t"],
    }
    flagged = load_client_config(
        ConnectionFlags(kubeconfig=str(write_config("config", doc)), as_uid="from-flag"), env
    )
    assert flagged.impersonation_headers["Impersonate-Uid"] == "from-flag"
