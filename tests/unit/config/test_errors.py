"""Every configuration error, worded as kubectl words it (one line, ``error: ...`` unless noted)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc

from kpy.config import ConnectionFlags, InvalidConfiguration, load_client_config
from kpy.config.duration import INVALID_TIMEOUT
from kpy.errors import ConfigError, KpyError, UsageError


def _doc(
    user: dict[str, Any] | None = None,
    cluster: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    current: str = "ctx",
) -> dict[str, Any]:
    return kubeconfig_doc(
        current=current,
        clusters={"c": {"server": "https://10.0.0.1:6443", **(cluster or {})}},
        contexts={"ctx": {"cluster": "c", "user": "u", **(context or {})}},
        users={"u": user if user is not None else {"token": "t"}},
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "unknown --context",
        _doc(),
        {"context": "foo"},
        "Error in configuration: context was not found for specified context: foo",
    ),
    (
        "dangling current-context",
        _doc(current="gone"),
        {},
        "Error in configuration: context was not found for specified context: gone",
    ),
    ("unknown --user", _doc(), {"user": "zz"}, 'error: auth info "zz" does not exist'),
    ("unknown --cluster", _doc(), {"cluster": "zz"}, 'error: no server found for cluster "zz"'),
    (
        "token and basic auth",
        _doc(user={"token": "t", "username": "bob", "password": "pw"}),
        {},
        "error: more than one authentication method found for u; found [token basicAuth], only one is allowed",
    ),
    (
        "groups without user",
        _doc(),
        {"as_groups": ("g",)},
        "error: requesting uid, groups or user-extra for u without impersonating a user",
    ),
    (
        "uid without user",
        _doc(),
        {"as_uid": "u-1"},
        "error: requesting uid, groups or user-extra for u without impersonating a user",
    ),
    (
        "ca file and data",
        _doc(cluster={"certificate-authority": "/x/ca", "certificate-authority-data": _b64(b"x")}),
        {},
        "Error in configuration: certificate-authority-data and certificate-authority are both specified for c. "
        "certificate-authority-data will override.; unable to read certificate-authority /x/ca for c due to "
        "open /x/ca: no such file or directory",
    ),
    (
        "insecure with ca data",
        _doc(cluster={"insecure-skip-tls-verify": True, "certificate-authority-data": _b64(b"x")}),
        {},
        "error: specifying a root certificates file with the insecure flag is not allowed",
    ),
    (
        "cert without key",
        _doc(user={"client-certificate-data": _b64(b"c")}),
        {},
        "error: client-key-data or client-key must be specified for u to use the clientCert authentication method.",
    ),
    (
        "cert file and data",
        _doc(
            user={
                "client-certificate-data": _b64(b"c"),
                "client-certificate": "/c",
                "client-key-data": _b64(b"k"),
            }
        ),
        {},
        "Error in configuration: client-cert-data and client-cert are both specified for u. client-cert-data "
        "will override.; unable to read client-cert /c for u due to open /c: no such file or directory",
    ),
    (
        "bad proxy scheme",
        _doc(cluster={"proxy-url": "ftp://proxy:21"}),
        {},
        'error: invalid \'proxy-url\' "ftp://proxy:21" for cluster "c": unsupported scheme "ftp", '
        "must be http, https, or socks5",
    ),
    (
        "exec without command",
        _doc(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1"}}),
        {},
        "error: command must be specified for u to use exec authentication plugin",
    ),
    (
        "exec v1 without interactiveMode",
        _doc(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "x"}}),
        {},
        "error: interactiveMode must be specified for u to use exec authentication plugin",
    ),
    (
        "exec bad interactiveMode",
        _doc(
            user={
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": "x",
                    "interactiveMode": "Sometimes",
                }
            }
        ),
        {},
        'error: invalid interactiveMode for u: "Sometimes"',
    ),
    (
        "exec bad apiVersion",
        _doc(user={"exec": {"apiVersion": "client.authentication.k8s.io/v2", "command": "x"}}),
        {},
        "error: interactiveMode must be specified for u to use exec authentication plugin",  # no default for v2
    ),
    (
        "exec env without name",
        _doc(
            user={
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                    "command": "x",
                    "env": [{"value": "v"}],
                }
            }
        ),
        {},
        "error: env variable name must be specified for u to use exec authentication plugin",
    ),
    # with -n kubectl skips the namespace lookup's check and meets the problem building the REST config,
    # where it does not unwrap a single problem (checked with kubectl 1.32)
    (
        "groups without user, -n given",
        _doc(),
        {"as_groups": ("g",), "namespace": "x"},
        "Error in configuration: requesting uid, groups or user-extra for u without impersonating a user",
    ),
    (
        "unknown --cluster, -n given",
        _doc(),
        {"cluster": "zz", "namespace": "x"},
        'error: cluster "zz" does not exist',
    ),
    (
        "unknown --context, -n given",
        _doc(),
        {"context": "zz", "namespace": "x"},
        'error: context "zz" does not exist',
    ),
    (
        "bad server url",
        _doc(),
        {"server": "http://[::1"},
        'error: host must be a URL or a host:port pair: "http://[::1"',
    ),
]


@pytest.mark.parametrize(("doc", "flags", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_configuration_error_message(
    write_config: WriteConfig, env: dict[str, str], doc: dict[str, Any], flags: dict[str, Any], expected: str
) -> None:
    path = write_config("config", doc)
    with pytest.raises(ConfigError) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path), **flags), env)
    assert info.value.format() == expected
    assert "\n" not in info.value.format()


PROCEEDS: list[tuple[str, dict[str, Any], str, str]] = [
    # kubectl goes on to http://localhost:8080 (and fails there: "The connection to the server localhost:8080
    # was refused - did you specify the right host or port?")
    ("cluster without server", _doc(cluster={"server": ""}), "http://localhost:8080", "none"),
    (
        "context names a missing cluster",
        _doc(context={"cluster": "missing"}),
        "http://localhost:8080",
        "none",
    ),
    (
        "no context at all",
        kubeconfig_doc(clusters={"c": {"server": "https://x"}}),
        "http://localhost:8080",
        "none",
    ),
    # a missing user means no credentials; a key without a certificate is ignored
    ("context names a missing user", _doc(context={"user": "missing"}), "https://10.0.0.1:6443", "none"),
    ("key without cert", _doc(user={"client-key-data": _b64(b"k")}), "https://10.0.0.1:6443", "none"),
]


@pytest.mark.parametrize(("doc", "server", "kind"), [c[1:] for c in PROCEEDS], ids=[c[0] for c in PROCEEDS])
def test_where_kubectl_proceeds_kpy_does_too(
    write_config: WriteConfig, env: dict[str, str], doc: dict[str, Any], server: str, kind: str
) -> None:
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(write_config("config", doc))), env)
    assert (cfg.server, getattr(cfg.credentials, "kind", None), cfg.client_key_data) == (server, kind, None)


def test_no_configuration_at_all_is_localhost_8080(env: dict[str, str]) -> None:
    cfg = load_client_config(ConnectionFlags(), env)
    assert cfg.server == "http://localhost:8080"
    assert load_client_config(ConnectionFlags(), {**env, "KUBERNETES_MASTER": "https://m:6443"}).server == (
        "https://m:6443"
    )


def test_unreadable_files_are_all_reported_in_one_line(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    doc = _doc(
        user={"client-certificate": "certs/missing.crt", "client-key": "certs/missing.key"},
        cluster={"certificate-authority": "certs/ca.crt"},
    )
    path = write_config("config", doc)
    with pytest.raises(InvalidConfiguration) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path)), env)
    d = tmp_path / "certs"
    assert info.value.errors == [
        f"unable to read client-cert {d}/missing.crt for u due to open {d}/missing.crt: no such file or directory",
        f"unable to read client-key {d}/missing.key for u due to open {d}/missing.key: no such file or directory",
        f"unable to read certificate-authority {d}/ca.crt for c due to open {d}/ca.crt: no such file or directory",
    ]
    assert str(info.value) == "invalid configuration: [" + ", ".join(info.value.errors) + "]"
    assert info.value.format() == "Error in configuration: " + "; ".join(info.value.errors)  # one line


def test_unreadable_single_ca_file(write_config: WriteConfig, env: dict[str, str], tmp_path: Path) -> None:
    path = write_config("config", _doc(cluster={"certificate-authority": "ca.crt"}))
    with pytest.raises(ConfigError) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path)), env)
    ca = tmp_path / "ca.crt"
    message = f"unable to read certificate-authority {ca} for c due to open {ca}: no such file or directory"
    assert str(info.value) == f"invalid configuration: {message}"
    assert info.value.format() == f"error: {message}"  # kubectl unwraps a single problem


def test_unreadable_token_file_fails_at_load(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    path = write_config("config", _doc(user={"tokenFile": "tok"}))
    with pytest.raises(ConfigError) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path)), env)
    assert str(info.value) == f"open {tmp_path / 'tok'}: no such file or directory"


MALFORMED = [
    (
        "bad yaml",
        "apiVersion: v1\nkind: Config\nclusters: [\n  - a: b\n",
        'error loading config file "{path}": yaml: line 3: did not find expected node content',  # kubectl 1.32
    ),
    ("tab indentation", "clusters:\n\t- name: x\n", 'error loading config file "{path}": yaml: line 2: '),
    (
        "clusters not a list",
        "clusters: {a: 1}\n",
        'error loading config file "{path}": cannot unmarshal object into Config.clusters of type list',
    ),
    ("top level list", "- a\n- b\n", 'error loading config file "{path}": couldn\'t get version/kind'),
    (
        "bad base64",
        "users:\n- name: u\n  user: {client-certificate-data: '!!!'}\n",
        'error loading config file "{path}": illegal base64 data in client-certificate-data',
    ),
]


@pytest.mark.parametrize(("text", "expected"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_file_error_names_the_file_in_one_line(
    tmp_path: Path, env: dict[str, str], text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for flags, environ in (
        (ConnectionFlags(kubeconfig=str(path)), env),
        (ConnectionFlags(), {**env, "KUBECONFIG": str(path)}),
    ):
        with pytest.raises(ConfigError) as info:
            load_client_config(flags, environ)
        message = str(info.value)
        assert message.startswith(expected.format(path=path))
        assert "\n" not in message


def test_malformed_file_in_kubeconfig_list_is_an_error_even_if_others_are_fine(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: [\n")
    good = write_config("good.yaml", _doc())
    with pytest.raises(ConfigError, match=r'error loading config file ".*bad.yaml"'):
        load_client_config(ConnectionFlags(), {**env, "KUBECONFIG": f"{good}{os.pathsep}{bad}"})


def test_directory_as_kubeconfig_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_client_config(ConnectionFlags(kubeconfig=str(tmp_path)), env)


@pytest.mark.parametrize("value", ["abc", "5x", "1.5.3s", "", "s", "-1s", "-3"])
def test_bad_request_timeout_is_a_usage_error_with_kubectls_message(
    write_config: WriteConfig, env: dict[str, str], value: str
) -> None:
    path = write_config("config", _doc())
    with pytest.raises(UsageError) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path), request_timeout=value), env)
    assert str(info.value) == INVALID_TIMEOUT
    assert isinstance(info.value, KpyError) and info.value.exit_code == 1
