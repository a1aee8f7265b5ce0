"""Response compression as kube-apiserver does it (APIResponseCompression, on by default): a body over 128 KiB
is gzipped when the request's Accept-Encoding has the token ``gzip``, with ``Vary: Accept-Encoding``; smaller
bodies, other tokens (``gzip;q=0.5`` is not ``gzip``) and watches are not. Checked against kube-apiserver
v1.36 with curl (200 configmaps of 1,000 bytes: 333 KB gzipped to 9.6 KB; ``limit=100``, 167 KB, gzipped;
a watch and ``Accept-Encoding: deflate, gzip;q=0.5`` not). Clients see no difference: kpy, kubectl and the
official client decompress.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import urllib.request
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, Api

NS = "gz"


@pytest.fixture(scope="module")
def configmaps(api: Api) -> Api:
    api.call(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    )
    for i in range(200):
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm{i:03d}"},
            "data": {"k": "x" * 1000},
        }
        status, _ = api.call("POST", f"/api/v1/namespaces/{NS}/configmaps", cm)
        assert status == 201
    return api


def get(api: Api, path: str, encoding: str | None) -> tuple[dict[str, str], bytes]:
    req = urllib.request.Request(api.url + path)
    req.add_header("Authorization", f"Bearer {api.token}")
    if encoding is not None:
        req.add_header("Accept-Encoding", encoding)
    with urllib.request.urlopen(req, context=api.ctx, timeout=30) as resp:  # (urllib never decompresses)
        return {k.lower(): v for k, v in resp.headers.items()}, resp.read()


def test_a_large_list_is_gzipped_when_asked(configmaps: Api) -> None:
    headers, body = get(configmaps, f"/api/v1/namespaces/{NS}/configmaps", "gzip")
    assert (headers.get("content-encoding"), headers.get("vary")) == ("gzip", "Accept-Encoding")
    plain = gzip.decompress(body)
    assert len(plain) > 200_000 and len(body) < len(plain) // 10
    assert len(json.loads(plain)["items"]) == 200
    headers, body = get(configmaps, f"/api/v1/namespaces/{NS}/configmaps?limit=100", "br, gzip")
    assert headers.get("content-encoding") == "gzip"
    assert len(json.loads(gzip.decompress(body))["items"]) == 100


@pytest.mark.parametrize(
    ("query", "encoding"),
    [
        ("?limit=50", "gzip"),  # ~84 KB: under the threshold
        ("", None),
        ("", "deflate, gzip;q=0.5"),
        ("", "identity"),
    ],
)
def test_otherwise_not(configmaps: Api, query: str, encoding: str | None) -> None:
    headers, body = get(configmaps, f"/api/v1/namespaces/{NS}/configmaps{query}", encoding)
    assert "content-encoding" not in headers and "vary" not in headers
    assert json.loads(body)["kind"] == "ConfigMapList"


def test_clients_read_gzipped_lists(configmaps: Api, emu: Any, tmp_path: Any) -> None:
    """kpy (its quick path and its REST client) and kubectl ask for gzip and read the compressed list."""
    env = {"KUBECONFIG": str(emu.kubeconfig_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for argv in (
        [KPY, "get", "cm", "-n", NS, "-o", "name"],
        [KPY, "get", "cm", "-n", NS, "-o", "jsonpath={range .items[*]}{.metadata.name}{'\\n'}{end}"],
        *([[KUBECTL, "get", "cm", "-n", NS, "-o", "name"]] if KUBECTL else []),
    ):
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert out.returncode == 0, out.stderr
        names = out.stdout.split()
        assert len(names) == 200 and names[-1].endswith("cm199"), argv
