"""``ObjectResolver``: lookups retried on 5xx/429/transport errors with the REST backoff, others not retried."""

from __future__ import annotations

from typing import Any

import pytest

from kpy.errors import BadRequest, ConnectionFailed, NotFound, ServerError
from kpy.events.api import ObjectResolver
from kpy.flowcontrol.backoff import Backoff
from kpy.rest.discovery_docs import ResourceInfo

PODS = ResourceInfo(group="", version="v1", resource="pods", kind="Pod", namespaced=True)


class Discovery:
    async def resolve(self, kind: str) -> ResourceInfo:
        return PODS


class Client:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.gets = 0

    async def get_json(self, path: str) -> dict[str, Any]:
        self.gets += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"metadata": {"uid": "u-web"}}


def resolver(client: Client, max_tries: int = 12) -> tuple[ObjectResolver, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    r = ObjectResolver(
        client,  # type: ignore[arg-type]
        Discovery(),  # type: ignore[arg-type]
        "default",
        max_tries=max_tries,
        backoff=lambda: Backoff(duration=0.25, factor=2.0, steps=12, cap=4.0),
        sleep=sleep,
    )
    return r, slept


async def test_server_errors_and_broken_connections_are_retried_with_growing_sleeps() -> None:
    client = Client([ServerError("boom"), ConnectionFailed("EOF"), ServerError("slow", code=429)])
    r, slept = resolver(client)
    ref = await r.resolve("pod/web")
    assert (ref.uid, client.gets, slept, r.retries) == ("u-web", 4, [0.25, 0.5, 1.0], 3)


async def test_after_max_tries_the_error_is_raised_and_the_next_call_tries_again() -> None:
    client = Client([ServerError("boom")] * 6)
    r, _ = resolver(client, max_tries=3)
    with pytest.raises(ServerError):
        await r.resolve("pod/web")
    assert client.gets == 3
    with pytest.raises(ServerError):
        await r.resolve("pod/web")  # not cached: a failed lookup is tried afresh
    assert (await r.resolve("pod/web")).uid == "u-web"


async def test_rejections_are_not_retried_and_not_found_still_makes_a_reference() -> None:
    client = Client([BadRequest("bad")])
    r, slept = resolver(client)
    with pytest.raises(BadRequest):
        await r.resolve("pod/web")
    assert slept == []
    client = Client([NotFound("gone")])
    r, slept = resolver(client)
    ref = await r.resolve("pod/gone")
    assert (ref.kind, ref.name, ref.uid, slept) == ("Pod", "gone", "", [])
