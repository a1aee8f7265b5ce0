"""Run the API emulator as a sandbox: print how to use it, or run one command against it.

Everything the sandbox starts (server, backing HTTP servers, temp files) stops with it. The child runs with
``KUBECONFIG`` pointing at the sandbox and kpy's own bin directory first on PATH, so ``kpy sandbox -- kpy get
pods`` finds the same kpy.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

WEB_PAGE = (
    "<!doctype html>\n<title>kpy sandbox</title>\n<p>Hello from pod default/web in the kpy sandbox.</p>\n"
)


@asynccontextmanager
async def _web_backend(access_log: Callable[[str], object] | None = None) -> AsyncIterator[int]:
    """The 'container' behind pod web's port 80: a small HTTP server on loopback (``GET /`` answers 200).
    Each request is handed to ``access_log`` as an nginx access line (the sandbox writes them to pod web's log)."""
    import time

    from aiohttp import web

    async def index(request: web.Request) -> web.Response:
        response = web.Response(text=WEB_PAGE, content_type="text/html")
        if access_log is not None:
            when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
            agent = request.headers.get("User-Agent", "-")
            access_log(
                f'{request.remote or "-"} - - [{when}] "{request.method} {request.path_qs} '
                f'HTTP/{request.version.major}.{request.version.minor}" 200 {len(WEB_PAGE)} "-" "{agent}"'
            )
        return response

    app = web.Application()
    app.router.add_get("/", index)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])  # (host, port) of the runner's only site
    try:
        yield port
    finally:
        await runner.cleanup()


async def run_sandbox(command: list[str], *, seed: bool = True) -> int:
    from kpy.testing import Emulator

    emulator = Emulator(seed=seed)

    def access_log(line: str) -> None:
        emulator.logs.append("default", "web", "web", line)

    async with emulator, _web_backend(access_log if seed else None) as web_port:
        if seed:
            emulator.set_port_backend("default", "web", 80, "127.0.0.1", web_port)
        kubeconfig = str(emulator.kubeconfig_path)
        if not command:
            sys.stdout.write(f"export KUBECONFIG={kubeconfig}\n")
            sys.stdout.write(f"# kpy sandbox serving {emulator.url}; press Ctrl-C to stop\n")
            sys.stdout.flush()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            return 0
        env = dict(os.environ)
        env["KUBECONFIG"] = kubeconfig
        bindir = os.path.dirname(sys.executable)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        try:
            proc = await asyncio.create_subprocess_exec(*command, env=env)
        except FileNotFoundError:
            sys.stderr.write(f"error: {command[0]}: command not found\n")
            return 127
        except PermissionError:
            sys.stderr.write(f"error: {command[0]}: permission denied\n")
            return 126
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, _forward, proc, sig)
        code = await proc.wait()
        return code if code >= 0 else 128 - code


def _forward(proc: asyncio.subprocess.Process, sig: int) -> None:
    if proc.returncode is None:
        proc.send_signal(sig)
