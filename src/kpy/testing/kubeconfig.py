"""Kubeconfig files pointing at an emulator (token or client-certificate auth)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_dict(
    *,
    server: str,
    ca_pem: bytes | None,
    context: str,
    namespace: str | None,
    auth: str,
    token: str | None = None,
    client_cert_pem: bytes | None = None,
    client_key_pem: bytes | None = None,
) -> dict[str, Any]:
    user: dict[str, Any]
    if auth == "token":
        assert token is not None
        user = {"token": token}
    elif auth == "cert":
        assert client_cert_pem is not None and client_key_pem is not None
        user = {"client-certificate-data": _b64(client_cert_pem), "client-key-data": _b64(client_key_pem)}
    else:
        raise ValueError(f"unknown auth {auth!r} (want 'token' or 'cert')")
    ctx: dict[str, Any] = {"cluster": context, "user": context}
    if namespace:
        ctx["namespace"] = namespace
    cluster: dict[str, Any] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = _b64(ca_pem)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
        "preferences": {},
    }


def write(path: Path, config: dict[str, Any]) -> Path:
    """Write (JSON is valid YAML, so every kubeconfig reader accepts it), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(config, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return path
