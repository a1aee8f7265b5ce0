"""TLS: CA trust, tls-server-name, x509 failures in kubectl's words, client certificates from credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from tests.unit.rest.fakes import (
    FakeApiServer,
    FakeCredentials,
    Pki,
    connect_proxy,
    first_message,
    make_config,
    make_pki,
    sends_one_message,
)

from kpy.errors import ConnectionFailed
from kpy.rest import RestClient

PORTFORWARD = "/api/v1/namespaces/default/pods/web/portforward"


async def first_portforward_message(client: RestClient) -> bytes | str:
    """Upgrade ``PORTFORWARD`` through ``client`` and return the first message the server sends."""
    conn = await client.dial_websocket(PORTFORWARD, {"ports": "80"}, ["v4.channel.k8s.io"])
    try:
        return await asyncio.to_thread(first_message, conn)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module", params=["kpy-test-ca", "another-ca"])
def other_pki(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Pki:
    """A CA that did not sign the server: same name (signature check fails) or another name (no issuer)."""
    return make_pki(tmp_path_factory.mktemp("other"), ca_name=request.param)


@pytest.fixture
async def tls_server(pki: Pki) -> AsyncIterator[FakeApiServer]:
    srv = await FakeApiServer(ssl_context=pki.server_context()).start()
    srv.script("GET", "/version", (200, {"gitVersion": "v1.32.0"}))
    yield srv
    await srv.close()


async def test_trusted_ca_and_tls_server_name_verify_the_server(tls_server: FakeApiServer, pki: Pki) -> None:
    config = make_config(tls_server.url, ca_data=pki.ca_pem, tls_server_name="kubernetes.example")
    async with RestClient(config) as client:
        assert (await client.get_json("/version"))["gitVersion"] == "v1.32.0"


async def test_certificate_not_valid_for_the_address_is_an_x509_error(
    tls_server: FakeApiServer, pki: Pki
) -> None:
    async with RestClient(make_config(tls_server.url, ca_data=pki.ca_pem)) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.get_json("/version")
    assert str(info.value) == (
        "Unable to connect to the server: tls: failed to verify certificate: "
        "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
    )


async def test_unknown_authority_is_reported_like_kubectl(tls_server: FakeApiServer, other_pki: Pki) -> None:
    config = make_config(tls_server.url, ca_data=other_pki.ca_pem, tls_server_name="kubernetes.example")
    async with RestClient(config) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.get_json("/version")
    assert str(info.value) == (
        "Unable to connect to the server: tls: failed to verify certificate: "
        "x509: certificate signed by unknown authority"
    )


async def test_insecure_skip_tls_verify_accepts_any_certificate(tls_server: FakeApiServer) -> None:
    async with RestClient(make_config(tls_server.url, insecure_skip_tls_verify=True)) as client:
        assert (await client.get_json("/version"))["gitVersion"] == "v1.32.0"


async def test_client_certificate_from_credentials_is_presented(pki: Pki) -> None:
    seen: list[str] = []

    async def whoami(request: web.Request) -> web.Response:
        transport = request.transport
        assert transport is not None
        peer = transport.get_extra_info("peercert")
        seen.append(dict(x[0] for x in peer["subject"])["commonName"])
        return web.json_response({"ok": True})

    srv = await FakeApiServer(ssl_context=pki.server_context(require_client_cert=True)).start()
    srv.script("GET", "/whoami", whoami)
    try:
        creds = FakeCredentials(token="", cert=(pki.client_cert_pem, pki.client_key_pem))
        config = make_config(
            srv.url, ca_data=pki.ca_pem, tls_server_name="kubernetes.example", credentials=creds
        )
        async with RestClient(config) as client:
            assert (await client.get_json("/whoami")) == {"ok": True}
        assert seen == ["jane"]
        assert "Authorization" not in srv.requests[0].headers
    finally:
        await srv.close()


async def test_static_client_certificate_from_the_config_is_presented(pki: Pki, tmp_path: Path) -> None:
    srv = await FakeApiServer(ssl_context=pki.server_context(require_client_cert=True)).start()
    srv.script("GET", "/version", (200, {"ok": 1}))
    try:
        config = make_config(
            srv.url,
            ca_data=pki.ca_pem,
            tls_server_name="kubernetes.example",
            client_cert_data=pki.client_cert_pem,
            client_key_data=pki.client_key_pem,
            credentials=FakeCredentials(token=""),
        )
        async with RestClient(config) as client:
            assert await client.get_json("/version") == {"ok": 1}
    finally:
        await srv.close()


async def test_websocket_uses_the_same_tls_settings(pki: Pki) -> None:
    handler = sends_one_message(b"\x01\x50\x00")

    srv = await FakeApiServer(ssl_context=pki.server_context()).start()
    srv.script("GET", PORTFORWARD, handler)
    try:
        config = make_config(srv.url, ca_data=pki.ca_pem, tls_server_name="kubernetes.example")
        async with RestClient(config) as client:
            assert await first_portforward_message(client) == b"\x01\x50\x00"
        wrong = make_config(srv.url, ca_data=pki.ca_pem)
        async with RestClient(wrong) as client:
            with pytest.raises(
                ConnectionFailed, match=r"x509: cannot validate certificate for 127\.0\.0\.1 because"
            ):
                await client.dial_websocket(PORTFORWARD, {"ports": "80"}, ["v4.channel.k8s.io"])
    finally:
        await srv.close()


async def test_websocket_goes_through_the_kubeconfig_proxy_with_tls_end_to_end(pki: Pki) -> None:
    """proxy-url: the upgrade is tunnelled with HTTP CONNECT; TLS (and the token) stay end to end."""
    seen: list[bytes] = []

    handler = sends_one_message(lambda request: b"\x00" + request.headers.get("Authorization", "").encode())

    proxy_server = await asyncio.start_server(connect_proxy(seen), "127.0.0.1", 0)
    proxy_url = f"http://127.0.0.1:{proxy_server.sockets[0].getsockname()[1]}"
    srv = await FakeApiServer(ssl_context=pki.server_context()).start()
    srv.script("GET", PORTFORWARD, handler)
    port = srv.url.rpartition(":")[2]
    try:
        config = make_config(
            srv.url,
            ca_data=pki.ca_pem,
            tls_server_name="kubernetes.example",
            proxy_url=proxy_url,
            credentials=FakeCredentials(token="via-proxy"),
        )
        async with RestClient(config) as client:
            assert await first_portforward_message(client) == b"\x00Bearer via-proxy"
    finally:
        await srv.close()
        proxy_server.close()
    assert seen == [f"CONNECT 127.0.0.1:{port} HTTP/1.1".encode()]


async def test_an_https_proxy_carries_requests_and_websockets_with_tls_inside_its_tls(tmp_path: Path) -> None:
    """An https:// proxy-url: TLS to the proxy, verified with the cluster's TLS settings as client-go's
    transport does, CONNECT inside it, then the API server's own TLS inside that tunnel; the same for REST
    requests and for the WebSocket upgrade (whose frames then cross two layers of TLS records)."""
    both = make_pki(tmp_path, dns_names=("kubernetes.example", "localhost"))  # the proxy is "localhost"
    seen: list[bytes] = []

    payload = bytes(range(256)) * 1024  # several TLS records

    handler = sends_one_message(b"\x00" + payload)

    proxy_server = await asyncio.start_server(connect_proxy(seen), "127.0.0.1", 0, ssl=both.server_context())
    proxy_url = f"https://localhost:{proxy_server.sockets[0].getsockname()[1]}"
    srv = await FakeApiServer(ssl_context=both.server_context()).start()
    srv.script("GET", "/version", (200, {"gitVersion": "v1.32.0"}))
    srv.script("GET", PORTFORWARD, handler)
    try:
        config = make_config(
            srv.url, ca_data=both.ca_pem, tls_server_name="kubernetes.example", proxy_url=proxy_url
        )
        async with RestClient(config) as client:
            assert (await client.get_json("/version"))["gitVersion"] == "v1.32.0"
            assert await first_portforward_message(client) == b"\x00" + payload
    finally:
        await srv.close()
        proxy_server.close()
    assert len(seen) == 2 and all(line.startswith(b"CONNECT 127.0.0.1:") for line in seen)
