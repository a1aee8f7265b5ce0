"""Peak RSS of ``kpy port-forward`` with many concurrent streams (issue 12 §5: < 100 MiB at any concurrency).

Run: .venv/bin/python bench/portforward_rss.py [--streams 64] [--mib 16] [--plain] [--protocol auto|tunnel|spdy|v4]

Uses ``bench/portforward.py``'s server (the emulator and a pod process). Each of ``--streams`` concurrent
connections downloads then uploads ``--mib`` MiB through one ``kpy port-forward``; the row is the forwarder's
peak RSS (VmHWM) after all of them, and its RSS when they are done. Not a test: a measurement to rerun.
``KPY_BIN`` names another ``kpy`` to measure (an older build, to compare).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from portforward import GO_LIKE_TLS13_CONF, Tcp, download, peak_rss_mib, upload


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--mib", type=int, default=16)
    parser.add_argument("--plain", action="store_true", help="serve plain HTTP (ws://) instead of HTTPS")
    parser.add_argument(
        "--protocol", default="auto", help="kpy port-forward --protocol (auto, tunnel, spdy, v4)"
    )
    args = parser.parse_args()
    here = Path(__file__).with_name("portforward.py")
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "openssl.cnf"
        conf.write_text(GO_LIKE_TLS13_CONF)
        server = subprocess.Popen(
            [sys.executable, str(here), "--serve", tmp, *(["--plain"] if args.plain else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "OPENSSL_CONF": str(conf)},
        )
        assert server.stdout is not None and server.stdin is not None
        info = json.loads(server.stdout.readline())
        kpy = Path(os.environ.get("KPY_BIN") or Path(sys.executable).with_name("kpy"))
        fwd = subprocess.Popen(
            [
                str(kpy),
                "port-forward",
                "pod/bench",
                ":80",
                "--address",
                "127.0.0.1",
                "-o",
                "json",
                "--protocol",
                args.protocol,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "KUBECONFIG": info["kubeconfig"]},
        )
        try:
            assert fwd.stdout is not None
            dialer = Tcp(json.loads(fwd.stdout.readline())["localPort"])
            idle = rss_mib(fwd.pid)
            size = args.mib << 20
            errors: list[BaseException] = []
            barrier = threading.Barrier(args.streams)

            def one() -> None:
                try:
                    sock = dialer.open()
                    barrier.wait()
                    download(sock, size)
                    upload(sock, size)
                    sock.close()
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=one) for _ in range(args.streams)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            peak, after = peak_rss_mib(fwd.pid), rss_mib(fwd.pid)
        finally:
            fwd.terminate()
            fwd.wait(30)
            server.stdin.close()
            server.wait(30)
    print(
        f"{info['kind']}, --protocol {args.protocol}: {args.streams} streams x {args.mib} MiB down+up, errors {len(errors)}: "
        f"kpy RSS idle {idle:.0f} MiB, peak {peak:.0f} MiB (target < 100), after {after:.0f} MiB"
    )


if __name__ == "__main__":
    main()
