"""From a kubeconfig file to requests on the wire: load_client_config + RestClient over TLS, and proxies."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from tests.unit.rest.fakes import FakeApiServer, Pki, make_config, make_pki

from kpy.config import ConnectionFlags, load_client_config
from kpy.errors import ConfigError
from kpy.rest import RestClient
from kpy.rest.proxy import select_proxy


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), ip_sans=True)


@pytest.fixture
async def tls_server(pki: Pki) -> AsyncIterator[FakeApiServer]:
    srv = await FakeApiServer(ssl_context=pki.server_context()).start()
    yield srv
    await srv.close()


def write_kubeconfig(tmp: Path, server: str, ca: bytes, token: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "ctx",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": server, "certificate-authority-data": base64.b64encode(ca).decode()},
            }
        ],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "team"}}],
    }
    path = tmp / "config"
    path.write_text(json.dumps(doc))
    return path


async def test_kubeconfig_token_ca_and_impersonation_reach_the_server(
    tls_server: FakeApiServer, pki: Pki, tmp_path: Path
) -> None:
    tls_server.script("GET", "/api/v1/namespaces/team/pods", (200, {"kind": "PodList", "items": []}))
    path = write_kubeconfig(tmp_path, tls_server.url, pki.ca_pem, "tok-123")
    flags = ConnectionFlags(kubeconfig=str(path), as_user="jane", as_groups=("a", "b"))
    config = load_client_config(flags, env={"HOME": str(tmp_path)})
    async with RestClient(config) as client:
        body = await client.get_json(f"/api/v1/namespaces/{config.namespace}/pods")
    assert body["kind"] == "PodList"
    request = tls_server.requests[0]
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Impersonate-User"] == "jane"
    assert request.header_lists["Impersonate-Group"] == ["a", "b"]


async def test_http_proxy_from_the_kubeconfig_is_used() -> None:
    proxy = await FakeApiServer().start()
    seen: list[str] = []

    async def as_proxy(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.headers.get('Host')} {request.url}")
        return web.json_response({"kind": "APIVersions", "versions": ["v1"]})

    proxy.script("GET", "/api", as_proxy)
    try:
        config = make_config("http://kubernetes.invalid:6443", proxy_url=proxy.url)
        async with RestClient(config) as client:
            assert (await client.get_json("/api"))["versions"] == ["v1"]
    finally:
        await proxy.close()
    assert seen == ["GET kubernetes.invalid:6443 http://kubernetes.invalid:6443/api"]


@pytest.mark.parametrize(
    ("server", "proxy_url", "env", "expected"),
    [
        ("https://10.0.0.1:6443", "http://proxy:3128", {}, "http://proxy:3128"),
        ("https://10.0.0.1:6443", None, {"HTTPS_PROXY": "http://p:1"}, "http://p:1"),
        ("https://10.0.0.1:6443", None, {"https_proxy": "p:1"}, "http://p:1"),
        ("http://10.0.0.1:8080", None, {"HTTPS_PROXY": "http://p:1"}, None),
        ("http://10.0.0.1:8080", None, {"HTTP_PROXY": "http://p:2"}, "http://p:2"),
        ("https://127.0.0.1:6443", None, {"HTTPS_PROXY": "http://p:1"}, None),  # Go never proxies loopback
        ("https://localhost:6443", None, {"HTTPS_PROXY": "http://p:1"}, None),
        (
            "https://api.corp.example:6443",
            None,
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".corp.example"},
            None,
        ),
        (
            "https://api.corp.example:6443",
            None,
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "corp.example"},
            None,
        ),
        ("https://10.1.2.3:6443", None, {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, None),
        ("https://10.1.2.3:6443", None, {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, None),
        (
            "https://other.example:6443",
            None,
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "corp.example"},
            "http://p:1",
        ),
    ],
)
def test_proxy_selection_like_go(
    server: str, proxy_url: str | None, env: dict[str, str], expected: str | None
) -> None:
    assert select_proxy(server, proxy_url, env) == expected


def test_socks_proxy_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="socks5"):
        select_proxy("https://10.0.0.1:6443", "socks5://proxy:1080", {})
