"""kubectl's own ``port-forward`` (1.27, 1.30, 1.32, 1.33) against the sandbox, byte-exact both ways at 256 MiB.

Run: .venv/bin/python bench/portforward_kubectl.py [--mib 256] [--versions 1.27,1.30,1.32,1.33]

The suite checks the same with 2 MiB (tests/integration/portforward/test_kubectl_spdy.py); this is the issue's
full-size proof, run by hand. kubectl 1.30 and older upgrade the connection to SPDY/3.1, 1.31+ tunnel SPDY in a
WebSocket. Per version, one forwarded connection: the pod sends ``--mib`` MiB while the client uploads ``--mib``
MiB and then half-closes; the pod answers the SHA-256 of everything it received and closes. The client checks
the download byte for byte and the pod's digest of the upload. Prints the protocol the emulator saw, MiB/s
and OK/FAIL per version; exits 1 on any failure. Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SDK = Path("/usr/lib/google-cloud-sdk/bin")
MiB = 1 << 20
BLOCK = os.urandom(MiB)


def block(i: int) -> bytes:
    """The i-th MiB of the stream: distinct per offset, so a reordered or repeated block is caught."""
    return i.to_bytes(8, "big") + BLOCK[8:]


def pod(sock: socket.socket, mib: int) -> None:
    """Send ``mib`` MiB while hashing what arrives; at the client's EOF answer the digest and close."""
    digest = hashlib.sha256()

    def receive() -> None:
        buf = bytearray(MiB)
        while n := sock.recv_into(buf):
            digest.update(memoryview(buf)[:n])

    reader = threading.Thread(target=receive)
    reader.start()
    try:
        for i in range(mib):
            sock.sendall(block(i))
        reader.join()
        sock.sendall(digest.digest())
    finally:
        sock.close()


def serve_pod(mib: int) -> int:
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=pod, args=(conn, mib), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


def client(port: int, mib: int) -> tuple[bool, str]:
    expected_up = hashlib.sha256()
    for i in range(mib):
        expected_up.update(block(i)[::-1])
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:

        def send() -> None:
            for i in range(mib):
                sock.sendall(block(i)[::-1])  # a different stream from the pod's
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        got = bytearray()
        down = hashlib.sha256()
        want = hashlib.sha256()
        for i in range(mib):
            want.update(block(i))
        size = 0
        buf = bytearray(MiB)
        while n := sock.recv_into(buf):
            chunk = memoryview(buf)[:n]
            take = max(0, min(n, mib * MiB - size))
            down.update(chunk[:take])
            got += chunk[take:]
            size += n
        sender.join()
    if size != mib * MiB + 32:
        return False, f"received {size} bytes, expected {mib * MiB + 32}"
    if down.digest() != want.digest():
        return False, "the download differs"
    if bytes(got) != expected_up.digest():
        return False, "the pod received a different upload"
    return True, "byte-exact both ways"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--versions", default="1.27,1.30,1.32,1.33")
    args = parser.parse_args()
    from kpy.testing import EmulatorThread

    failed = False
    with EmulatorThread(seed=True) as thread:
        em = thread.emulator
        em.set_port_backend("default", "web", 80, "127.0.0.1", serve_pod(args.mib))
        print(f"{'kubectl':8} {'protocol':9} {'MiB/s':>8}  result")
        for version in args.versions.split(","):
            binary = SDK / f"kubectl.{version}"
            env = {**os.environ, "KUBECONFIG": str(em.kubeconfig_path), "HOME": "/nonexistent"}
            proc = subprocess.Popen(
                [str(binary), "port-forward", "--address", "127.0.0.1", "pod/web", ":80"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            assert proc.stdout is not None
            match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ->", proc.stdout.readline())
            if match is None:
                proc.kill()
                print(f"{version:8} kubectl did not start: {proc.communicate()[1].strip()}")
                failed = True
                continue
            start = time.perf_counter()
            ok, detail = client(int(match.group(1)), args.mib)
            elapsed = time.perf_counter() - start
            protocols = ",".join(s.protocol for s in em.portforward_sessions)
            proc.terminate()
            proc.communicate(timeout=30)
            failed |= not ok
            rate = 2 * args.mib / elapsed
            print(f"{version:8} {protocols:9} {rate:8.0f}  {'OK' if ok else 'FAIL'}: {detail}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
