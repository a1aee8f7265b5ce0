"""Hand kpy's kubeconfig resolution to the official ``kubernetes`` client.

``kubernetes.config.load_kube_config`` merges ``KUBECONFIG=a:b`` differently from kubectl: the *last* file's
``current-context`` wins (client-go: the first file that sets one), so the official client can talk to another
cluster than kubectl does. kpy resolves the kubeconfig exactly as client-go's ``clientcmd`` does (flags,
``KUBECONFIG`` merge, exec plugins, token files, in-cluster), and :func:`kubernetes_configuration` turns the
result into a ``kubernetes.client.Configuration``::

    from kubernetes import client
    from kpy.config import kubernetes_configuration

    api = client.CoreV1Api(client.ApiClient(kubernetes_configuration()))
    print([ns.metadata.name for ns in api.list_namespace().items])

What is carried over: the server, TLS (CA, ``insecure-skip-tls-verify``, ``tls-server-name``, the client
certificate and key), the proxy, and the bearer token or basic credentials. Certificates and keys given as
data are written to a private temporary directory (0700, files 0600) that is removed when the Configuration is
garbage-collected or at exit. Tokens that change (token files, exec plugins, OIDC) are re-read through the
Configuration's ``refresh_api_key_hook`` before each request, on kpy's rules (token files every minute, exec
credentials when they expire). A client certificate from an exec plugin is read once, when the Configuration is
made (the official client builds its TLS context once). Impersonation is not a Configuration setting: :func:`kubernetes_api_client`
adds the ``Impersonate-*`` headers. ``kubernetes`` is imported only when these functions are called.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kpy.config.credentials import NoCredentials, TokenCredentials

if TYPE_CHECKING:
    from kpy.config.client_config import ClientConfig
    from kpy.config.flags import ConnectionFlags

T = TypeVar("T")


class _CredentialLoop:
    """One event loop on a daemon thread for the credentials' coroutines (their locks belong to one loop)."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def run(cls, coro: Coroutine[Any, Any, T]) -> T:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="kpy-credentials", daemon=True).start()
                cls._loop = loop
        return asyncio.run_coroutine_threadsafe(coro, cls._loop).result()


def _private_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="kpy-kubernetes-"))
    path.chmod(0o700)
    return path


def _write_private(directory: Path, name: str, data: bytes) -> str:
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return str(path)


def kubernetes_configuration(
    config: ClientConfig | None = None,
    *,
    flags: ConnectionFlags | None = None,
    env: Mapping[str, str] | None = None,
) -> Any:
    """A ``kubernetes.client.Configuration`` for ``config``, or for the kubeconfig kubectl would use with
    ``flags`` (``--kubeconfig``, ``--context``, ``-s`` ...; default: none) and ``env`` (default: the process
    environment, ``KUBECONFIG`` included). Raises kpy's configuration errors, worded as kubectl's."""
    from kubernetes import client

    if config is None:
        from kpy.config.flags import ConnectionFlags
        from kpy.config.loader import load_client_config

        config = load_client_config(flags or ConnectionFlags(), env)
    conf: Any = client.Configuration()
    conf.host = config.server
    conf.verify_ssl = not config.insecure_skip_tls_verify
    conf.tls_server_name = config.tls_server_name
    if config.proxy_url:
        conf.proxy = config.proxy_url
    directory: Path | None = None

    def private(name: str, data: bytes) -> str:
        nonlocal directory
        if directory is None:
            directory = _private_dir()
            weakref.finalize(conf, shutil.rmtree, directory, True)
        return _write_private(directory, name, data)

    if config.ca_data is not None and config.is_https:
        conf.ssl_ca_cert = private("ca.crt", config.ca_data)
    credentials = config.credentials
    cert = (config.client_cert_data, config.client_key_data)
    if not (cert[0] and cert[1]) and not isinstance(credentials, (NoCredentials, TokenCredentials)):
        dynamic = _CredentialLoop.run(credentials.client_certificate())  # an exec plugin's certificate
        if dynamic is not None:
            cert = dynamic
    if cert[0] and cert[1]:
        conf.cert_file = private("client.crt", cert[0])
        conf.key_file = private("client.key", cert[1])
    if isinstance(credentials, TokenCredentials):  # fixed: no refresh needed
        conf.api_key = {"authorization": _CredentialLoop.run(credentials.auth_headers())["Authorization"]}
    elif not isinstance(credentials, NoCredentials):

        def refresh(target: Any) -> None:
            header = _CredentialLoop.run(credentials.auth_headers()).get("Authorization")
            if header:
                target.api_key["authorization"] = header
            else:
                target.api_key.pop("authorization", None)

        refresh(conf)
        conf.refresh_api_key_hook = refresh
    return conf


def kubernetes_api_client(
    config: ClientConfig | None = None,
    *,
    flags: ConnectionFlags | None = None,
    env: Mapping[str, str] | None = None,
) -> Any:
    """A ``kubernetes.client.ApiClient`` on :func:`kubernetes_configuration`, with the ``Impersonate-*`` headers
    (``--as``, ``--as-uid``, ``--as-group``, the kubeconfig's ``as-user-extra``). The client sends each default
    header once, so more than one impersonated group, or extra value per key, is refused (``ValueError``)
    rather than sent wrong."""
    from kubernetes import client

    if config is None:
        from kpy.config.flags import ConnectionFlags
        from kpy.config.loader import load_client_config

        config = load_client_config(flags or ConnectionFlags(), env)
    if len(config.impersonate_groups) > 1:
        raise ValueError("the kubernetes client sends one Impersonate-Group header: impersonate one group")
    if any(len(values) > 1 for _, values in config.impersonate_extra):
        raise ValueError(
            "the kubernetes client sends one header per name: impersonate one value per extra key"
        )
    api: Any = client.ApiClient(kubernetes_configuration(config))
    for key, value in config.impersonation_headers.items():
        api.set_default_header(key, value if isinstance(value, str) else value[0])
    return api
