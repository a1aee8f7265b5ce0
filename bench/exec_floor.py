"""What any client pays to move 1 GiB over TLS here, side by side with ``kubectl exec`` and ``kpy exec``.

Run: .venv/bin/python bench/exec_floor.py [--mib 1024] [--repeat 3]

Issue 17 asks for ``kpy exec`` at <= 0.5x kubectl's client CPU per GiB. This bench measures the floor under
that: a process that does nothing but the transport, with no WebSocket framing, no channel protocol, no
threads and no command line, over a TLS connection to a loopback peer (a Python ``ssl`` server with default
settings, like ``kpy sandbox``'s, so the same cipher: AES-256-GCM):

* up: read the file 256 KiB at a time and send it encrypted (``kpy.streams.tls.TLSStream``: records written
  64 KiB per system call, the cheapest way Python's ``ssl`` offers);
* down: receive and decrypt 256 KiB at a time and write it to a file.

In the same run, ``kubectl exec`` and ``kpy exec`` move the same bytes through ``kpy sandbox`` (up: ``exec -i
web -- sha256sum`` with the file on stdin; down: ``exec web -- cat big.bin`` into a file). CPU is user + system
of each process (``wait4``), medians over ``--repeat`` rounds. If the floor alone is above half of kubectl's CPU,
no client that uses TLS in user space (kernel TLS is off on this kernel: CONFIG_TLS) can meet the 0.5x target
here, whatever its language. Not a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import kpy_exe, kubectl_exe, print_table, run_measured

CHUNK = 256 * 1024


def peer(mode: str, work: Path, size: int) -> None:
    """The loopback TLS peer: ``up`` reads and decrypts until EOF, ``down`` sends ``size`` bytes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(work / "server.crt", work / "server.key")
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    tls = context.wrap_socket(conn, server_side=True)
    buf = memoryview(bytearray(CHUNK))
    if mode == "up":
        while tls.recv_into(buf):
            pass
    else:
        block = os.urandom(CHUNK)
        left = size
        while left:
            n = min(left, CHUNK)
            tls.sendall(block[:n])
            left -= n
    tls.close()


def floor(mode: str, work: Path, port: int, path: Path) -> None:
    """The measured process: the transport alone."""
    from kpy.streams.tls import TLSStream

    context = ssl.create_default_context(cafile=str(work / "ca.crt"))
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = TLSStream(raw, context, "localhost")
    tls.handshake()
    buf = memoryview(bytearray(CHUNK))
    if mode == "up":
        tls.set_write_size(CHUNK + 16)
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                tls.sendall(buf[:n])
        raw.shutdown(socket.SHUT_WR)
        raw.recv(1)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while n := tls.recv_into(buf):
                view = buf[:n]
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer(args.peer[0], Path(args.peer[1]), int(args.peer[2]))
        return
    if args.floor:
        floor(args.floor[0], Path(args.floor[1]), int(args.floor[2]), Path(args.floor[3]))
        return
    from kpy.testing.tls import generate

    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found")
    work = Path(tempfile.mkdtemp(prefix="kpy-bench-floor-"))
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    pki = generate()
    (work / "ca.crt").write_bytes(pki.ca.cert_pem)
    (work / "server.crt").write_bytes(pki.server.cert_pem)
    (work / "server.key").write_bytes(pki.server.key_pem)
    size = args.mib << 20
    data = work / "big.bin"
    with open(data, "wb") as f:
        for _ in range(args.mib):
            f.write(os.urandom(1 << 20))
    sandbox = subprocess.Popen([kpy_exe(), "sandbox"], stdout=subprocess.PIPE, text=True, env=env)
    assert sandbox.stdout is not None
    env["KUBECONFIG"] = sandbox.stdout.readline().strip().split("=", 1)[1]
    try:
        subprocess.run([kpy_exe(), "cp", str(data), "web:big.bin", "--no-verify"], env=env, check=True)
        out = work / "out.bin"
        cpu: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for mode in ("up", "down"):
                out.unlink(missing_ok=True)
                os.sync()
                srv = subprocess.Popen(
                    [sys.executable, __file__, "--peer", mode, str(work), str(size)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert srv.stdout is not None
                port = srv.stdout.readline().strip()
                path = data if mode == "up" else out
                argv = [sys.executable, __file__, "--floor", mode, str(work), port, str(path)]
                cpu.setdefault((mode, "floor"), []).append(run_measured(argv, env, None, None)[1])
                srv.wait(60)
                if mode == "down" and out.stat().st_size != size:
                    raise SystemExit("floor down: short file")
                for name, exe in (("kubectl", kubectl), ("kpy", kpy_exe())):
                    out.unlink(missing_ok=True)
                    os.sync()
                    if mode == "up":
                        argv = [exe, "exec", "-i", "web", "--", "sha256sum"]
                        cpu.setdefault((mode, name), []).append(run_measured(argv, env, data, None)[1])
                    else:
                        argv = [exe, "exec", "web", "--", "cat", "big.bin"]
                        cpu.setdefault((mode, name), []).append(run_measured(argv, env, None, out)[1])
                time.sleep(0.1)
        gib = args.mib / 1024
        rows = []
        for mode in ("up", "down"):
            f, k, p = (statistics.median(cpu[(mode, n)]) / gib for n in ("floor", "kubectl", "kpy"))
            rows.append(
                (
                    f"{mode}: client CPU s/GiB",
                    f"{f:.2f}",
                    f"{k:.2f}",
                    f"{p:.2f}",
                    f"{f / k:.2f}",
                    f"{p / k:.2f}",
                )
            )
        print_table(
            f"TLS transport floor vs kubectl exec vs kpy exec, {args.mib} MiB, medians of {args.repeat} rounds",
            rows,
            header=("measurement", "floor", "kubectl", "kpy", "floor/kubectl", "kpy/kubectl"),
        )
        print("the 0.5x target is below the floor where floor/kubectl > 0.5")
    finally:
        sandbox.terminate()
        sandbox.wait(20)
        for p in work.glob("*"):
            p.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
