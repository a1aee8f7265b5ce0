"""Server answers that are not JSON (or JSON Go refuses) fail with the line kubectl prints, never a Python name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kpy.errors import ResponseError
from kpy.rest import RestClient

from .fakes import FakeApiServer, FakeTime, make_config


@pytest.fixture
async def server() -> AsyncIterator[FakeApiServer]:
    srv = await FakeApiServer().start()
    yield srv
    await srv.close()


# (body, what kubectl 1.32 prints after "error: " for that answer to a GET)
CASES = [
    (b"<html>oops</html>", "invalid character '<' looking for beginning of value"),
    (b'{"kind": "Pod", "n": NaN}', "invalid character 'N' looking for beginning of value"),
    (b'{"kind": "Pod"} trailing', "invalid character 't' after top-level value"),
    (b'{"kind": "Pod"', "unexpected end of JSON input"),
    (b'{"n": 1e999999}', "json: cannot unmarshal number 1e999999 into Go value of type float64"),
    (
        b'{"n": ' + b"9" * 5000 + b"}",
        "json: cannot unmarshal number " + "9" * 5000 + " into Go value of type float64",
    ),
    (b"[" * 200000 + b"]" * 200000, "invalid character '[' exceeded max depth"),
]


@pytest.mark.parametrize(("body", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
async def test_undecodable_answers_are_one_kubectl_line(
    server: FakeApiServer, body: bytes, message: str
) -> None:
    server.script("GET", "/api/v1/namespaces/default/pods/web", (200, body))
    t = FakeTime()
    async with RestClient(make_config(server.url), clock=t.clock, sleep=t.sleep) as client:
        response = await client.request("GET", "/api/v1/namespaces/default/pods/web")
        with pytest.raises(ResponseError) as info:
            response.json()
    assert info.value.format() == f"error: {message}"


async def test_deep_but_valid_answers_decode(server: FakeApiServer) -> None:
    server.script("GET", "/x", (200, b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}"))
    t = FakeTime()
    async with RestClient(make_config(server.url), clock=t.clock, sleep=t.sleep) as client:
        decoded = (await client.request("GET", "/x")).json()
    assert isinstance(decoded["a"], list)
