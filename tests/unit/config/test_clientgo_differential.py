"""kpy.config against client-go's clientcmd, as kubectl uses it, on the cases in tests/data/clientgo.

tests/data/clientgo/gen (a Go program built against the vendored Kubernetes tree; see the README there) wrote
each case (1-3 kubeconfig files, KUBECONFIG or --kubeconfig or ~/.kube/config, kubectl flags) with what
client-go answered: the error of ``ToRawKubeConfigLoader().ClientConfig()``, or the resolved server, TLS
settings, auth, namespace, impersonation, and the error (if any) of building the transport and of sending one
request (the headers it carried). Every case must come out the same from kpy.

Files are written under a temp dir standing for ``$ROOT`` (the case directory, also HOME and the working
directory); ``$B64:name`` in a file stands for a fixture's base64.
"""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kpy.config import ConnectionFlags, InClusterPaths, load_client_config
from kpy.errors import ConfigError
from kpy.rest.blocking import drive

DATA = Path(__file__).resolve().parents[2] / "data" / "clientgo"


@cache
def data() -> dict[str, Any]:
    return dict(json.loads((DATA / "kubeconfig.json").read_text()))


@cache
def fixtures() -> dict[str, bytes]:
    return {name: (DATA / "fixtures" / name).read_bytes() for name in data()["fixtures"]}


def label(content: bytes | None) -> str:
    if not content:
        return ""
    for name, value in fixtures().items():
        if value == content:
            return name
    return "other"


def flags_of(raw: dict[str, Any]) -> ConnectionFlags:
    return ConnectionFlags(
        kubeconfig=raw.get("kubeconfig"),
        context=raw.get("context"),
        cluster=raw.get("cluster"),
        user=raw.get("user"),
        namespace=raw.get("namespace"),
        server=raw.get("server"),
        token=raw.get("token"),
        insecure_skip_tls_verify=raw.get("insecure-skip-tls-verify"),
        tls_server_name=raw.get("tls-server-name"),
        certificate_authority=raw.get("certificate-authority"),
        client_certificate=raw.get("client-certificate"),
        client_key=raw.get("client-key"),
        as_user=raw.get("as"),
        as_groups=tuple(raw.get("as-group") or ()),
        as_uid=raw.get("as-uid"),
    )


def setup(case: dict[str, Any], root: Path) -> dict[str, str]:
    (root / "k1").mkdir(parents=True)
    mentioned = json.dumps(case)  # a fixture no file, flag or variable of the case names cannot be read
    for name, content in fixtures().items():
        if name not in mentioned:
            continue
        for where in (root, root / "k1"):
            path = where / name
            path.write_bytes(content)
            path.chmod(0o600)
    for f in case["files"]:
        text = f["text"].replace("$ROOT", str(root))
        for name, content in fixtures().items():
            text = text.replace("$B64:" + name, base64.b64encode(content).decode())
        path = root / f["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"HOME": str(root), **case["env"]}


def answer(case: dict[str, Any], root: Path) -> dict[str, Any]:
    """kpy's answer in the generator's shape."""
    env = setup(case, root)

    def clean(text: str) -> str:
        return text.replace(str(root), "$ROOT")

    try:
        cfg = load_client_config(
            flags_of(case["flags"]), env, in_cluster=InClusterPaths.under(root / "no-sa")
        )
    except ConfigError as exc:
        return {"err": clean(str(exc))}
    got: dict[str, Any] = {
        "namespace": cfg.namespace,
        "url": cfg.server,
        "insecure": cfg.insecure_skip_tls_verify,
        "sni": cfg.tls_server_name or "",
        "ca": label(cfg.ca_data),
        "cert": label(cfg.client_cert_data),
        "key": label(cfg.client_key_data),
    }
    if cfg.proxy_url:
        got["proxy"] = cfg.proxy_url
    if cfg.auth_provider:
        got["authProvider"] = cfg.auth_provider
    credentials = cfg.credentials
    spec = cfg.exec_plugin
    if spec is not None:
        got["exec"] = {
            "command": clean(spec.command),
            "args": list(spec.args) or None,
            "env": [list(pair) for pair in spec.env],
            "apiVersion": spec.api_version,
            "interactiveMode": spec.interactive_mode,
            "provideClusterInfo": spec.provide_cluster_info,
            "installHint": spec.install_hint,
        }
    try:
        cfg.ssl_context()
        headers: dict[str, Any] = {}
        if spec is None:  # the generator sends no request with an exec plugin (it would run it)
            headers = {k: [v] for k, v in drive(credentials.auth_headers()).items()}
    except ConfigError as exc:
        got["terr"] = clean(str(exc))
        return got
    if spec is not None:
        return got
    for key, value in cfg.impersonation_headers.items():
        headers[key] = value if isinstance(value, list) else [value]
    got["headers"] = headers
    return got


def expected(want: dict[str, Any]) -> dict[str, Any]:
    out = dict(want)
    if "exec" in out:
        out["exec"] = dict(out["exec"], args=out["exec"]["args"] or None, env=out["exec"]["env"] or [])
    return out


def check(index: int, root: Path) -> str | None:
    case = data()["cases"][index]
    cwd = os.getcwd()
    os.chdir(root.parent)
    try:
        root.mkdir()
        os.chdir(root)
        got = answer(case, root)
    finally:
        os.chdir(cwd)
    want = expected(case["want"])
    if "err" in got and "terr" in want:
        # kpy raises what client-go's transport raises before any request while loading: only the text counts
        want = {"err": want["terr"]}
    if got != want:
        return f"case {index}: kpy {got}\n  client-go {want}"
    return None


def test_every_kubeconfig_case_matches_client_go(tmp_path: Path) -> None:
    cases = data()["cases"]
    assert len(cases) >= 1000
    problems = [p for i in range(len(cases)) if (p := check(i, tmp_path / f"case{i:04d}"))]
    assert not problems, f"{len(problems)}/{len(cases)} differ; first:\n" + "\n".join(problems[:3])


def test_the_data_covers_what_the_issue_lists() -> None:
    wants = [c["want"] for c in data()["cases"]]
    texts = [w.get("err") or w.get("terr") or "" for w in wants]
    ok = [w for w in wants if "headers" in w or "exec" in w]
    assert len(ok) > 250
    assert sum(1 for w in wants if w.get("url") == "http://localhost:8080") > 20
    for needle in (
        "does not exist",
        "invalid configuration: [",
        "more than one authentication method",
        "specifying a root certificates file with the insecure flag is not allowed",
        "The gcp auth plugin has been removed",
        "The azure auth plugin has been removed",
        "authProvider cannot be provided in combination with an exec plugin",
    ):
        assert any(needle in t for t in texts), needle
    sent = {h for w in wants for h in w.get("headers", {})}
    assert {"Impersonate-Uid", "Impersonate-Extra-Scopes", "Impersonate-Extra-Team%2fx%20y%25"} <= sent


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_single_case_runs(tmp_path: Path, index: int) -> None:
    """Smoke: the harness itself (a failure here is easier to read than the big test's)."""
    assert check(index, tmp_path / "case") is None
