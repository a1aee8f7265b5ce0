"""``Emulator(tls=False)``: plain HTTP on loopback, like ``kubectl proxy`` (used by bench/portforward.py --plain)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL
from tests.integration.portforward.transfer import PodSide, client_side, digest, pattern

from kpy.config import ConnectionFlags, load_client_config
from kpy.portforward import PortForwarder
from kpy.rest import RestClient
from kpy.testing import Emulator

MiB = 1 << 20


async def test_plain_emulator_serves_http_without_credentials(tmp_path: Any) -> None:
    async with Emulator(seed=True, tls=False) as em:
        assert em.url.startswith("http://127.0.0.1:")
        config_file = json.loads(em.kubeconfig_path.read_text())
        cluster = config_file["clusters"][0]["cluster"]
        assert cluster == {"server": em.url}  # no CA: nothing to verify over plain HTTP
        with pytest.raises(ValueError, match="needs TLS"):
            em.write_kubeconfig(tmp_path / "cert", auth="cert")

        config = load_client_config(ConnectionFlags(kubeconfig=str(em.kubeconfig_path)), env={"HOME": "/x"})
        async with RestClient(config) as client:
            pods = await client.get_json("/api/v1/namespaces/default/pods")
        assert "web" in [p["metadata"]["name"] for p in pods["items"]]
        served = [r for r in em.requests if r.path == "/api/v1/namespaces/default/pods"]
        # kpy (like kubectl) sends its bearer token only over TLS; the emulator plays the authenticating proxy
        assert served and all("Authorization" not in r.headers for r in served)
        assert served[-1].status == 200 and served[-1].user == "kpy-admin"


async def test_port_forward_over_plain_http_is_byte_exact() -> None:
    async with Emulator(seed=True, tls=False) as em:
        size = 8 * MiB
        pod = PodSide(download=size, expected_connections=2)
        backend = await asyncio.start_server(pod, "127.0.0.1", 0, limit=1 << 20)
        em.set_port_backend("default", "web", 80, "127.0.0.1", backend.sockets[0].getsockname()[1])
        config = load_client_config(ConnectionFlags(kubeconfig=str(em.kubeconfig_path)), env={"HOME": "/x"})
        try:
            async with (
                RestClient(config) as client,
                PortForwarder(client, "pod/web", [":80"], addresses=["127.0.0.1"]) as fw,
            ):
                port = fw.listeners[0].local_port
                got = await asyncio.gather(*(client_side("127.0.0.1", port, i, size, size) for i in range(2)))
                await asyncio.wait_for(pod.done.wait(), 60)
        finally:
            backend.close()
            await backend.wait_closed()
    for i in range(2):
        assert got[i] == digest(pattern(10_000 + i, size))
        assert pod.received[i] == digest(pattern(i, size))


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (runs whenever kubectl is on PATH)")
async def test_kubectl_works_against_the_plain_emulator() -> None:
    assert KUBECTL is not None
    async with Emulator(seed=True, tls=False) as em:
        proc = await asyncio.create_subprocess_exec(
            KUBECTL,
            "--kubeconfig",
            str(em.kubeconfig_path),
            "get",
            "pods",
            "-n",
            "default",
            "-o",
            "name",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "pod/web" in out.decode().split()
