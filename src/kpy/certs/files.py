"""Writing secrets: keys, certificates and kubeconfigs created with mode 0600 from the first byte (the file is
opened with ``O_CREAT | O_EXCL`` and that mode, then renamed into place, so no other user ever can read it)."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

SECRET_MODE = 0o600


def write_private(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` with mode 0600 (atomically: a temp file beside it, then rename); missing
    parent directories are created (mode 0700)."""
    from kpy.errors import CertificateError

    target = Path(path)
    if not overwrite and target.exists():
        raise CertificateError(f"{target} already exists")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, SECRET_MODE)  # whatever the umask did
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CertificateError(f"cannot write {target}: {(exc.strerror or str(exc)).lower()}") from None
    return target


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def user_kubeconfig(
    *,
    cluster_name: str,
    server: str,
    user_name: str,
    cert_pem: bytes,
    key_pem: bytes,
    ca_pem: bytes | None = None,
    insecure_skip_tls_verify: bool = False,
    tls_server_name: str | None = None,
    namespace: str | None = None,
    context_name: str | None = None,
) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user (certificate and key embedded) and one context, current."""
    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = _b64(ca_pem)
    if insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    if tls_server_name:
        cluster["tls-server-name"] = tls_server_name
    context: dict[str, Any] = {"cluster": cluster_name, "user": user_name}
    if namespace:
        context["namespace"] = namespace
    ctx_name = context_name or f"{user_name}@{cluster_name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [
            {
                "name": user_name,
                "user": {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)},
            }
        ],
        "contexts": [{"name": ctx_name, "context": context}],
        "current-context": ctx_name,
        "preferences": {},
    }


def dump_kubeconfig(config: dict[str, Any]) -> bytes:
    import yaml

    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False).encode()


def write_kubeconfig(path: str | os.PathLike[str], config: dict[str, Any]) -> Path:
    return write_private(path, dump_kubeconfig(config))


def group_other_bits(path: str | os.PathLike[str]) -> int:
    """The group/other permission bits of ``path`` (0 for a properly private file)."""
    return os.stat(path).st_mode & 0o077
