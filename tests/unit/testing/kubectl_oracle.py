"""A loopback HTTP server serving canned JSON by path, so real kubectl can read the emulator's documents."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kpy.testing import discovery as d
from kpy.testing.resources import ResourceRegistry

Route = Callable[
    [str, str], tuple[int, str, Any] | None
]  # (path+query, accept) -> (status, content-type, doc)

KUBECTL = shutil.which("kubectl")


@contextmanager
def serve(route: Route) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = route(self.path, self.headers.get("Accept", ""))
            if answer is None:
                body = json.dumps(
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "reason": "NotFound",
                        "code": 404,
                        "message": "not found",
                    }
                ).encode()
                status, ctype = 404, "application/json"
            else:
                status, ctype, doc = answer
                body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def kubectl(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["KUBECONFIG"] = str(tmp / "absent-kubeconfig")
    env["HOME"] = str(tmp)
    return subprocess.run(
        [KUBECTL, "--server", url, "--cache-dir", str(tmp / "cache"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def discovery_route(reg: ResourceRegistry, aggregated: bool) -> Route:
    """Serve /version, /api, /apis and resource lists (aggregated discovery too when ``aggregated``)."""

    def route(path: str, accept: str) -> tuple[int, str, Any] | None:
        path = path.split("?")[0]
        wants_agg = aggregated and "as=APIGroupDiscoveryList" in accept
        agg_version = "v2" if "v=v2;" in accept else "v2beta1"
        agg_ct = f"application/json;g=apidiscovery.k8s.io;v={agg_version};as=APIGroupDiscoveryList"
        if path == "/version":
            return 200, "application/json", d.version_info()
        if path in ("/api", "/apis"):
            if wants_agg:
                return 200, agg_ct, d.aggregated(reg, path == "/api", agg_version)
            doc = d.api_versions("127.0.0.1") if path == "/api" else d.api_group_list(reg)
            return 200, "application/json", doc
        parts = path.strip("/").split("/")
        doc = None
        if parts[:2] == ["api", "v1"] and len(parts) == 2:
            doc = d.resource_list(reg, "", "v1")
        elif parts[0] == "apis" and len(parts) == 3:
            doc = d.resource_list(reg, parts[1], parts[2])
        elif parts[0] == "apis" and len(parts) == 2:
            doc = d.api_group(reg, parts[1])
        return None if doc is None else (200, "application/json", doc)

    return route
