"""``load_client_config``: kubeconfig + connection flags -> ``ClientConfig``, the way kubectl resolves them.

Resolution (client-go ``DirectClientConfig`` + ``DeferredLoadingClientConfig``):

1. context = ``--context`` or ``current-context``; a named context that does not exist is an error.
2. cluster = ``--cluster`` or the context's; user = ``--user`` or the context's.
3. cluster flags: ``-s`` replaces the server (and drops the file's ``tls-server-name`` unless
   ``--tls-server-name`` is given); ``--insecure-skip-tls-verify``/``--certificate-authority`` replace the
   file's CA settings.
4. auth: ``--token`` replaces every other kind of auth (a deliberate difference: kubectl keeps using a
   ``tokenFile`` and rejects basic auth next to ``--token``); tokenFile > token > basic > exec; an exec
   plugin is not run when a token, basic auth or a static client certificate is configured.
5. no server anywhere: in-cluster config if possible, else kubectl's "no configuration" error.
6. plain ``http://`` servers get no credentials and no client certificate (kubectl only sends them over TLS);
   impersonation headers are still sent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kpy.config.client_config import ClientConfig
from kpy.config.credentials import (
    BasicCredentials,
    Credentials,
    NoCredentials,
    TokenCredentials,
    TokenFileCredentials,
)
from kpy.config.duration import parse_request_timeout
from kpy.config.exec_plugin import (
    EXEC_EXTENSION,
    ExecConfig,
    ExecCredentials,
    cluster_info,
    stdin_is_terminal,
)
from kpy.config.flags import ConnectionFlags
from kpy.config.incluster import (
    InClusterPaths,
    in_cluster_ca,
    in_cluster_namespace,
    in_cluster_possible,
    in_cluster_server,
)
from kpy.config.kubeconfig import KubeConfig, home_dir, load_kubeconfig
from kpy.errors import ConfigError

NO_CONFIGURATION = "invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable"
INSECURE_WITH_CA = "specifying a root certificates file with the insecure flag is not allowed"
DEFAULT_QPS = 5.0
DEFAULT_BURST = 10


class InvalidConfiguration(ConfigError):
    """kubectl's ``Error in configuration: ...`` (client-go ``errConfigurationInvalid``)."""

    prefix = "Error in configuration: "

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


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
    timeout = parse_request_timeout(flags.request_timeout)
    common: dict[str, Any] = {
        "request_timeout": timeout,
        "qps": float(flags.qps) if flags.qps is not None else DEFAULT_QPS,
        "burst": int(flags.burst) if flags.burst is not None else DEFAULT_BURST,
        "cache_dir": _cache_dir(flags, environ),
    }
    loaded = load_kubeconfig(flags.kubeconfig, environ)
    paths = in_cluster or InClusterPaths()
    resolver = _Resolver(loaded.config, flags, environ, clock, is_terminal)
    if not resolver.has_server() and in_cluster_possible(environ, paths):
        return _in_cluster(flags, environ, paths, clock, common)
    return resolver.resolve(common)


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


class _Resolver:
    def __init__(
        self,
        kc: KubeConfig,
        flags: ConnectionFlags,
        env: Mapping[str, str],
        clock: Callable[[], float],
        is_terminal: Callable[[], bool] | None,
    ) -> None:
        self.kc, self.flags, self.env, self.clock, self.is_terminal = kc, flags, env, clock, is_terminal
        self.context_name = flags.context or kc.current_context
        if self.context_name and self.context_name not in kc.contexts:
            raise InvalidConfiguration([f"context was not found for specified context: {self.context_name}"])
        self.context: Mapping[str, Any] = kc.contexts.get(self.context_name, {})
        self.cluster_name = flags.cluster or str(self.context.get("cluster") or "")
        self.user_name = flags.user or str(self.context.get("user") or "")
        if flags.user and flags.user not in kc.users:
            raise ConfigError(f'auth info "{flags.user}" does not exist')
        self.cluster: Mapping[str, Any] = kc.clusters.get(self.cluster_name, {})

    def has_server(self) -> bool:
        return bool(self.flags.server or self.cluster.get("server"))

    def _no_server(self) -> ConfigError:
        if self.cluster_name and self.cluster_name not in self.kc.clusters and not self.flags.cluster:
            return ConfigError(
                f'cluster "{self.cluster_name}" was not found for context "{self.context_name}"'
            )
        if self.cluster_name:
            return ConfigError(f'no server found for cluster "{self.cluster_name}"')
        return ConfigError(NO_CONFIGURATION)

    def resolve(self, common: dict[str, Any]) -> ClientConfig:
        flags, cluster = self.flags, self.cluster
        if not self.has_server():
            raise self._no_server()
        if self.user_name and self.user_name not in self.kc.users:
            raise ConfigError(f'user "{self.user_name}" was not found for context "{self.context_name}"')
        user: Mapping[str, Any] = self.kc.users.get(self.user_name, {})

        # --- cluster, with flag overrides
        server = normalize_server(str(flags.server or cluster.get("server")))
        ca_file: str | None = cluster.get("certificate-authority") or None
        ca_data: bytes | None = cluster.get("certificate-authority-data") or None
        insecure = bool(cluster.get("insecure-skip-tls-verify"))
        tls_server_name: str | None = cluster.get("tls-server-name") or None
        proxy_url: str | None = cluster.get("proxy-url") or None
        if flags.insecure_skip_tls_verify or flags.certificate_authority:
            insecure = bool(flags.insecure_skip_tls_verify)
            ca_file, ca_data = _abs(flags.certificate_authority), None
        if flags.tls_server_name or flags.server:
            tls_server_name = flags.tls_server_name or None

        # --- user, with flag overrides
        token: str | None = user.get("token") or None
        token_file: str | None = user.get("tokenFile") or None
        username: str | None = user.get("username") or None
        password: str | None = user.get("password") or None
        raw_exec = user.get("exec")
        if flags.token:
            token, token_file, username, password, raw_exec = flags.token, None, None, None, None
        cert_file: str | None = user.get("client-certificate") or None
        cert_data: bytes | None = user.get("client-certificate-data") or None
        key_file: str | None = user.get("client-key") or None
        key_data: bytes | None = user.get("client-key-data") or None
        if flags.client_certificate:
            cert_file, cert_data = _abs(flags.client_certificate), None
        if flags.client_key:
            key_file, key_data = _abs(flags.client_key), None
        as_user = flags.as_user or user.get("as") or None
        as_groups = tuple(flags.as_groups) or tuple(str(g) for g in user.get("as-groups") or ())

        # --- validation, in client-go's order (user first, then cluster); all problems reported at once
        errors: list[str] = []
        uname, cname = self.user_name, self.cluster_name
        methods = (["token"] if token else []) + (["basicAuth"] if username or password else [])
        if cert_file or cert_data:
            if cert_file and cert_data:
                errors.append(
                    f"client-cert-data and client-cert are both specified for {uname}. "
                    "client-cert-data will override."
                )
            if key_file and key_data:
                errors.append(
                    f"client-key-data and client-key are both specified for {uname}; "
                    "client-key-data will override"
                )
            if not key_file and not key_data:
                errors.append(
                    f"client-key-data or client-key must be specified for {uname} "
                    "to use the clientCert authentication method."
                )
            if cert_file and not cert_data:
                cert_data = _read(cert_file, "client-cert", uname, errors)
            if key_file and not key_data:
                key_data = _read(key_file, "client-key", uname, errors)
        elif key_file or key_data:
            errors.append(
                f"client-cert-data or client-cert must be specified for {uname} "
                "to use the clientCert authentication method."
            )
        exec_cfg: ExecConfig | None = None
        if isinstance(raw_exec, dict):
            exec_cfg, exec_errors = ExecConfig.from_kubeconfig(uname, raw_exec)
            errors.extend(exec_errors)
        if len(methods) > 1:
            errors.append(
                f"more than one authentication method found for {uname}; "
                f"found [{' '.join(methods)}], only one is allowed"
            )
        if as_groups and not as_user:
            errors.append(f"requesting uid, groups or user-extra for {uname} without impersonating a user")
        if proxy_url:
            scheme = urlsplit(proxy_url).scheme
            if scheme not in ("http", "https", "socks5"):
                errors.append(
                    f'invalid \'proxy-url\' "{proxy_url}" for cluster "{cname}": '
                    f'unsupported scheme "{scheme}", must be http, https, or socks5'
                )
        if ca_file and ca_data:
            errors.append(
                f"certificate-authority-data and certificate-authority are both specified for {cname}. "
                "certificate-authority-data will override."
            )
        if ca_file:
            file_data = _read(ca_file, "certificate-authority", cname, errors)
            ca_data = ca_data or file_data  # the inline data overrides the file, as in client-go
        if len(errors) == 1:
            raise ConfigError(errors[0])
        if errors:
            raise InvalidConfiguration(errors)
        if insecure and (ca_file or ca_data):
            raise ConfigError(INSECURE_WITH_CA)

        # --- credentials (kubectl applies them only over TLS)
        https = server.lower().startswith("https://")
        credentials: Credentials = NoCredentials()
        if not https:
            cert_data = key_data = None
        elif token_file and not flags.token:
            credentials = TokenFileCredentials(token_file, clock=self.clock, initial=None)
            credentials.read()  # kubectl reads it while loading: an unreadable file fails now
        elif token:
            credentials = TokenCredentials(token)
        elif username or password:
            credentials = BasicCredentials(username or "", password or "")
        elif exec_cfg is not None and not cert_data:
            info = cluster_info(
                server=server,
                tls_server_name=tls_server_name,
                insecure_skip_tls_verify=insecure,
                ca_data=ca_data,
                proxy_url=proxy_url,
                extension=_exec_extension(cluster),
            )
            credentials = ExecCredentials(
                exec_cfg,
                cluster=info,
                environ=self.env,
                clock=self.clock,
                is_terminal=self.is_terminal or stdin_is_terminal,
            )

        return ClientConfig(
            server=server,
            namespace=flags.namespace or str(self.context.get("namespace") or "") or "default",
            namespace_explicit=bool(flags.namespace),
            context_name=self.context_name or None,
            ca_data=ca_data,
            insecure_skip_tls_verify=insecure,
            tls_server_name=tls_server_name,
            client_cert_data=cert_data,
            client_key_data=key_data,
            credentials=credentials,
            proxy_url=proxy_url,
            impersonate_user=as_user,
            impersonate_groups=as_groups,
            **common,
        )


def _exec_extension(cluster: Mapping[str, Any]) -> Any:
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
        **common,
    )
