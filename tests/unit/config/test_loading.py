"""Which kubeconfig files are read and how they merge (client-go loading rules)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc, simple_config

from kpy.config import ConnectionFlags, load_client_config
from kpy.config.kubeconfig import KubeConfig, kubeconfig_files, load_kubeconfig
from kpy.errors import ConfigError

A = kubeconfig_doc(
    current="ctx-a",
    clusters={"shared": {"server": "https://a.example:1"}, "only-a": {"server": "https://a-only:1"}},
    contexts={
        "ctx-a": {"cluster": "shared", "user": "ua", "namespace": "ns-a"},
        "both": {"cluster": "shared", "user": "ua", "namespace": "from-a"},
    },
    users={"ua": {"token": "ta"}, "shared-user": {"token": "from-a"}},
)
B = kubeconfig_doc(
    current="ctx-b",
    clusters={"shared": {"server": "https://b.example:2"}, "only-b": {"server": "https://b-only:2"}},
    contexts={
        "ctx-b": {"cluster": "only-b", "user": "shared-user"},
        "both": {"cluster": "only-b", "user": "shared-user", "namespace": "from-b"},
    },
    users={"shared-user": {"token": "from-b"}},
)
NO_CURRENT = kubeconfig_doc(clusters={"nc": {"server": "https://nc:3"}}, contexts={"nc": {"cluster": "nc"}})


def _env_with(env: dict[str, str], *paths: Path | str) -> dict[str, str]:
    return {**env, "KUBECONFIG": os.pathsep.join(str(p) for p in paths)}


def test_first_file_wins_for_each_name_and_current_context(
    write_config: WriteConfig, env: dict[str, str]
) -> None:
    a, b = write_config("a.yaml", A), write_config("b.yaml", B)
    kc = load_kubeconfig(None, _env_with(env, a, b)).config
    assert kc.current_context == "ctx-a"
    assert kc.clusters["shared"]["server"] == "https://a.example:1"
    assert set(kc.clusters) == {"shared", "only-a", "only-b"}
    assert kc.contexts["both"]["namespace"] == "from-a"
    assert kc.users["shared-user"]["token"] == "from-a"
    kc_reversed = load_kubeconfig(None, _env_with(env, b, a)).config
    assert kc_reversed.current_context == "ctx-b"
    assert kc_reversed.clusters["shared"]["server"] == "https://b.example:2"


def test_current_context_comes_from_the_first_file_that_sets_it(
    write_config: WriteConfig, env: dict[str, str]
) -> None:
    nc, b = write_config("nc.yaml", NO_CURRENT), write_config("b.yaml", B)
    cfg = load_client_config(ConnectionFlags(), _env_with(env, nc, b))
    assert cfg.context_name == "ctx-b"
    assert cfg.server == "https://b-only:2"


def test_a_winning_entry_is_taken_whole_not_field_by_field(
    write_config: WriteConfig, env: dict[str, str]
) -> None:
    first = kubeconfig_doc(clusters={"c": {"server": "https://first:1"}})
    second = kubeconfig_doc(clusters={"c": {"server": "https://second:2", "tls-server-name": "from-second"}})
    kc = load_kubeconfig(
        None, _env_with(env, write_config("1.yaml", first), write_config("2.yaml", second))
    ).config
    assert dict(kc.clusters["c"]) == {"server": "https://first:1"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a{sep}b", ["a", "b"]),
        ("{sep}a{sep}{sep}b{sep}", ["a", "b"]),
        ("a{sep}b{sep}a", ["a", "b"]),
    ],
)
def test_kubeconfig_variable_drops_empty_and_duplicate_entries(value: str, expected: list[str]) -> None:
    files, explicit = kubeconfig_files(None, {"KUBECONFIG": value.format(sep=os.pathsep)})
    assert (files, explicit) == (expected, False)


def test_missing_files_in_kubeconfig_variable_are_skipped(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    b = write_config("b.yaml", B)
    cfg = load_client_config(ConnectionFlags(), _env_with(env, tmp_path / "missing.yaml", "", b))
    assert cfg.context_name == "ctx-b"


def test_explicit_kubeconfig_reads_only_that_file(write_config: WriteConfig, env: dict[str, str]) -> None:
    a, b = write_config("a.yaml", A), write_config("b.yaml", B)
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(b)), _env_with(env, a))
    assert cfg.context_name == "ctx-b"
    with pytest.raises(ConfigError, match="context was not found for specified context: ctx-a"):
        load_client_config(ConnectionFlags(kubeconfig=str(b), context="ctx-a"), _env_with(env, a))


def test_explicit_kubeconfig_that_is_missing_is_an_error(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(missing)), env)
    assert info.value.format() == f"error: stat {missing}: no such file or directory"


def test_home_kube_config_is_the_default(env: dict[str, str], tmp_path: Path) -> None:
    config = Path(env["HOME"]) / ".kube" / "config"
    config.parent.mkdir()
    config.write_text(__import__("yaml").safe_dump(simple_config("https://home:6443")))
    assert load_client_config(ConnectionFlags(), env).server == "https://home:6443"


def test_kubeconfig_variable_replaces_the_home_file(write_config: WriteConfig, env: dict[str, str]) -> None:
    config = Path(env["HOME"]) / ".kube" / "config"
    config.parent.mkdir()
    config.write_text(__import__("yaml").safe_dump(simple_config("https://home:6443")))
    b = write_config("b.yaml", B)
    assert load_client_config(ConnectionFlags(), _env_with(env, b)).server == "https://b-only:2"


def test_relative_paths_resolve_against_the_directory_of_their_own_file(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path
) -> None:
    doc = kubeconfig_doc(
        current="x",
        clusters={"c": {"server": "https://x:1", "certificate-authority": "certs/ca.crt"}},
        contexts={"x": {"cluster": "c", "user": "u"}},
        users={
            "u": {
                "client-certificate": "certs/../certs/u.crt",
                "client-key": "/abs/u.key",
                "tokenFile": "tok",
                "exec": {"command": "./bin/plugin", "apiVersion": "v"},
            },
            "path-cmd": {"exec": {"command": "plugin-on-path"}},
        },
    )
    path = write_config("sub/dir/config", doc)
    kc = KubeConfig.from_file(path)
    base = tmp_path / "sub" / "dir"
    assert kc.clusters["c"]["certificate-authority"] == str(base / "certs" / "ca.crt")
    assert kc.users["u"]["client-certificate"] == str(base / "certs" / "u.crt")
    assert kc.users["u"]["client-key"] == "/abs/u.key"
    assert kc.users["u"]["tokenFile"] == str(base / "tok")
    assert kc.users["u"]["exec"]["command"] == str(base / "bin" / "plugin")
    assert kc.users["path-cmd"]["exec"]["command"] == "plugin-on-path"


def test_relative_kubeconfig_path_resolves_against_the_working_directory(
    write_config: WriteConfig, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = simple_config()
    doc["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"
    write_config("cfgdir/config", doc)
    (tmp_path / "cfgdir" / "ca.crt").write_bytes(b"PEM")
    monkeypatch.chdir(tmp_path)
    cfg = load_client_config(ConnectionFlags(kubeconfig="cfgdir/config"), env)
    assert cfg.ca_data == b"PEM"


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    assert KubeConfig.from_file(empty).is_empty


def test_duplicate_names_in_one_file_keep_the_last(tmp_path: Path) -> None:
    path = tmp_path / "dup"
    path.write_text(
        "clusters:\n- {name: c, cluster: {server: 'https://one'}}\n"
        "- {name: c, cluster: {server: 'https://two'}}\n"
    )
    assert KubeConfig.from_file(path).clusters["c"]["server"] == "https://two"


def test_json_kubeconfig_is_accepted(tmp_path: Path, env: dict[str, str]) -> None:
    import json

    path = tmp_path / "config.json"
    path.write_text(json.dumps(simple_config("https://json:1")))
    assert load_client_config(ConnectionFlags(kubeconfig=str(path)), env).server == "https://json:1"
