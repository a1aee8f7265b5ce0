"""The connection flags every command shares (cli-runtime ``ConfigFlags``), as one frozen value.

Import-cheap on purpose: the CLI imports this at start-up. ``None`` (or an empty tuple) means "not set", so
the loader can tell an explicit flag from a default and only override what the user asked for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionFlags:
    """Global connection flags; every field ``None``/empty means "not set"."""

    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    server: str | None = None
    token: str | None = None
    insecure_skip_tls_verify: bool | None = None
    tls_server_name: str | None = None
    certificate_authority: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    request_timeout: str | None = None  # kubectl form: "0", "30", "5s", "1m"
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
    qps: float | None = None  # default 5
    burst: int | None = None  # default 10
    cache_dir: str | None = None  # default ~/.kube/cache
    verbosity: int = 0
