"""@kubernetes/client-node's ``PortForward`` (v4.channel.k8s.io) against the sandbox, byte-exact both ways.

Run: .venv/bin/python bench/portforward_clientnode.py [--mib 64] [--dir /tmp/clientnode]

Installs ``@kubernetes/client-node`` with npm into ``--dir`` (a temporary directory, never the repository) when
it is not there, then runs the package's own local-server pattern (``net.createServer`` + ``portForward``)
against an in-process emulator. One connection: the pod sends ``--mib`` MiB, then echoes; the client checks
the download, then sends ``--mib`` MiB and checks the echo. Exits 1 on failure. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

MiB = 1 << 20
DRIVER = """
import * as k8s from '@kubernetes/client-node';
import net from 'node:net';
const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const pf = new k8s.PortForward(kc);
const server = net.createServer((socket) => {
  pf.portForward('default', 'web', [80], socket, null, socket).catch((e) => console.error(String(e)));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/clientnode"))
    args = parser.parse_args()
    root: Path = args.dir
    if not (root / "node_modules" / "@kubernetes" / "client-node").exists():
        root.mkdir(parents=True, exist_ok=True)
        # undici 7+ (client-node 2.x's HTTP client) needs Node 22; 6.x runs on this machine's Node 20
        (root / "package.json").write_text(
            '{"name": "clientnode", "private": true, "overrides": {"undici": "^6"}}\n'
        )
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "@kubernetes/client-node"], cwd=root, check=True
        )
    (root / "pf.mjs").write_text(DRIVER)
    version = subprocess.run(
        ["node", "-p", "require('@kubernetes/client-node/package.json').version"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout.strip()
    from kpy.testing import EmulatorThread

    down = hashlib.sha256(b"client-node").digest() * (args.mib * MiB // 32)
    up = os.urandom(args.mib * MiB)

    async def speak_then_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(down)
        await writer.drain()
        while data := await reader.read(1 << 20):
            writer.write(data)
            await writer.drain()
        writer.close()

    with EmulatorThread(seed=True) as thread:
        em = thread.emulator

        async def start_pod() -> int:
            server = await asyncio.start_server(speak_then_echo, "127.0.0.1", 0)
            return int(server.sockets[0].getsockname()[1])

        em.set_port_backend("default", "web", 80, "127.0.0.1", thread.run(start_pod()))
        env = {**os.environ, "KUBECONFIG": str(em.kubeconfig_path)}
        node = subprocess.Popen(
            ["node", "pf.mjs"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert node.stdout is not None
            port = int(node.stdout.readline())
            start = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                got = bytearray()
                while len(got) < len(down):
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        break
                    got += chunk
                ok_down = bytes(got) == down
                sock.sendall(up)
                back = bytearray()
                while len(back) < len(up):
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        break
                    back += chunk
                ok_up = bytes(back) == up
            elapsed = time.perf_counter() - start
            protocols = ",".join(s.protocol for s in em.portforward_sessions) or "(ended)"
        finally:
            node.terminate()
            _, err = node.communicate(timeout=30)
    ok = ok_down and ok_up
    print(
        f"@kubernetes/client-node {version}: protocol {protocols}, {2 * args.mib} MiB in {elapsed:.1f} s: "
        f"{'OK: byte-exact both ways' if ok else f'FAIL (download ok={ok_down}, upload ok={ok_up}) {err}'}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
