"""RestClient against a scripted loopback server: headers, retries, throttling, 401 refresh, error mapping."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from tests.unit.rest.fakes import (
    FakeApiServer,
    FakeCredentials,
    FakeTime,
    first_message,
    make_config,
    reply,
    sends_one_message,
    status_body,
)

from kpy.errors import (
    AlreadyExists,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
)
from kpy.flowcontrol import TokenBucket
from kpy.rest import RestClient
from kpy.rest.client import default_user_agent

POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "default"}}


@pytest.fixture
async def server() -> AsyncIterator[FakeApiServer]:
    srv = await FakeApiServer().start()
    yield srv
    await srv.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def client_for(srv: FakeApiServer, t: FakeTime, **config: Any) -> RestClient:
    return RestClient(make_config(srv.url, **config), clock=t.clock, sleep=t.sleep)


async def test_get_returns_status_headers_and_decoded_json(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script("GET", "/api/v1/namespaces/default/pods/web", (200, POD, {"X-Test": "yes"}))
    async with client_for(server, fake_time) as client:
        response = await client.request("GET", "/api/v1/namespaces/default/pods/web")
    assert response.status == 200
    assert response.json() == POD
    assert response.headers["x-test"] == "yes"


async def test_every_request_carries_accept_user_agent_credentials_and_impersonation(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script("GET", "/api", (200, {"kind": "APIVersions", "versions": ["v1"]}))
    async with client_for(
        server, fake_time, impersonate_user="jane", impersonate_groups=("devs", "ops")
    ) as client:
        await client.request("GET", "/api", accept="application/yaml")
    req = server.requests[0]
    assert req.headers["Accept"] == "application/yaml"
    assert req.headers["Authorization"] == "Bearer s3cr3t-token"
    assert req.headers["Impersonate-User"] == "jane"
    assert req.header_lists["Impersonate-Group"] == ["devs", "ops"]
    assert re.fullmatch(r"kpy/\S+ \((linux|darwin|windows|\w+)/\w+\)", req.headers["User-Agent"])
    assert req.headers["User-Agent"] == default_user_agent()


async def test_json_body_is_sent_compact_with_content_type(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script("POST", "/api/v1/namespaces/default/pods", (201, POD))
    async with client_for(server, fake_time) as client:
        response = await client.request("POST", "/api/v1/namespaces/default/pods", json=POD)
    assert response.status == 201
    assert server.requests[0].headers["Content-Type"] == "application/json"
    assert (
        server.requests[0].body
        == b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default"}}'
    )


async def test_query_parameters_repeat_lists_and_spell_booleans_like_go(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    seen: list[list[tuple[str, str]]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(list(request.query.items()))
        return reply(200, {})

    server.script("GET", "/x", handler)
    async with client_for(server, fake_time) as client:
        await client.request(
            "GET",
            "/x",
            params={"ports": [80, 443], "watch": True, "skip": None, "labelSelector": "app=web,tier!=db"},
        )
    assert seen[0] == [
        ("ports", "80"),
        ("ports", "443"),
        ("watch", "true"),
        ("labelSelector", "app=web,tier!=db"),
    ]


# -- retries ---------------------------------------------------------------------------------------------
async def test_429_with_retry_after_is_retried_after_that_many_seconds(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script(
        "GET",
        "/api",
        (429, status_body(429, "TooManyRequests", "slow down"), {"Retry-After": "3"}),
        (200, {"kind": "APIVersions"}),
    )
    async with client_for(server, fake_time) as client:
        response = await client.request("GET", "/api")
    assert response.status == 200
    assert len(server.requests) == 2
    assert fake_time.sleeps == [3.0]


async def test_5xx_with_retry_after_is_retried_for_writes_too(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script(
        "POST",
        "/api/v1/namespaces/default/pods",
        (503, status_body(503, "ServiceUnavailable", "later"), {"Retry-After": "1"}),
        (201, POD),
    )
    async with client_for(server, fake_time) as client:
        response = await client.request("POST", "/api/v1/namespaces/default/pods", json=POD)
    assert response.status == 201
    assert server.requests[0].body == server.requests[1].body  # the same body is sent again


async def test_retry_sleep_grows_with_jittered_backoff_but_never_undercuts_retry_after(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script(
        "GET",
        "/api",
        (429, b"", {"Retry-After": "0"}),
        (429, b"", {"Retry-After": "0"}),
        (429, b"", {"Retry-After": "0"}),
        (429, b"", {"Retry-After": "5"}),
        (200, {}),
    )
    async with client_for(server, fake_time) as client:
        await client.request("GET", "/api")
    first, second, third, fourth = fake_time.sleeps
    assert 0.25 <= first <= 0.275 and 0.5 <= second <= 0.55 and 1.0 <= third <= 1.1
    assert fourth == 5.0


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_errors_without_retry_after_are_not_retried(
    server: FakeApiServer, fake_time: FakeTime, status: int
) -> None:
    server.script("GET", "/api", (status, status_body(status, "", "nope")))
    async with client_for(server, fake_time) as client:
        with pytest.raises((TooManyRequests, ServerError)):
            await client.request("GET", "/api")
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


async def test_at_most_ten_retries_then_the_error(server: FakeApiServer, fake_time: FakeTime) -> None:
    server.script("GET", "/api", (429, status_body(429, "TooManyRequests", "busy"), {"Retry-After": "1"}))
    async with client_for(server, fake_time) as client:
        with pytest.raises(TooManyRequests) as info:
            await client.request("GET", "/api")
    assert len(server.requests) == 11
    assert str(info.value) == "busy"
    assert info.value.retry_after == 1


async def test_retry_that_would_overrun_the_request_timeout_fails_with_the_servers_error(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script("GET", "/api", (429, status_body(429, "TooManyRequests", "busy"), {"Retry-After": "30"}))
    async with client_for(server, fake_time, request_timeout=10.0) as client:
        with pytest.raises(TooManyRequests):
            await client.request("GET", "/api")
    assert len(server.requests) == 1


async def _drop_connection(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()  # the client sees the connection closed without an answer (EOF)
    raise asyncio.CancelledError


async def test_dropped_connection_is_retried_for_get(server: FakeApiServer, fake_time: FakeTime) -> None:
    server.script("GET", "/api", _drop_connection, (200, {"ok": True}))
    async with client_for(server, fake_time) as client:
        response = await client.request("GET", "/api")
    assert response.json() == {"ok": True}
    assert len(server.requests) == 2
    assert fake_time.sleeps and fake_time.sleeps[0] >= 1.0  # client-go's artificial Retry-After: 1


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_dropped_connection_is_not_retried_for_other_verbs(
    server: FakeApiServer, fake_time: FakeTime, method: str
) -> None:
    server.script(method, "/apis/coordination.k8s.io/v1/namespaces/default/leases/x", _drop_connection)
    async with client_for(server, fake_time) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.request(method, "/apis/coordination.k8s.io/v1/namespaces/default/leases/x", json={})
    assert len(server.requests) == 1
    assert str(info.value).startswith("Unable to connect to the server: ")


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_refused_connection_fails_at_once_with_kubectls_message(fake_time: FakeTime) -> None:
    port = _refused_port()
    client = RestClient(make_config(f"http://127.0.0.1:{port}"), clock=fake_time.clock, sleep=fake_time.sleep)
    async with client:
        with pytest.raises(ConnectionFailed) as info:
            await client.request("GET", "/api")
    assert str(info.value) == (
        f"The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port?"
    )
    assert info.value.format() == str(info.value)
    assert fake_time.sleeps == []


async def test_request_timeout_gives_kubectls_timeout_message(server: FakeApiServer) -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return reply(200, {})

    server.script("GET", "/api", hang)
    async with RestClient(make_config(server.url, request_timeout=0.2)) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.request("GET", "/api")
    assert str(info.value) == "Unable to connect to the server: context deadline exceeded"


async def test_per_call_timeout_overrides_the_configured_one(server: FakeApiServer) -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return reply(200, {})

    server.script("GET", "/api", hang)
    async with RestClient(make_config(server.url)) as client:
        with pytest.raises(ConnectionFailed, match="context deadline exceeded"):
            await client.request("GET", "/api", timeout=0.2)


# -- 401 -----------------------------------------------------------------------------------------------
async def test_401_invalidates_credentials_and_retries_once_with_fresh_ones(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    creds = FakeCredentials(token="old")
    creds.tokens_after_invalidate = ["new"]

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer new":
            return reply(401, status_body(401, "Unauthorized", "Unauthorized"))
        return reply(200, {"ok": True})

    server.script("GET", "/api", handler)
    async with client_for(server, fake_time, credentials=creds) as client:
        response = await client.request("GET", "/api")
    assert response.json() == {"ok": True}
    assert creds.invalidations == 1
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer old", "Bearer new"]


async def test_second_401_is_raised_as_unauthorized(server: FakeApiServer, fake_time: FakeTime) -> None:
    creds = FakeCredentials()
    server.script("GET", "/api", (401, status_body(401, "Unauthorized", "Unauthorized")))
    async with client_for(server, fake_time, credentials=creds) as client:
        with pytest.raises(Unauthorized) as info:
            await client.request("GET", "/api")
    assert creds.invalidations == 1
    assert len(server.requests) == 2
    assert (
        info.value.format() == "error: You must be logged in to the server (Unauthorized)"
    )  # kubectl's wording


# -- error mapping -------------------------------------------------------------------------------------
async def test_status_body_becomes_its_typed_error(server: FakeApiServer, fake_time: FakeTime) -> None:
    server.script(
        "GET",
        "/api/v1/namespaces/default/pods/x",
        (404, status_body(404, "NotFound", 'pods "x" not found', details={"name": "x", "kind": "pods"})),
    )
    async with client_for(server, fake_time) as client:
        with pytest.raises(NotFound) as info:
            await client.request("GET", "/api/v1/namespaces/default/pods/x")
    assert info.value.format() == 'Error from server (NotFound): pods "x" not found'
    assert info.value.status["details"]["name"] == "x"


@pytest.mark.parametrize(
    ("method", "status", "body", "content_type", "error", "line"),
    [
        (
            "GET",
            404,
            "404 page not found",
            "text/plain",
            NotFound,
            "Error from server (NotFound): the server could not find the requested resource",
        ),
        (
            "POST",
            409,
            "{}",
            "application/json",
            AlreadyExists,
            "Error from server (AlreadyExists): the server reported a conflict",
        ),
        (
            "PUT",
            409,
            "{}",
            "application/json",
            Conflict,
            "Error from server (Conflict): the server reported a conflict",
        ),
        ("GET", 403, "no way", "text/plain", Forbidden, "Error from server (Forbidden): no way"),
        (
            "GET",
            500,
            "boom",
            "text/plain",
            ServerError,
            'Error from server (InternalError): an error on the server ("boom") has prevented the request from succeeding',
        ),
        (
            "GET",
            502,
            "<html>",
            "text/html",
            ServerError,
            'Error from server (InternalError): an error on the server ("<html>") has prevented the request from succeeding',
        ),
        (
            "GET",
            500,
            "{}",
            "application/json",
            ServerError,
            'Error from server (InternalError): an error on the server ("unknown") has prevented the request from succeeding',
        ),
        (
            "GET",
            503,
            "",
            "text/plain",
            ServerError,
            "Error from server (ServiceUnavailable): the server is currently unable to handle the request",
        ),
        (
            "GET",
            418,
            "teapot",
            "text/plain",
            Exception,
            "Error from server: the server responded with the status code 418 but did not return more information",
        ),
    ],
)
async def test_non_status_bodies_get_client_gos_generic_messages(
    server: FakeApiServer,
    fake_time: FakeTime,
    method: str,
    status: int,
    body: str,
    content_type: str,
    error: type[Exception],
    line: str,
) -> None:
    server.script(method, "/x", (status, body, None, content_type))
    async with client_for(server, fake_time) as client:
        with pytest.raises(error) as info:
            await client.request(method, "/x")
    assert info.value.format() == line  # type: ignore[attr-defined]


# -- throttling and logging ------------------------------------------------------------------------------
async def test_requests_are_throttled_by_the_token_bucket(
    server: FakeApiServer, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("GET", "/api", (200, {}))
    bucket = TokenBucket(2, 2, clock=fake_time.clock, sleep=fake_time.sleep)
    caplog.set_level(1, logger="kpy.rest")
    async with RestClient(
        make_config(server.url), rate_limiter=bucket, clock=fake_time.clock, sleep=fake_time.sleep
    ) as client:
        for _ in range(4):
            await client.request("GET", "/api")
    assert fake_time.sleeps == pytest.approx([0.5, 0.5])
    assert (
        "Waited for 0.500s due to client-side throttling, not priority and fairness, request: GET:"
        in caplog.text
    )


async def test_client_uses_config_qps_and_burst(server: FakeApiServer, fake_time: FakeTime) -> None:
    client = RestClient(
        make_config(server.url, qps=5.0, burst=10), clock=fake_time.clock, sleep=fake_time.sleep
    )
    assert client.rate_limiter.qps == 5.0 and client.rate_limiter.burst == 10
    await client.close()


async def test_v6_logs_method_url_status_latency_and_v8_headers_with_the_token_masked(
    server: FakeApiServer, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("GET", "/api/v1/pods", (200, {"items": []}))
    caplog.set_level(logging.INFO - 8, logger="kpy.rest")
    async with client_for(server, fake_time) as client:
        await client.request("GET", "/api/v1/pods", params={"limit": 500})
    assert re.search(
        rf"GET {re.escape(server.url)}/api/v1/pods\?limit=500 200 OK in \d+ milliseconds", caplog.text
    )
    assert "Bearer <masked>" in caplog.text
    assert "s3cr3t-token" not in caplog.text


async def test_v6_alone_does_not_log_headers(
    server: FakeApiServer, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("GET", "/api", (200, {}))
    caplog.set_level(logging.INFO - 6, logger="kpy.rest")
    async with client_for(server, fake_time) as client:
        await client.request("GET", "/api")
    assert "200 OK" in caplog.text
    assert "Request Headers" not in caplog.text


# -- streams ---------------------------------------------------------------------------------------------
async def test_stream_lines_reassembles_lines_split_across_chunks(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    big = b'{"type":"ADDED","object":{"data":"' + b"x" * 300_000 + b'"}}'

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "application/json"
        await response.prepare(request)
        await response.write(b'{"a":')
        await response.write(b'1}\n{"b":2}\n')
        await response.write(big[:1000])
        await response.write(big[1000:] + b"\n")
        await response.write(b'{"c":3}')  # no final newline
        await response.write_eof()
        return response

    server.script("GET", "/api/v1/pods", handler)
    async with client_for(server, fake_time) as client:
        lines = [line async for line in client.stream_lines("/api/v1/pods", {"watch": "true"})]
    assert lines == [b'{"a":1}', b'{"b":2}', big, b'{"c":3}']
    assert server.requests[0].query == {"watch": "true"}


async def test_stream_lines_raises_typed_errors_before_streaming(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    server.script(
        "GET", "/api/v1/pods", (410, status_body(410, "Expired", "too old resource version: 1 (5)"))
    )
    async with client_for(server, fake_time) as client:
        with pytest.raises(Exception, match="too old resource version") as info:
            async for _ in client.stream_lines("/api/v1/pods"):
                pass
    assert info.value.code == 410  # type: ignore[attr-defined]


async def test_websocket_carries_auth_and_negotiates_the_subprotocol(
    server: FakeApiServer, fake_time: FakeTime
) -> None:
    handler = sends_one_message(b"\x00hello")

    server.script("GET", "/api/v1/namespaces/default/pods/web/portforward", handler)
    async with client_for(server, fake_time) as client:
        conn = await client.dial_websocket(
            "/api/v1/namespaces/default/pods/web/portforward", {"ports": [80]}, ["v4.channel.k8s.io"]
        )
        try:
            assert conn.subprotocol == "v4.channel.k8s.io"
            assert await asyncio.to_thread(first_message, conn) == b"\x00hello"
        finally:
            conn.close()
    req = server.requests[0]
    assert req.headers["Authorization"] == "Bearer s3cr3t-token"
    assert req.query == {"ports": "80"}
    assert req.headers["User-Agent"] == default_user_agent()


async def test_websocket_rejection_is_the_typed_api_error(server: FakeApiServer, fake_time: FakeTime) -> None:
    server.script(
        "GET",
        "/api/v1/namespaces/default/pods/nope/portforward",
        (404, status_body(404, "NotFound", 'pods "nope" not found')),
    )
    async with client_for(server, fake_time) as client:
        with pytest.raises(NotFound, match='pods "nope" not found'):
            await client.dial_websocket(
                "/api/v1/namespaces/default/pods/nope/portforward", {"ports": "80"}, ["v4.channel.k8s.io"]
            )


async def test_websocket_is_throttled_unless_asked_not_to(server: FakeApiServer, fake_time: FakeTime) -> None:
    handler = sends_one_message(b"\x00" + b"x" * 2048)

    path = "/api/v1/namespaces/default/pods/web/portforward"
    server.script("GET", path, handler)
    bucket = TokenBucket(2, 2, clock=fake_time.clock, sleep=fake_time.sleep)
    async with RestClient(
        make_config(server.url), rate_limiter=bucket, clock=fake_time.clock, sleep=fake_time.sleep
    ) as client:
        for _ in range(4):  # port-forward streams: not API requests, never wait on the bucket
            conn = await client.dial_websocket(path, {"ports": "80"}, throttle=False)
            assert len(await asyncio.to_thread(first_message, conn)) == 2049
            conn.close()
        assert fake_time.sleeps == []
        for _ in range(3):  # the default still takes a token per upgrade
            conn = await client.dial_websocket(path, {"ports": "80"})
            assert len(await asyncio.to_thread(first_message, conn)) == 2049
            conn.close()
    assert fake_time.sleeps == pytest.approx([0.5])
