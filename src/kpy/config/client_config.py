"""``ClientConfig``: everything the REST layer needs to reach one API server, fully resolved."""

from __future__ import annotations

import os
from pathlib import Path

from kpy.config.credentials import Credentials, NoCredentials
from kpy.dataclasslite import dataclass, field
from kpy.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)

INSECURE_WITH_CA = "specifying a root certificates file with the insecure flag is not allowed"

if TYPE_CHECKING:  # ssl loads with the first connection, not with the configuration
    import ssl

    from kpy.config.exec_plugin import ExecConfig


#: the bytes a header name may hold unescaped (RFC 7230 token characters)
_TOKEN = frozenset(b"!#$&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def header_key_escape(key: str) -> str:
    """An ``as-user-extra`` key as client-go puts it in a header name: every byte that is not a token character,
    and ``%``, as ``%XX`` (the API server path-unescapes it)."""
    return "".join(chr(b) if b in _TOKEN else f"%{b:02X}" for b in key.encode())


def _canonical(name: str) -> str:
    """A header name as Go's ``http.Header`` writes it (CanonicalMIMEHeaderKey: ``Impersonate-Extra-Scopes``)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


@dataclass(frozen=True)
class ClientConfig:
    """A resolved connection: server, namespace, TLS material, credentials and client-side limits.

    Built by ``load_client_config``; immutable except for the credentials object's own cache.
    """

    server: str  #: "https://127.0.0.1:6443" (no trailing slash; may carry a path prefix)
    namespace: str = "default"  #: flag > context > "default" (in-cluster: POD_NAMESPACE / namespace file)
    namespace_explicit: bool = False  #: True when -n was given
    context_name: str | None = None
    ca_data: bytes | None = None  #: PEM; None = the system trust store
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_data: bytes | None = None  #: PEM
    client_key_data: bytes | None = None  #: PEM
    credentials: Credentials = field(default_factory=NoCredentials)
    proxy_url: str | None = None
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None
    #: the kubeconfig user's ``as-user-extra``: (key, values) pairs
    impersonate_extra: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: the kubeconfig user's ``auth-provider`` name (its credentials are ``credentials``), if any
    auth_provider: str | None = None
    #: the kubeconfig user's exec plugin, if any (``credentials`` runs it unless something else authenticates)
    exec_plugin: ExecConfig | None = None
    request_timeout: float | None = None  #: seconds; None = no timeout
    qps: float = 5.0
    burst: int = 10
    cache_dir: Path = Path("~/.kube/cache")

    def __repr__(self) -> str:
        # never show key material or tokens (the credentials' own repr masks them)
        return (
            f"ClientConfig(server={self.server!r}, namespace={self.namespace!r}, "
            f"context_name={self.context_name!r}, credentials={self.credentials!r})"
        )

    @property
    def is_https(self) -> bool:
        return self.server.lower().startswith("https://")

    @property
    def impersonation_headers(self) -> dict[str, str | list[str]]:
        """``Impersonate-User``, ``Impersonate-Uid``, ``Impersonate-Group`` (repeated: one header per group) and
        ``Impersonate-Extra-KEY`` (one per value), as client-go's impersonating round tripper sends them."""
        headers: dict[str, str | list[str]] = {}
        if self.impersonate_user:
            headers["Impersonate-User"] = self.impersonate_user
        if self.impersonate_uid:
            headers["Impersonate-Uid"] = self.impersonate_uid
        if self.impersonate_groups:
            headers["Impersonate-Group"] = list(self.impersonate_groups)
        for key, values in self.impersonate_extra:
            if values:
                headers[_canonical("Impersonate-Extra-" + header_key_escape(key))] = list(values)
        return headers

    def ssl_context(self, client_cert: tuple[bytes, bytes] | None = None) -> ssl.SSLContext | None:
        """A new TLS context for this server, or None for ``http://`` servers.

        Verification is on unless ``insecure_skip_tls_verify``; with ``ca_data`` only that CA is trusted
        (as kubectl), else the system store. The client certificate is ``client_cert`` if given (an exec
        plugin's, from ``credentials.client_certificate()``), else the static one. Python can only load a
        key pair from files, so it is written to a private temp dir (mode 0700/0600) and removed right after
        ``load_cert_chain``.

        ``tls_server_name`` cannot live in an ``SSLContext``: the REST layer passes it as the server name
        of each connection — aiohttp: ``session.request(..., server_hostname=config.tls_server_name)``
        (also accepted by ``ws_connect``); asyncio: ``open_connection(..., server_hostname=...)``. With it,
        SNI and hostname verification both use that name instead of the URL's host.
        """
        import ssl

        if not self.is_https:
            return None
        if self.insecure_skip_tls_verify and self.ca_data:
            raise ConfigError(INSECURE_WITH_CA)
        if self.insecure_skip_tls_verify:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_data:
            try:
                ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=self.ca_data.decode("ascii"))
            except (ssl.SSLError, ValueError, UnicodeDecodeError) as exc:
                raise ConfigError(f"unable to load root certificates: {_ssl_reason(exc)}") from None
        else:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if ctx.verify_mode == ssl.CERT_REQUIRED:
            ctx.hostname_checks_common_name = False  # Go ignores the CN: a certificate needs SANs
        pair = client_cert or (
            (self.client_cert_data, self.client_key_data)
            if self.client_cert_data and self.client_key_data
            else None
        )
        if pair is not None:
            load_cert_chain_from_memory(ctx, pair[0], pair[1])
        return ctx


def load_cert_chain_from_memory(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """``ctx.load_cert_chain`` for in-memory PEM: via 0600 temp files deleted before returning."""
    import ssl
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kpy-tls-") as tmp:
        cert_path = os.path.join(tmp, "client.crt")
        key_path = os.path.join(tmp, "client.key")
        for path, data in ((cert_path, cert_pem), (key_path, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            ctx.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise ConfigError(f"tls: failed to load client certificate/key: {_ssl_reason(exc)}") from None


def _ssl_reason(exc: Exception) -> str:
    import ssl

    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).lower().replace("_", " ")
    return str(exc)
