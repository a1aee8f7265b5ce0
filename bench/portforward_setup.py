"""Per-connection set-up latency of port-forward: kpy (each ``--protocol``) vs kubectl, in one run.

Run: .venv/bin/python bench/portforward_setup.py [--count 300] [--real]

Each tool runs as its own ``port-forward`` process; one local connection at a time is opened, a one-line
HTTP/1.0 request sent and the first byte of the answer awaited (connect + stream set-up + one round trip to
the pod), then closed. Without ``--real`` the target is the emulator (``kpy.testing.EmulatorThread``, HTTPS,
pod ``web`` answering HTTP); with ``--real`` it is ``$KUBECONFIG``'s cluster and its pod ``default/web`` port 80
(the realk8s kit: ``source /root/.cache/kpy-realk8s/env``). kubectl 1.32 tunnels SPDY in a WebSocket, kubectl
1.29 upgrades to SPDY. Ratios are against kubectl 1.32 measured in the same run. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

SDK = Path("/usr/lib/google-cloud-sdk/bin")


async def http_pod(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()
    writer.close()


def start(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ->", line)
    if match is None:
        proc.kill()
        raise RuntimeError(f"{argv[0]} did not start: {line!r}")
    return proc, int(match.group(1))


def probe(port: int) -> float:
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        if not sock.recv(1):
            raise RuntimeError("no answer through the forward")
        elapsed = time.perf_counter() - start
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    return elapsed * 1000


def measure(argv: list[str], env: dict[str, str], count: int) -> tuple[float, float]:
    proc, port = start(argv, env)
    try:
        for _ in range(10):  # warm-up: the shared connection, lazy imports
            probe(port)
        samples = sorted(probe(port) for _ in range(count))
    finally:
        proc.terminate()
        proc.wait(30)
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--real", action="store_true", help="the cluster of $KUBECONFIG (pod default/web)")
    args = parser.parse_args()
    thread = None
    if args.real:
        env = dict(os.environ)
        where = f"real API server ({env.get('KUBECONFIG')})"
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from kpy.testing import EmulatorThread

        thread = EmulatorThread(seed=True).__enter__()

        async def serve() -> None:
            server = await asyncio.start_server(http_pod, "127.0.0.1", 0)
            thread.emulator.set_port_backend(
                "default", "web", 80, "127.0.0.1", server.sockets[0].getsockname()[1]
            )

        thread.run(serve())
        env = {**os.environ, "KUBECONFIG": str(thread.emulator.kubeconfig_path), "HOME": "/nonexistent"}
        where = "emulator (HTTPS, in this process's thread)"
    kpy = str(Path(sys.executable).with_name("kpy"))
    common = ["port-forward", "pod/web", ":80", "--address", "127.0.0.1"]
    tools = [("kubectl 1.32 (tunnel)", [str(SDK / "kubectl.1.32"), *common])]
    if (SDK / "kubectl.1.29").exists():
        tools.append(("kubectl 1.29 (spdy)", [str(SDK / "kubectl.1.29"), *common]))
    tools += [(f"kpy --protocol {p}", [kpy, *common, "--protocol", p]) for p in ("tunnel", "spdy", "v4")]
    try:
        results = {name: measure(argv, env, args.count) for name, argv in tools}
    finally:
        if thread is not None:
            thread.__exit__(None, None, None)
    base50, base99 = results["kubectl 1.32 (tunnel)"]
    print(f"port-forward set-up + first byte, {args.count} sequential connections, {where}")
    print(f"{'tool':28} {'p50 ms':>8} {'p99 ms':>8} {'p50/kubectl':>12} {'p99/kubectl':>12}")
    for name, (p50, p99) in results.items():
        print(f"{name:28} {p50:8.2f} {p99:8.2f} {p50 / base50:12.2f} {p99 / base99:12.2f}")


if __name__ == "__main__":
    main()
