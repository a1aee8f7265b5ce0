"""``load_client_config``: kubeconfig + connection flags -> ``ClientConfig``, the way kubectl resolves them.

Resolution is client-go's (``kpy.config.resolve`` has the merging and validation rules and their messages);
this module builds the connection from the result, as ``ClientConfig()`` and the transport do:

* plain ``http://`` servers get no credentials and no TLS settings (kubectl only sends them over TLS);
  impersonation headers are still sent.
* one ``Authorization``: a ``tokenFile`` (re-read every minute; a static or ``--token`` token is the fallback
  when it cannot be read), else a token, else basic auth, else an ``auth-provider`` (``oidc``; ``gcp``/
  ``azure`` fail with kubectl's message), else an exec plugin (not run when a static client certificate is
  configured: kpy's choice).
* errors the transport raises before any request (exec together with an auth provider, a removed or unknown
  auth provider, insecure-skip-tls-verify with a CA, a token next to basic auth) are raised here.
* no server in any kubeconfig or flag: in-cluster config if possible.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from kpy.config.client_config import INSECURE_WITH_CA, ClientConfig
from kpy.config.credentials import (
    BasicCredentials,
    Credentials,
    NoCredentials,
    TokenCredentials,
    TokenFileCredentials,
)
from kpy.config.flags import ConnectionFlags
from kpy.config.kubeconfig import KubeConfig, home_dir, load_kubeconfig, persist_auth_provider
from kpy.config.resolve import InvalidConfiguration, Resolved, resolve
from kpy.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:  # exec plugins, auth providers and in-cluster config load when a kubeconfig uses them
    from typing import Any

    from kpy.config.exec_plugin import ExecConfig
    from kpy.config.incluster import InClusterPaths

__all__ = ["INSECURE_WITH_CA", "InvalidConfiguration", "load_client_config", "normalize_server"]

DEFAULT_QPS = 5.0
DEFAULT_BURST = 10


def load_client_config(
    flags: ConnectionFlags,
    env: Mapping[str, str] | None = None,
    *,
    in_cluster: InClusterPaths | None = None,
    clock: Callable[[], float] = time.time,
    is_terminal: Callable[[], bool] | None = None,
) -> ClientConfig:
    """Resolve the connection for one command (see the module docstring for the rules).

    ``env`` defaults to ``os.environ`` (KUBECONFIG, HOME, KUBERNETES_SERVICE_*, the exec plugins' base
    environment); ``in_cluster`` the service-account paths; ``clock`` (epoch seconds) drives token-file
    re-reads and exec credential expiry; ``is_terminal`` tells exec plugins whether stdin is a terminal.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    timeout = None
    if flags.request_timeout is not None:
        from kpy.config.duration import parse_request_timeout

        timeout = parse_request_timeout(flags.request_timeout)
    common: dict[str, Any] = {
        "request_timeout": timeout,
        "qps": float(flags.qps) if flags.qps is not None else DEFAULT_QPS,
        "burst": int(flags.burst) if flags.burst is not None else DEFAULT_BURST,
        "cache_dir": _cache_dir(flags, environ),
    }
    loaded = load_kubeconfig(flags.kubeconfig, environ)
    kc = loaded.config
    resolved = resolve(kc, flags, environ)  # kubeconfig problems are errors even in a pod, as in kubectl
    if resolved.default_server:
        from kpy.config.incluster import InClusterPaths, in_cluster_possible

        paths = in_cluster or InClusterPaths()
        if in_cluster_possible(environ, paths):
            return _in_cluster(flags, environ, paths, clock, common)
    return _build(resolved, kc, flags, environ, clock, is_terminal, common)


def _cache_dir(flags: ConnectionFlags, env: Mapping[str, str]) -> Path:
    if flags.cache_dir:
        return Path(os.path.expanduser(flags.cache_dir))
    if env.get("KUBECACHEDIR"):
        return Path(os.path.expanduser(env["KUBECACHEDIR"]))
    return home_dir(env) / ".kube" / "cache"


def normalize_server(server: str) -> str:
    """kubectl's ``DefaultServerURL``: a bare ``host:port`` gets ``http://``; no trailing slash."""
    text = server.strip()
    try:
        parts = urlsplit(text)
        if not parts.scheme or not parts.netloc:
            parts = urlsplit("http://" + text)
        _ = parts.port  # raises on a bad port
    except ValueError:
        raise ConfigError(f'host must be a URL or a host:port pair: "{server}"') from None
    if not parts.hostname:
        raise ConfigError(f'host must be a URL or a host:port pair: "{server}"')
    return parts.geturl().rstrip("/")


def _read(path: str, what: str, owner: str, errors: list[str]) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        errors.append(f"unable to read {what} {path} for {owner} due to open {path}: {reason}")
        return None


def _abs(path: str | None) -> str | None:
    return os.path.abspath(os.path.expanduser(path)) if path else None


def _https(server: str) -> bool:
    return server.lower().startswith("https://")


def _build(
    r: Resolved,
    kc: KubeConfig,
    flags: ConnectionFlags,
    env: Mapping[str, str],
    clock: Callable[[], float],
    is_terminal: Callable[[], bool] | None,
    common: dict[str, Any],
) -> ClientConfig:
    """client-go's ``ClientConfig()`` after validation, and the checks its transport makes before any request.

    Credentials and TLS settings only apply over TLS (kubectl); impersonation always does.
    """
    user, cluster = r.user, r.cluster
    server = normalize_server(str(cluster.get("server")))
    as_user: str | None = user.get("as") or None
    as_groups = tuple(str(g) for g in user.get("as-groups") or ()) if as_user else ()
    as_uid = str(user.get("as-uid") or "") if as_user else ""
    extra = user.get("as-user-extra") if as_user else None
    as_extra = tuple(
        (str(key), tuple(str(v) for v in values or ()))
        for key, values in (extra.items() if isinstance(extra, dict) else ())
    )
    base: dict[str, Any] = {
        "server": server,
        "namespace": r.namespace,
        "namespace_explicit": r.namespace_explicit,
        "context_name": r.context_name or None,
        "proxy_url": cluster.get("proxy-url") or None,
        "impersonate_user": as_user,
        "impersonate_groups": as_groups,
        "impersonate_uid": as_uid or None,
        "impersonate_extra": as_extra,
        **common,
    }
    if not _https(server):
        return ClientConfig(**base)

    # --- user identification (getUserIdentificationPartialConfig)
    token: str | None = user.get("token") or None
    token_file: str | None = user.get("tokenFile") or None
    credentials: Credentials = NoCredentials()
    if token_file:
        # client-go prefers the file's token (re-read every minute) over a static one, even --token's
        credentials = TokenFileCredentials(token_file, clock=clock, fallback=token)
        if token is None:
            credentials.read()  # read while loading: an unreadable file fails now ("open PATH: ...")
    elif token:
        credentials = TokenCredentials(token)
    cert_data: bytes | None = None
    key_data: bytes | None = None
    if user.get("client-certificate") or user.get("client-certificate-data"):
        cert_data = user.get("client-certificate-data") or _read_file(user.get("client-certificate"))
        key_data = user.get("client-key-data") or _read_file(user.get("client-key"))
    username: str = str(user.get("username") or "")
    password: str = str(user.get("password") or "")
    raw_provider = user.get("auth-provider")
    raw_exec = user.get("exec")

    # --- server identification
    ca_data: bytes | None = cluster.get("certificate-authority-data") or _read_file(
        cluster.get("certificate-authority")
    )
    insecure = bool(cluster.get("insecure-skip-tls-verify"))
    tls_server_name: str | None = cluster.get("tls-server-name") or None

    # --- the transport (rest.TransportFor), in its order
    auth_provider: str | None = None
    if isinstance(raw_exec, dict) and raw_provider is not None:
        raise ConfigError("execProvider and authProvider cannot be used in combination")
    exec_cfg: ExecConfig | None = None
    if isinstance(raw_exec, dict):
        from kpy.config.exec_plugin import ExecConfig

        exec_cfg, exec_errors = ExecConfig.from_kubeconfig(r.user_name, raw_exec)
        if exec_cfg is None:
            raise ConfigError(exec_errors[0])
    provider: Credentials | None = None
    if isinstance(raw_provider, dict):
        from kpy.config.auth_provider import auth_provider_credentials

        auth_provider = str(raw_provider.get("name") or "")
        origin = kc.user_origins.get(r.user_name)
        persist = None
        if origin is not None:
            path, name = origin, r.user_name
            persist = lambda new: persist_auth_provider(path, name, new)  # noqa: E731
        provider = auth_provider_credentials(
            auth_provider, raw_provider.get("config") or {}, persist=persist, clock=clock
        )
    if insecure and ca_data:
        raise ConfigError(INSECURE_WITH_CA)
    if username and (token or token_file):
        raise ConfigError("username/password or bearer token may be set, but not both")

    # one Authorization header: bearer, else basic, else the auth provider, else the exec plugin
    if isinstance(credentials, NoCredentials):
        if username:
            credentials = BasicCredentials(username, password)
        elif provider is not None:
            credentials = provider
        elif exec_cfg is not None and not cert_data:
            from kpy.config.exec_plugin import ExecCredentials, cluster_info, stdin_is_terminal

            info = cluster_info(
                server=server,
                tls_server_name=tls_server_name,
                insecure_skip_tls_verify=insecure,
                ca_data=ca_data,
                proxy_url=base["proxy_url"],
                extension=_exec_extension(cluster),
            )
            credentials = ExecCredentials(
                exec_cfg,
                cluster=info,
                environ=env,
                clock=clock,
                is_terminal=is_terminal or stdin_is_terminal,
            )
    return ClientConfig(
        **base,
        ca_data=ca_data,
        insecure_skip_tls_verify=insecure,
        tls_server_name=tls_server_name,
        client_cert_data=cert_data,
        client_key_data=key_data,
        credentials=credentials,
        auth_provider=auth_provider,
        exec_plugin=exec_cfg,
    )


def _read_file(path: Any) -> bytes | None:
    """A file validation already opened (so a failure here is a race: say so in Go's words)."""
    if not path:
        return None
    try:
        with open(str(path), "rb") as fh:
            return fh.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise ConfigError(f"open {path}: {reason}") from None


def _exec_extension(cluster: Mapping[str, Any]) -> Any:
    from kpy.config.exec_plugin import EXEC_EXTENSION

    for item in cluster.get("extensions") or ():
        if isinstance(item, dict) and item.get("name") == EXEC_EXTENSION:
            return item.get("extension")
    return None


def _in_cluster(
    flags: ConnectionFlags,
    env: Mapping[str, str],
    paths: InClusterPaths,
    clock: Callable[[], float],
    common: dict[str, Any],
) -> ClientConfig:
    """client-go's in-cluster config; only ``-s``, ``--token``, ``--certificate-authority`` (and the TLS
    switches) override it, as in ``inClusterClientConfig``."""
    from kpy.config.incluster import in_cluster_ca, in_cluster_namespace, in_cluster_server

    server = normalize_server(flags.server) if flags.server else in_cluster_server(env)
    credentials: Credentials
    if flags.token:
        credentials = TokenCredentials(flags.token)
    else:
        token_file = TokenFileCredentials(os.fspath(paths.token), clock=clock)
        token_file.read()
        credentials = token_file
    errors: list[str] = []
    if flags.certificate_authority:
        path = _abs(flags.certificate_authority) or ""
        ca_data = _read(path, "certificate-authority", "in-cluster", errors)
    else:
        ca_data = in_cluster_ca(paths)
    if errors:
        raise ConfigError(errors[0])
    insecure = bool(flags.insecure_skip_tls_verify)
    if insecure:
        if flags.certificate_authority:
            raise ConfigError(INSECURE_WITH_CA)
        ca_data = None
    return ClientConfig(
        server=server,
        namespace=flags.namespace or in_cluster_namespace(env, paths),
        namespace_explicit=bool(flags.namespace),
        context_name=None,
        ca_data=ca_data,
        insecure_skip_tls_verify=insecure,
        tls_server_name=flags.tls_server_name or None,
        credentials=credentials,
        impersonate_user=flags.as_user or None,
        impersonate_groups=tuple(flags.as_groups),
        impersonate_uid=flags.as_uid or None,
        **common,
    )
