"""The same kubeconfig files through kpy and through the real kubectl must resolve to the same connection."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc

from kpy.config import ConnectionFlags, load_client_config
from kpy.config.credentials import TokenCredentials

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

A = kubeconfig_doc(
    current="ctx-a",
    clusters={
        "shared": {"server": "https://a.example:1", "certificate-authority": "certs/ca-a.pem"},
        "only-a": {"server": "https://a-only:1"},
    },
    contexts={
        "ctx-a": {"cluster": "shared", "user": "ua", "namespace": "ns-a"},
        "both": {"cluster": "shared", "user": "shared-user", "namespace": "from-a"},
    },
    users={"ua": {"token": "ta"}, "shared-user": {"token": "from-a"}},
)
B = kubeconfig_doc(
    current="ctx-b",
    clusters={
        "shared": {"server": "https://b.example:2", "certificate-authority": "ca-b.pem"},
        "only-b": {"server": "https://b-only:2"},
    },
    contexts={
        "ctx-b": {"cluster": "only-b", "user": "shared-user"},
        "both": {"cluster": "only-b", "user": "shared-user", "namespace": "from-b"},
    },
    users={"shared-user": {"token": "from-b"}},
)
NO_CURRENT = kubeconfig_doc(
    clusters={"nc": {"server": "https://nc:3"}},
    contexts={"nc": {"cluster": "nc", "user": "ua"}},
    users={"ua": {"token": "nc"}},
)


@pytest.fixture
def files(write_config: WriteConfig, tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a" / "certs").mkdir(parents=True)
    (tmp_path / "a" / "certs" / "ca-a.pem").write_bytes(b"CA-A\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ca-b.pem").write_bytes(b"CA-B\n")
    return {
        "a": write_config("a/config", A),
        "b": write_config("b/config", B),
        "nc": write_config("nc/config", NO_CURRENT),
    }


def one_line(kubectl_stderr: str) -> str:
    """kubectl prints several configuration errors as a bullet list; kpy joins them on one line."""
    head, *bullets = kubectl_stderr.strip().split("\n* ")
    return head.rstrip() + " " + "; ".join(bullets) if bullets else head


def _kubectl(env: dict[str, str], *args: str) -> dict[str, Any]:
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "config", "view", "--minify", "--raw", "--flatten", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    doc: dict[str, Any] = yaml.safe_load(proc.stdout)
    return doc


@pytest.mark.parametrize(
    ("order", "context"),
    [
        (["a", "b"], None),
        (["b", "a"], None),
        (["nc", "b"], None),
        (["nc", "a", "b"], None),
        (["a", "b"], "both"),
        (["b", "a"], "both"),
        (["a", "b"], "ctx-b"),
        (["b", "a"], "ctx-a"),
        (["missing", "b", "a"], None),
    ],
)
async def test_merge_matches_kubectl_config_view(
    files: dict[str, Path], env: dict[str, str], tmp_path: Path, order: list[str], context: str | None
) -> None:
    paths = [str(files.get(name, tmp_path / name)) for name in order]
    environ = {**env, "KUBECONFIG": os.pathsep.join(paths)}
    expected = _kubectl(environ, *(["--context", context] if context else []))
    cfg = load_client_config(ConnectionFlags(context=context), environ)

    ctx = expected["contexts"][0]
    cluster = expected["clusters"][0]["cluster"]
    user = expected["users"][0]["user"]
    assert cfg.context_name == expected["current-context"] == ctx["name"]
    assert cfg.server == cluster["server"]
    assert cfg.namespace == ctx["context"].get("namespace", "default")
    ca = cluster.get("certificate-authority-data")
    assert cfg.ca_data == (base64.b64decode(ca) if ca else None)  # --flatten read the relative CA path
    assert isinstance(cfg.credentials, TokenCredentials)
    assert await cfg.credentials.auth_headers() == {"Authorization": f"Bearer {user['token']}"}


def test_explicit_kubeconfig_matches_kubectl(files: dict[str, Path], env: dict[str, str]) -> None:
    environ = {**env, "KUBECONFIG": str(files["a"])}
    expected = _kubectl(environ, "--kubeconfig", str(files["b"]))
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(files["b"])), environ)
    assert cfg.context_name == expected["current-context"]
    assert cfg.server == expected["clusters"][0]["cluster"]["server"]


def test_unknown_context_fails_in_both(files: dict[str, Path], env: dict[str, str]) -> None:
    assert KUBECTL is not None
    environ = {**env, "KUBECONFIG": str(files["a"])}
    proc = subprocess.run(
        [KUBECTL, "get", "pods", "--context", "nope"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    with pytest.raises(Exception) as info:
        load_client_config(ConnectionFlags(context="nope"), environ)
    assert one_line(proc.stderr) == info.value.format()  # type: ignore[attr-defined]


def test_missing_explicit_file_fails_in_both(env: dict[str, str], tmp_path: Path) -> None:
    assert KUBECTL is not None
    missing = str(tmp_path / "nope")
    proc = subprocess.run(
        [KUBECTL, "get", "pods", "--kubeconfig", missing],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    with pytest.raises(Exception) as info:
        load_client_config(ConnectionFlags(kubeconfig=missing), env)
    assert one_line(proc.stderr) == info.value.format()  # type: ignore[attr-defined]


def test_bad_request_timeout_fails_in_both(files: dict[str, Path], env: dict[str, str]) -> None:
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "get", "pods", "--kubeconfig", str(files["a"]), "--request-timeout", "abc"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    with pytest.raises(Exception) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(files["a"]), request_timeout="abc"), env)
    assert one_line(proc.stderr) == info.value.format()  # type: ignore[attr-defined]


ERROR_DOC = kubeconfig_doc(
    current="ok",
    clusters={
        "c": {"server": "https://127.0.0.1:1"},
        "both-ca": {
            "server": "https://127.0.0.1:1",
            "certificate-authority": "/x/ca.pem",
            "certificate-authority-data": base64.b64encode(b"x").decode(),
        },
        "insecure-ca": {
            "server": "https://127.0.0.1:1",
            "insecure-skip-tls-verify": True,
            "certificate-authority-data": base64.b64encode(b"x").decode(),
        },
    },
    contexts={
        "ok": {"cluster": "c", "user": "u"},
        "two-auth": {"cluster": "c", "user": "two"},
        "both-ca": {"cluster": "both-ca", "user": "u"},
        "insecure-ca": {"cluster": "insecure-ca", "user": "u"},
    },
    users={"u": {"token": "t"}, "two": {"token": "t", "username": "bob", "password": "pw"}},
)


@pytest.mark.parametrize(
    "args",
    [
        ["--user", "zz"],
        ["--cluster", "zz"],
        ["--context", "two-auth"],
        ["--context", "both-ca"],
        ["--context", "insecure-ca"],
        ["--as-group", "g"],
    ],
)
def test_configuration_errors_match_kubectl_word_for_word(
    write_config: WriteConfig, env: dict[str, str], args: list[str]
) -> None:
    assert KUBECTL is not None
    path = write_config("errors", ERROR_DOC)
    proc = subprocess.run(
        [KUBECTL, "get", "pods", "--kubeconfig", str(path), "--request-timeout", "1s", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    names = {"--user": "user", "--cluster": "cluster", "--context": "context", "--as-group": "as_groups"}
    value: Any = (args[1],) if args[0] == "--as-group" else args[1]
    with pytest.raises(Exception) as info:
        load_client_config(ConnectionFlags(kubeconfig=str(path), **{names[args[0]]: value}), env)
    assert one_line(proc.stderr) == info.value.format()  # type: ignore[attr-defined]
