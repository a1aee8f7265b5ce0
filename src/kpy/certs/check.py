"""Collect the rows of ``kpy certs check`` for a whole kubeconfig: files and embedded data are read, each
cluster's server is asked for its chain concurrently (an unreachable server is a row, not a failure)."""

from __future__ import annotations

import asyncio
from typing import Any

from kpy.certs.chain import fetch_chain
from kpy.certs.expiry import Row, ca_rows, chain_rows, sort_rows, user_rows
from kpy.config.kubeconfig import KubeConfig


async def collect(config: KubeConfig, *, timeout: float = 10.0, servers: bool = True) -> list[Row]:
    rows = user_rows(config.users, config.contexts) + ca_rows(config.clusters, config.contexts)
    if servers:

        async def one(name: str, cluster: Any) -> list[Row]:
            ca = cluster.get("certificate-authority-data")
            if not isinstance(ca, bytes) and isinstance(cluster.get("certificate-authority"), str):
                try:
                    with open(cluster["certificate-authority"], "rb") as fh:
                        ca = fh.read()
                except OSError:
                    ca = None
            chain = await fetch_chain(
                str(cluster.get("server", "")),
                ca_pem=ca if isinstance(ca, bytes) else None,
                tls_server_name=cluster.get("tls-server-name") or None,
                insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
                timeout=timeout,
            )
            using = tuple(sorted(c for c, body in config.contexts.items() if body.get("cluster") == name))
            return chain_rows(name, chain, using)

        results = await asyncio.gather(*(one(n, c) for n, c in config.clusters.items()))
        for part in results:
            rows += part
    return sort_rows(rows)
