"""Helpers for integration tests that drive the real ``kpy`` and ``kubectl`` binaries against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KPY = str(Path(sys.executable).with_name("kpy"))
KUBECTL = shutil.which("kubectl")


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_tool(
    argv: list[str],
    kubeconfig: Path | str,
    *,
    stdin: str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    cwd: Path | str | None = None,
) -> Result:
    full_env = {**os.environ, "KUBECONFIG": str(kubeconfig), "NO_COLOR": "1", **(env or {})}
    full_env.pop("KUBERNETES_SERVICE_HOST", None)
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, env=full_env, timeout=timeout, check=False, cwd=cwd
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def kpy(*args: str, kubeconfig: Path | str, **kw: Any) -> Result:
    return run_tool([KPY, *args], kubeconfig, **kw)


def kubectl(*args: str, kubeconfig: Path | str, **kw: Any) -> Result:
    assert KUBECTL is not None
    return run_tool([KUBECTL, *args], kubeconfig, **kw)


class Api:
    """A minimal, independent HTTPS client for arranging state (not kpy's REST layer, so tests stay honest)."""

    def __init__(self, url: str, ca_pem: bytes, token: str) -> None:
        self.url = url.rstrip("/")
        self.ctx = ssl.create_default_context(cadata=ca_pem.decode())
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


def pod(
    name: str, namespace: str = "default", labels: dict[str, str] | None = None, phase: str = "Running"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": phase},
    }


#: runs kpy's entry point in this interpreter, then prints its exit code and the heavy modules it imported
_LISTING_MODULES = (
    "import sys; from kpy.cli.entry import main\n"
    "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY or m in HEAVY)\n"
    "print(code, heavy, file=sys.stderr)\n"
)


def kpy_listing_heavy_modules(
    *args: str,
    kubeconfig: Path | str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    heavy: tuple[str, ...] = ("asyncio", "aiohttp", "yarl"),
) -> subprocess.CompletedProcess[bytes]:
    """Run ``kpy ARGS``; its stderr ends with a line ``CODE [HEAVY MODULES]``: the modules imported of ``heavy``
    (top-level packages or whole module names)."""
    env = {"KUBECONFIG": str(kubeconfig), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        [sys.executable, "-c", _LISTING_MODULES.replace("HEAVY", repr(heavy)), *args],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
        cwd=cwd,
    )
