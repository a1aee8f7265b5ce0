"""``kpy certs user`` end to end: CSR → certificate → kubeconfig (0600, certificates embedded, the cluster and CA
of the current context) → bindings → one authenticated request with the new kubeconfig."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpy.certs import access, files
from kpy.certs.request import Issued, UserRequest, key_dir_for, request_certificate
from kpy.config.client_config import ClientConfig

if TYPE_CHECKING:
    from kpy.rest import RestClient


@dataclass(frozen=True)
class UserOutcome:
    issued: Issued
    kubeconfig: Path
    bindings: tuple[tuple[access.Binding, str], ...]  #: (binding, "created" | "unchanged")
    verified: access.Verified


def user_kubeconfig_for(
    config: ClientConfig, cluster_name: str, issued: Issued, user: str
) -> dict[str, object]:
    return files.user_kubeconfig(
        cluster_name=cluster_name,
        server=config.server,
        ca_pem=config.ca_data,
        insecure_skip_tls_verify=config.insecure_skip_tls_verify,
        tls_server_name=config.tls_server_name,
        user_name=user,
        cert_pem=issued.cert_pem,
        key_pem=issued.key_pem,
        namespace=config.namespace if config.namespace_explicit else None,
    )


async def create_user(
    client: RestClient,
    request: UserRequest,
    *,
    cluster_name: str,
    out: Path,
    bindings: Sequence[access.Binding] = (),
    on_waiting: Callable[[str], None] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> UserOutcome:
    """With ``client`` (the caller's credentials, on the current context): the certificate, the kubeconfig at
    ``out`` (mode 0600), the bindings; then one request with the new kubeconfig."""
    from kpy.config import ConnectionFlags, load_client_config
    from kpy.rest import RestClient

    config = client.config
    issued = await request_certificate(
        client,
        request,
        key_dir=key_dir_for(config.cache_dir, config.server),
        on_waiting=on_waiting,
        now=now,
    )
    kubeconfig = files.write_kubeconfig(out, user_kubeconfig_for(config, cluster_name, issued, request.name))
    done = tuple([(b, await access.ensure_binding(client, b, request.name)) for b in bindings])
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    new = load_client_config(ConnectionFlags(kubeconfig=str(kubeconfig)), env=env)
    async with RestClient(new) as as_user:
        verified = await access.verify(as_user)
    return UserOutcome(issued, kubeconfig, done, verified)
