"""In-cluster configuration (a pod's service account), as client-go's ``rest.InClusterConfig``.

Used only when no kubeconfig gives a server. The paths are injectable so tests can point at a temp dir.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class InClusterPaths:
    """Where the service-account files are (``token``, ``ca.crt``, ``namespace``)."""

    token: Path = SERVICE_ACCOUNT_DIR / "token"
    ca: Path = SERVICE_ACCOUNT_DIR / "ca.crt"
    namespace: Path = SERVICE_ACCOUNT_DIR / "namespace"

    @classmethod
    def under(cls, directory: str | os.PathLike[str]) -> InClusterPaths:
        base = Path(directory)
        return cls(token=base / "token", ca=base / "ca.crt", namespace=base / "namespace")


def in_cluster_possible(env: Mapping[str, str], paths: InClusterPaths) -> bool:
    """client-go's ``Possible()``: both service env vars are set and the token file exists."""
    return (
        bool(env.get("KUBERNETES_SERVICE_HOST"))
        and bool(env.get("KUBERNETES_SERVICE_PORT"))
        and (paths.token.is_file())
    )


def in_cluster_server(env: Mapping[str, str]) -> str:
    host = env.get("KUBERNETES_SERVICE_HOST", "")
    port = env.get("KUBERNETES_SERVICE_PORT", "")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal, as net.JoinHostPort
    return f"https://{host}:{port}"


def in_cluster_namespace(env: Mapping[str, str], paths: InClusterPaths) -> str:
    """``POD_NAMESPACE``, else the service account's namespace file, else ``default``."""
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        value = paths.namespace.read_text(encoding="utf-8").strip()
    except OSError:
        value = ""
    return value or "default"


def in_cluster_ca(paths: InClusterPaths) -> bytes | None:
    """The CA bundle, or None when unreadable (client-go logs and falls back to the system roots)."""
    try:
        return paths.ca.read_bytes()
    except OSError:
        return None
