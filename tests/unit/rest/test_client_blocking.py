"""RestClient driven without an event loop (kpy's one-shot commands) sends over the blocking HTTP/1.1 transport
with the same semantics as over aiohttp: headers, retries, timeouts, typed errors, -v logs.

Each call runs in a worker thread (no running loop there) while the scripted server serves on the test's loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from aiohttp import web
from tests.unit.rest.fakes import FakeApiServer, FakeTime, make_config, reply, status_body

from kpy.config.credentials import TokenCredentials
from kpy.config.exec_plugin import ExecConfig
from kpy.errors import ConnectionFailed, NotFound, TooManyRequests, Unauthorized
from kpy.rest import RestClient
from kpy.rest.blocking import NeedsEventLoop, drive, run

T = TypeVar("T")
POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "default"}}


class RotatingToken(TokenCredentials):
    """A static token that a 401 replaces with the next one (a token file that was rotated)."""

    def __init__(self, *tokens: str) -> None:
        super().__init__(tokens[0])
        self.later = list(tokens[1:])
        self.invalidations = 0

    def invalidate(self) -> None:
        self.invalidations += 1
        if self.later:
            self._token = self.later.pop(0)


@pytest.fixture
async def server() -> AsyncIterator[FakeApiServer]:
    srv = await FakeApiServer().start()
    yield srv
    await srv.close()


def blocking_client(url: str, t: FakeTime | None = None, **config: Any) -> RestClient:
    config.setdefault("credentials", RotatingToken("s3cr3t-token"))
    if t is None:
        return RestClient(make_config(url, **config))
    return RestClient(make_config(url, **config), clock=t.clock, sleep=t.sleep)


async def blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Drive the coroutine in a thread without an event loop: the client picks the blocking transport."""
    return await asyncio.to_thread(lambda: drive(make()))


async def test_a_client_without_an_event_loop_uses_the_blocking_transport(server: FakeApiServer) -> None:
    server.script("GET", "/api/v1/namespaces/default/pods/web", (200, POD, {"X-Test": "yes"}))
    client = blocking_client(server.url)
    response = await blocking(lambda: client.request("GET", "/api/v1/namespaces/default/pods/web"))
    assert client.blocking() and client._session is None  # no aiohttp session was made
    assert response.status == 200 and response.reason == "OK"
    assert response.json() == POD
    assert response.headers["x-test"] == "yes"
    await blocking(client.close)


async def test_requests_carry_the_same_headers_and_query_as_over_aiohttp(server: FakeApiServer) -> None:
    path = "/api/v1/namespaces/default/pods"
    server.script("GET", path, (200, {"items": []}))
    params = {"labelSelector": "app=web,tier notin (db, cache)", "continue": "eyJ2Ijo+/==", "watch": False}
    config = {"impersonate_user": "jane", "impersonate_groups": ("devs", "ops")}
    client = blocking_client(server.url, **config)
    await blocking(lambda: client.request("GET", path, params=params, accept="application/yaml"))
    async with blocking_client(server.url, **config) as reference:
        await reference.request("GET", path, params=params, accept="application/yaml")
    ours, theirs = server.requests
    assert ours.query == theirs.query == {k: str(v).lower() if v is False else v for k, v in params.items()}
    for name in ("Accept", "User-Agent", "Authorization", "Impersonate-User"):
        assert ours.headers[name] == theirs.headers[name]
    assert ours.header_lists["Impersonate-Group"] == ["devs", "ops"]


async def test_json_bodies_are_sent_with_their_length(server: FakeApiServer) -> None:
    server.script("POST", "/api/v1/namespaces/default/pods", (201, POD))
    client = blocking_client(server.url)
    response = await blocking(lambda: client.request("POST", "/api/v1/namespaces/default/pods", json=POD))
    assert response.status == 201
    assert (
        server.requests[0].body
        == b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default"}}'
    )
    assert server.requests[0].headers["Content-Type"] == "application/json"


async def test_429_and_5xx_with_retry_after_are_retried_after_that_many_seconds(
    server: FakeApiServer,
) -> None:
    server.script(
        "GET",
        "/api",
        (429, status_body(429, "TooManyRequests", "slow down"), {"Retry-After": "3"}),
        (503, status_body(503, "ServiceUnavailable", "later"), {"Retry-After": "1"}),
        (200, {"kind": "APIVersions"}),
    )
    t = FakeTime()
    client = blocking_client(server.url, t)
    response = await blocking(lambda: client.request("GET", "/api"))
    assert response.json() == {"kind": "APIVersions"}
    assert len(server.requests) == 3
    assert t.sleeps == [3.0, 1.0]


async def test_at_most_ten_retries_then_the_servers_error(server: FakeApiServer) -> None:
    server.script("GET", "/api", (429, status_body(429, "TooManyRequests", "busy"), {"Retry-After": "1"}))
    t = FakeTime()
    client = blocking_client(server.url, t)
    with pytest.raises(TooManyRequests) as info:
        await blocking(lambda: client.request("GET", "/api"))
    assert len(server.requests) == 11
    assert str(info.value) == "busy"


async def test_the_retry_pause_really_sleeps_without_an_event_loop(server: FakeApiServer) -> None:
    server.script("GET", "/api", (429, b"", {"Retry-After": "0"}), (200, {}))
    client = blocking_client(server.url)  # the default sleep: time.sleep when no loop runs
    response = await blocking(lambda: client.request("GET", "/api"))
    assert response.status == 200 and len(server.requests) == 2


async def _drop_connection(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    raise asyncio.CancelledError


async def test_a_dropped_connection_is_retried_for_get_only(server: FakeApiServer) -> None:
    server.script("GET", "/api", _drop_connection, (200, {"ok": True}))
    server.script("POST", "/api/v1/namespaces/default/pods", _drop_connection)
    t = FakeTime()
    client = blocking_client(server.url, t)
    response = await blocking(lambda: client.request("GET", "/api"))
    assert response.json() == {"ok": True}
    assert t.sleeps and t.sleeps[0] >= 1.0
    with pytest.raises(ConnectionFailed) as info:
        await blocking(lambda: client.request("POST", "/api/v1/namespaces/default/pods", json={}))
    assert str(info.value) == "Unable to connect to the server: EOF"
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


async def test_a_refused_connection_is_kubectls_message() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    client = blocking_client(f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionFailed) as info:
        await blocking(lambda: client.request("GET", "/api"))
    assert str(info.value) == (
        f"The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port?"
    )


async def test_the_request_timeout_gives_kubectls_message(server: FakeApiServer) -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return reply(200, {})

    server.script("GET", "/api", hang)
    client = blocking_client(server.url, request_timeout=0.2)
    with pytest.raises(ConnectionFailed) as info:
        await blocking(lambda: client.request("GET", "/api"))
    assert str(info.value) == "Unable to connect to the server: context deadline exceeded"


async def test_a_401_invalidates_the_credentials_once(server: FakeApiServer) -> None:
    server.script("GET", "/api", (401, status_body(401, "Unauthorized", "Unauthorized")), (200, {}))
    creds = RotatingToken("old", "new")
    client = blocking_client(server.url, credentials=creds)
    await blocking(lambda: client.request("GET", "/api"))
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer old", "Bearer new"]
    server.script("GET", "/version", (401, status_body(401, "Unauthorized", "Unauthorized")))
    with pytest.raises(Unauthorized):
        await blocking(lambda: client.request("GET", "/version"))
    assert creds.invalidations == 2


async def test_a_status_body_becomes_its_typed_error(server: FakeApiServer) -> None:
    client = blocking_client(server.url)
    with pytest.raises(NotFound) as info:
        await blocking(lambda: client.request("GET", "/api/v1/namespaces/default/pods/nope"))
    assert str(info.value) == "unscripted GET /api/v1/namespaces/default/pods/nope"


def _normalized(text: str) -> list[str]:
    return [re.sub(r"in \d+ milliseconds", "in N milliseconds", line) for line in text.splitlines()]


@pytest.mark.parametrize("level", [6, 8])
async def test_v6_and_v8_logs_read_the_same_over_both_transports(
    server: FakeApiServer, caplog: pytest.LogCaptureFixture, level: int
) -> None:
    path = "/api/v1/namespaces/default/pods"
    params = {"labelSelector": "app=web,tier!=db", "limit": 500}
    server.script(
        "GET",
        path,
        (429, status_body(429, "TooManyRequests", "x"), {"Retry-After": "0"}),
        (200, {"items": []}),
    )
    caplog.set_level(logging.INFO - level, logger="kpy.rest")
    t = FakeTime()
    client = blocking_client(server.url, t)
    await blocking(lambda: client.request("GET", path, params=params))
    ours = [r.getMessage() for r in caplog.records]
    caplog.clear()
    server.script(
        "GET",
        path,
        (429, status_body(429, "TooManyRequests", "x"), {"Retry-After": "0"}),
        (200, {"items": []}),
    )
    async with blocking_client(server.url, FakeTime()) as reference:
        await reference.request("GET", path, params=params)
    theirs = [r.getMessage() for r in caplog.records]
    url = f"{server.url}{path}?labelSelector=app%3Dweb,tier!%3Ddb&limit=500"
    assert f"GET {url} 429 Too Many Requests" in "\n".join(ours)
    assert _normalized(_drop_volatile("\n".join(ours))) == _normalized(_drop_volatile("\n".join(theirs)))
    assert ("Request Headers" in "\n".join(ours)) == (level >= 8)
    assert "s3cr3t-token" not in "\n".join(ours)


def _drop_volatile(text: str) -> str:
    """Response headers that differ per answer (Date) or per server library (aiohttp adds no others)."""
    text = re.sub(r"'Date': '[^']*'", "'Date': D", text)
    return re.sub(r"retrying in [0-9.]+s", "retrying in Ns", text)


async def test_credentials_that_run_a_plugin_need_the_event_loop_and_run_falls_back_to_it(
    server: FakeApiServer,
) -> None:
    server.script("GET", "/api", (200, {"kind": "APIVersions"}))
    plugin = ExecConfig(command="/bin/true", api_version="client.authentication.k8s.io/v1")
    from kpy.config.exec_plugin import ExecCredentials

    config = make_config(server.url, credentials=ExecCredentials(plugin))
    client = RestClient(config)
    with pytest.raises(NeedsEventLoop):
        await blocking(lambda: client.request("GET", "/api"))
    assert server.requests == []  # nothing was sent before it said so

    served: list[bool] = []

    async def command() -> int:
        fresh = RestClient(make_config(server.url))  # fake credentials: not blocking-capable either
        async with fresh:
            served.append(fresh.blocking())
            await fresh.request("GET", "/api")
        return 0

    assert await asyncio.to_thread(run, command) == 0
    assert served == [False] and len(server.requests) == 1
