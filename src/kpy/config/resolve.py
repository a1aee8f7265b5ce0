"""client-go's ``DirectClientConfig`` as kubectl drives it: merged context, user and cluster, and validation.

kubectl's commands first ask for the namespace (``Namespace()``: without ``-n`` it validates the chosen
context, user and cluster, ``ConfirmUsable``), then for the REST config (``ClientConfig()``: a named
``--user``/``--context``/``--cluster`` that does not exist is an error, then the same validation). This module
does both steps in that order, with client-go's messages:

* names: ``--context`` or ``current-context``; user and cluster from ``--user``/``--cluster`` or the context.
  A context whose user is missing proceeds without credentials; a context whose cluster is missing (or has no
  server), or no configuration at all, proceeds to ``http://localhost:8080`` (``$KUBERNETES_MASTER`` if set),
  where kubectl then fails with "The connection to the server localhost:8080 was refused".
* flags override the merged entries field by field, only where given (``--token`` keeps a file's
  ``tokenFile``, which client-go then prefers); ``--certificate-authority``/``--insecure-skip-tls-verify``
  replace the file's CA settings; ``-s``/``--tls-server-name`` replace its ``tls-server-name``.
* every validation problem is listed in one ``invalid configuration: [a, b]``
  (:class:`InvalidConfiguration`), user problems before cluster problems; paths appear as typed (flags) or as
  resolved against their kubeconfig's directory (files).

Checked against client-go on generated cases: tests/data/clientgo, tests/unit/config/
test_clientgo_differential.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from kpy.config.flags import ConnectionFlags
from kpy.config.kubeconfig import KubeConfig
from kpy.dataclasslite import dataclass
from kpy.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object  # the run-time value of the aliases below (mypy reads typing's)

DEFAULT_SERVER = "http://localhost:8080"
_CONTEXT_NOT_FOUND = "context was not found for specified context"

Entry = dict[str, Any]


class InvalidConfiguration(ConfigError):
    """client-go's ``errConfigurationInvalid``: ``invalid configuration: [a, b]`` (one problem: no brackets).

    ``format()`` is how kubectl shows it, on one line: several problems as ``Error in configuration: a; b``
    (kubectl puts each on its own ``* `` line); a single one as ``error: ...`` when kubectl met it asking for
    the namespace (it unwraps one-element lists there), else as ``Error in configuration: ...``; a missing
    context always as the latter.
    """

    def __init__(self, errors: list[str], *, unwrap_single: bool = False) -> None:
        unique = list(dict.fromkeys(errors))  # utilerrors.Aggregate prints each message once
        text = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
        super().__init__(f"invalid configuration: {text}")
        self.errors = unique
        self.unwrap_single = unwrap_single

    def format(self) -> str:
        if len(self.errors) > 1:
            return "Error in configuration: " + "; ".join(self.errors)
        only = self.errors[0]
        if self.unwrap_single and _CONTEXT_NOT_FOUND not in only:
            return f"error: {only}"
        return f"Error in configuration: {only}"


def _given(value: Any) -> bool:
    """mergo's "non-empty": what a later source may override with."""
    return value not in (None, "", False, 0, b"") and value != [] and value != {}


def _overlay(base: Entry, top: Mapping[str, Any]) -> Entry:
    merged = dict(base)
    merged.update({k: v for k, v in top.items() if _given(v)})
    return merged


@dataclass(frozen=True)
class Resolved:
    """The merged entries for one command, validated."""

    namespace: str
    namespace_explicit: bool
    context_name: str
    user_name: str
    cluster_name: str
    user: Entry
    cluster: Entry
    #: the server came from no kubeconfig and no flag (kubectl's defaults: in-cluster config may take over)
    default_server: bool


class _Merger:
    def __init__(self, kc: KubeConfig, flags: ConnectionFlags, env: Mapping[str, str]) -> None:
        self.kc, self.flags = kc, flags
        self.default_server = env.get("KUBERNETES_MASTER") or DEFAULT_SERVER
        self.context_name = flags.context or kc.current_context

    def context(self) -> tuple[Entry, str | None]:
        """getContext: the merged context, and the error when ``--context`` names a missing one."""
        found = self.kc.contexts.get(self.context_name)
        error = None
        if found is None and self.flags.context:
            error = f'context "{self.context_name}" does not exist'
        merged = _overlay(
            dict(found or {}),
            {"cluster": self.flags.cluster, "user": self.flags.user, "namespace": self.flags.namespace},
        )
        return merged, error

    def user_name(self) -> str:
        return self.flags.user or str(self.context()[0].get("user") or "")

    def cluster_name(self) -> str:
        return self.flags.cluster or str(self.context()[0].get("cluster") or "")

    def user(self) -> tuple[Entry, str | None]:
        """getAuthInfo: the file's user with the flags on top; an error (and {}) for a missing ``--user``."""
        name = self.user_name()
        found = self.kc.users.get(name)
        if found is None and self.flags.user:
            return {}, f'auth info "{name}" does not exist'
        f = self.flags
        merged = _overlay(
            dict(found or {}),
            {"token": f.token, "as": f.as_user, "as-groups": list(f.as_groups), "as-uid": f.as_uid},
        )
        if f.client_key:  # a flag replaces the file's key entirely (file and data)
            merged["client-key"] = f.client_key
            merged.pop("client-key-data", None)
        if f.client_certificate:
            merged["client-certificate"] = f.client_certificate
            merged.pop("client-certificate-data", None)
        return merged, None

    def cluster(self) -> tuple[Entry, str | None]:
        """getCluster: defaults, the file's cluster, the flags; an error (and {}) for a missing ``--cluster``."""
        name = self.cluster_name()
        found = self.kc.clusters.get(name)
        if found is None and self.flags.cluster:
            return {}, f'cluster "{name}" does not exist'
        f = self.flags
        merged = _overlay({"server": self.default_server}, found or {})
        merged = _overlay(
            merged,
            {
                "server": f.server,
                "tls-server-name": f.tls_server_name,
                "certificate-authority": f.certificate_authority,
                "insecure-skip-tls-verify": f.insecure_skip_tls_verify,
            },
        )
        if f.insecure_skip_tls_verify or f.certificate_authority:
            merged["insecure-skip-tls-verify"] = bool(f.insecure_skip_tls_verify)
            merged["certificate-authority"] = f.certificate_authority or ""
            merged.pop("certificate-authority-data", None)
        if f.tls_server_name or f.server:
            merged["tls-server-name"] = f.tls_server_name or ""
        return merged, None

    def confirm_usable(self) -> list[str]:
        errors: list[str] = []
        if self.context_name and self.context_name not in self.kc.contexts:
            errors.append(f"{_CONTEXT_NOT_FOUND}: {self.context_name}")
        errors.extend(validate_user(self.user_name(), self.user()[0]))
        errors.extend(validate_cluster(self.cluster_name(), self.cluster()[0]))
        return errors


def resolve(kc: KubeConfig, flags: ConnectionFlags, env: Mapping[str, str]) -> Resolved:
    """kubectl's ``Namespace()`` then ``ClientConfig()`` checks; raises ``ConfigError`` with client-go's words."""
    m = _Merger(kc, flags, env)
    if not flags.namespace:
        errors = m.confirm_usable()
        if errors:
            raise InvalidConfiguration(errors, unwrap_single=True)
    user, user_error = m.user()
    if user_error:
        raise ConfigError(user_error)
    context, context_error = m.context()
    if context_error:
        raise ConfigError(context_error)
    cluster, cluster_error = m.cluster()
    if cluster_error:
        raise ConfigError(cluster_error)
    errors = m.confirm_usable()
    if errors:
        raise InvalidConfiguration(errors)
    found = kc.clusters.get(m.cluster_name()) or {}
    return Resolved(
        namespace=flags.namespace or str(context.get("namespace") or "") or "default",
        namespace_explicit=bool(flags.namespace),
        context_name=m.context_name,
        user_name=m.user_name(),
        cluster_name=m.cluster_name(),
        user=user,
        cluster=cluster,
        default_server=not flags.server and not found.get("server"),
    )


def _readable(path: str, what: str, owner: str, errors: list[str]) -> None:
    """os.Open's check (a directory opens fine, as in Go)."""
    try:
        with open(path, "rb"):
            pass
    except IsADirectoryError:
        pass
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        errors.append(f"unable to read {what} {path} for {owner} due to open {path}: {reason}")


def validate_user(name: str, user: Mapping[str, Any]) -> list[str]:
    """validateAuthInfo, in client-go's order."""
    errors: list[str] = []
    methods = (["token"] if user.get("token") else []) + (
        ["basicAuth"] if user.get("username") or user.get("password") else []
    )
    cert_file, cert_data = user.get("client-certificate"), user.get("client-certificate-data")
    key_file, key_data = user.get("client-key"), user.get("client-key-data")
    if cert_file or cert_data:
        if cert_file and cert_data:
            errors.append(
                f"client-cert-data and client-cert are both specified for {name}. client-cert-data will override."
            )
        if key_file and key_data:
            errors.append(
                f"client-key-data and client-key are both specified for {name}; client-key-data will override"
            )
        if not key_file and not key_data:
            errors.append(
                f"client-key-data or client-key must be specified for {name} "
                "to use the clientCert authentication method."
            )
        if cert_file:
            _readable(str(cert_file), "client-cert", name, errors)
        if key_file:
            _readable(str(key_file), "client-key", name, errors)
    raw_exec = user.get("exec")
    if isinstance(raw_exec, dict):
        from kpy.config.exec_plugin import ExecConfig

        if user.get("auth-provider") is not None:
            errors.append(f"authProvider cannot be provided in combination with an exec plugin for {name}")
        # an unknown apiVersion is the transport's complaint, not validation's
        errors.extend(
            e for e in ExecConfig.from_kubeconfig(name, raw_exec)[1] if not e.startswith("exec plugin:")
        )
    if len(methods) > 1:
        errors.append(
            f"more than one authentication method found for {name}; found [{' '.join(methods)}], only one is allowed"
        )
    if (user.get("as-uid") or user.get("as-groups") or user.get("as-user-extra")) and not user.get("as"):
        errors.append(f"requesting uid, groups or user-extra for {name} without impersonating a user")
    return errors


def validate_cluster(name: str, cluster: Mapping[str, Any]) -> list[str]:
    """validateClusterInfo."""
    errors: list[str] = []
    if not cluster.get("server"):
        errors.append(
            f'no server found for cluster "{name}"' if name else "default cluster has no server defined"
        )
    proxy_url = cluster.get("proxy-url")
    if proxy_url:
        problem = proxy_problem(str(proxy_url))
        if problem:
            errors.append(f'invalid \'proxy-url\' "{proxy_url}" for cluster "{name}": {problem}')
    ca_file, ca_data = cluster.get("certificate-authority"), cluster.get("certificate-authority-data")
    if ca_file and ca_data:
        errors.append(
            f"certificate-authority-data and certificate-authority are both specified for {name}. "
            "certificate-authority-data will override."
        )
    if ca_file:
        _readable(str(ca_file), "certificate-authority", name, errors)
    return errors


def proxy_problem(proxy_url: str) -> str | None:
    """parseProxyURL's complaint about a proxy URL, if any."""
    try:
        scheme = urlsplit(proxy_url).scheme
    except ValueError as exc:
        return str(exc)
    if scheme not in ("http", "https", "socks5"):
        return f'unsupported scheme "{scheme}", must be http, https, or socks5'
    return None
