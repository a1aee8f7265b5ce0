"""``kpy on`` against a real API server (``KUBECONFIG``, e.g. the realk8s kit): add/update/delete, a watch
resumed after its connection is cut, and a 410 relist. Not a test (minutes, needs a real server); prints what
kpy printed and whether each expectation held.

The connection is cut by a loopback TCP proxy between kpy and the server (kpy runs with ``-s`` pointing at
it). For the 410 the proxy refuses connections for 80 s, then many writes push the disconnected
resourceVersion out of the API server's watch cache (events older than 75 s are evicted first), so the
resumed watch gets ``too old resource version`` and kpy relists: the object deleted meanwhile is reported as
``Deleted`` with the last state kpy had seen.

    source ~/.cache/kpy-realk8s/env && python bench/on_realk8s.py [--skip-410]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import kpy_exe

NS = f"kpy-on-realk8s-{int(time.time())}"


class Proxy:
    """Loopback TCP proxy to ``host:port``; ``cut(seconds)`` aborts every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.up = (host, port)
        self.down_until = 0.0
        self.conns: set[asyncio.StreamWriter] = set()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (OSError, ConnectionError):
                pass
            finally:
                w.close()

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            if time.monotonic() < self.down_until:
                w.transport.abort()
                return
            ur, uw = await asyncio.open_connection(*self.up)
            self.conns.update((w, uw))
            await asyncio.gather(pipe(r, uw), pipe(ur, w))

        async def main() -> None:
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            await server.serve_forever()

        self.loop.run_until_complete(main())

    def cut(self, seconds: float) -> None:
        def do() -> None:
            self.down_until = time.monotonic() + seconds
            for w in list(self.conns):
                w.transport.abort()
            self.conns.clear()

        self.loop.call_soon_threadsafe(do)


def kubectl(*args: str) -> str:
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, check=True).stdout


def server_address() -> tuple[str, int]:
    config = json.loads(kubectl("config", "view", "--minify", "-o", "json"))
    url = config["clusters"][0]["cluster"]["server"]
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    return host, int(port)


def wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return True
        time.sleep(0.1)
    return False


def churn(n: int) -> None:
    """``n`` writes to 20 configmaps, 8 at a time, through the official Python client (kubectl per write is
    too slow to outrun the watch cache)."""
    import kubernetes

    kubernetes.config.load_kube_config()
    api = kubernetes.client.CoreV1Api()
    names = [f"churn-{i}" for i in range(20)]
    for name in names:
        api.create_namespaced_config_map(NS, {"metadata": {"name": name}, "data": {"v": "0"}})

    def patch(i: int) -> None:
        api.patch_namespaced_config_map(names[i % 20], NS, {"data": {"v": str(i)}})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(patch, range(n)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-410", action="store_true")
    parser.add_argument(
        "--churn",
        type=int,
        default=10000,
        help="writes that push the old version out of the watch cache (raise it if the watch resumes instead)",
    )
    args = parser.parse_args()
    host, port = server_address()
    proxy = Proxy(host, port)
    subprocess.run(["kubectl", "create", "ns", NS], capture_output=True, check=False)
    for name in ("a", "b", "c"):
        kubectl("-n", NS, "create", "cm", name, "--from-literal=v=1")
    out, err = Path(f"/tmp/{NS}.out"), Path(f"/tmp/{NS}.err")
    command = 'echo "$KPY_EVENT $KPY_KEY rv=$KPY_RESOURCE_VERSION $(grep -o "\\"v\\":\\"[0-9]*\\"")"'
    proc = subprocess.Popen(
        [
            kpy_exe(),
            "on",
            "configmaps",
            "-n",
            NS,
            "-s",
            f"https://{host}:{proxy.port}",
            "-v",
            "4",
            "--",
            "sh",
            "-c",
            command,
        ],
        stdout=out.open("w"),
        stderr=err.open("w"),
        env={**os.environ, "NO_COLOR": "1"},
    )
    checks: list[tuple[str, bool]] = []
    try:
        checks.append(("initial list: 3 Added", wait_for(out, f"Added {NS}/c", 30)))
        kubectl("-n", NS, "patch", "cm", "a", "-p", '{"data":{"v":"2"}}')
        checks.append(("update: Modified", wait_for(out, f"Modified {NS}/a rv=", 30)))
        proxy.cut(3)
        kubectl("-n", NS, "patch", "cm", "b", "-p", '{"data":{"v":"3"}}')
        kubectl("-n", NS, "delete", "cm", "c")
        kubectl("-n", NS, "create", "cm", "d", "--from-literal=v=4")
        checks.append(("cut for 3 s: delete made meanwhile delivered", wait_for(out, f"Deleted {NS}/c", 60)))
        checks.append(("... and the update and the add", wait_for(out, f"Added {NS}/d", 10)))
        checks.append(("resumed, not relisted", "must relist" not in err.read_text()))
        if not args.skip_410:
            proxy.cut(200)
            kubectl("-n", NS, "patch", "cm", "d", "-p", '{"data":{"v":"5"}}')  # never seen by kpy
            kubectl("-n", NS, "delete", "cm", "d")
            time.sleep(85)  # older than the watch cache's 75 s freshness: evictable
            churn(args.churn)
            proxy.cut(0)
            checks.append(("410: relisted", wait_for(err, "must relist", 120)))
            checks.append(
                (
                    "410: vanished object Deleted with its last known state",
                    wait_for(out, f"Deleted {NS}/d", 30)
                    and '"v":"4"' in out.read_text().split(f"Deleted {NS}/d")[1].split("\n")[0],
                )
            )
    finally:
        proc.terminate()
        code = proc.wait(60)
        # the objects first: a kit without the namespace controller never finishes deleting the namespace
        subprocess.run(["kubectl", "-n", NS, "delete", "cm", "--all"], capture_output=True, check=False)
        subprocess.run(["kubectl", "delete", "ns", NS, "--wait=false"], capture_output=True, check=False)
    checks.append(("SIGTERM: exit 0", code == 0))
    print(out.read_text())
    print(
        "\n".join(
            line for line in err.read_text().splitlines() if "relist" in line or line.startswith("kpy:")
        )
    )
    for what, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")


if __name__ == "__main__":
    main()
