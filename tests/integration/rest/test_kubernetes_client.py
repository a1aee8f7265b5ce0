"""``kpy.config.kubernetes_configuration``: the official ``kubernetes`` client on kpy's kubeconfig resolution,
making real calls against the emulator."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes import config as kconfig

from kpy.config import ConnectionFlags, kubernetes_api_client, kubernetes_configuration
from kpy.testing import EmulatorThread


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread() as thread:
        yield thread


def namespaces(conf: Any) -> list[str]:
    with client.ApiClient(conf) as api:
        return sorted(ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items)


SYSTEM = ["default", "kube-node-lease", "kube-public", "kube-system"]


def kubeconfig(
    path: Path, current: str | None, contexts: dict[str, tuple[str, dict[str, Any]]], ca: str
) -> str:
    """A kubeconfig with one cluster+user per context: name -> (server, user fields)."""
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for name, (server, user) in contexts.items():
        body["clusters"].append(
            {"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}
        )
        body["users"].append({"name": name, "user": user})
        body["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    if current is not None:
        body["current-context"] = current
    path.write_text(json.dumps(body))
    return str(path)


def emulator_ca(emu: EmulatorThread) -> str:
    return str(
        json.loads(emu.kubeconfig_path.read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
    )


def test_merged_kubeconfig_uses_the_first_current_context_where_the_official_loader_takes_the_last(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    """KUBECONFIG=a:b with a current-context in each: client-go (kubectl) uses a's, the official client's own
    loader b's (KubeConfigMerger overwrites current-context with every file that has one)."""
    ca, em = emulator_ca(emu), emu.emulator
    a = kubeconfig(tmp_path / "a", "emu", {"emu": (em.url, {"token": em.token})}, ca)
    b = kubeconfig(tmp_path / "b", "gone", {"gone": ("https://127.0.0.1:1", {"token": "x"})}, ca)
    env = {"KUBECONFIG": f"{a}{os.pathsep}{b}", "HOME": str(tmp_path)}

    theirs = client.Configuration()
    kconfig.load_kube_config(config_file=env["KUBECONFIG"], client_configuration=theirs)
    assert theirs.host == "https://127.0.0.1:1"  # the official loader's merge: the wrong cluster

    ours = kubernetes_configuration(env=env)
    assert ours.host == em.url
    assert namespaces(ours) == SYSTEM


def test_client_certificate_data_is_written_private_and_authenticates(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    path = emu.emulator.write_kubeconfig(tmp_path / "cert", auth="cert")
    conf = kubernetes_configuration(flags=ConnectionFlags(kubeconfig=str(path)), env={"HOME": str(tmp_path)})
    for name in (conf.ssl_ca_cert, conf.cert_file, conf.key_file):
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(Path(conf.key_file).parent).st_mode) == 0o700
    assert conf.api_key == {}
    assert namespaces(conf) == SYSTEM
    directory = Path(conf.key_file).parent
    del conf
    import gc

    gc.collect()
    assert not directory.exists()  # the key material goes with the Configuration


def test_token_file_is_reread_before_requests(emu: EmulatorThread, tmp_path: Path) -> None:
    """The hook re-reads the token file on kpy's (client-go's) schedule: at once after invalidation."""
    em = emu.emulator
    token_file = tmp_path / "token"
    token_file.write_text(em.token)
    path = kubeconfig(
        tmp_path / "kc", "emu", {"emu": (em.url, {"tokenFile": str(token_file)})}, emulator_ca(emu)
    )
    conf = kubernetes_configuration(env={"KUBECONFIG": path, "HOME": str(tmp_path)})
    assert namespaces(conf) == SYSTEM
    assert conf.refresh_api_key_hook is not None
    assert conf.get_api_key_with_prefix("authorization") == f"Bearer {em.token}"


def test_exec_plugin_token_reaches_the_official_client(emu: EmulatorThread, tmp_path: Path) -> None:
    em = emu.emulator
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": em.token},
    }
    plugin = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
            "interactiveMode": "Never",
        }
    }
    path = kubeconfig(tmp_path / "kc", "emu", {"emu": (em.url, plugin)}, emulator_ca(emu))
    conf = kubernetes_configuration(
        env={"KUBECONFIG": path, "HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    )
    assert namespaces(conf) == SYSTEM


def test_impersonation_goes_into_the_api_clients_headers(emu: EmulatorThread, tmp_path: Path) -> None:
    flags = ConnectionFlags(kubeconfig=str(emu.kubeconfig_path), as_user="jane", as_uid="j-1")
    api = kubernetes_api_client(flags=flags, env={"HOME": str(tmp_path)})
    assert (api.default_headers["Impersonate-User"], api.default_headers["Impersonate-Uid"]) == (
        "jane",
        "j-1",
    )
    with pytest.raises(ValueError, match="one Impersonate-Group"):
        kubernetes_api_client(
            flags=ConnectionFlags(kubeconfig=str(emu.kubeconfig_path), as_user="jane", as_groups=("a", "b")),
            env={"HOME": str(tmp_path)},
        )
