"""Fault injection (``Emulator.faults``): scripted failures for testing clients' retry and resume logic."""

from __future__ import annotations

import asyncio

from tests.integration.clihelpers import pod
from tests.integration.emulator.conftest import Client

PODS = "/api/v1/namespaces/default/pods"


async def test_fail_next_answers_status_bodies_with_retry_after(client: Client) -> None:
    """429 like the apiserver's max-in-flight filter: TooManyRequests Status plus a Retry-After header."""
    client.em.faults.fail_next(2, status=429, retry_after=3, match=r"/pods$", verb="GET")
    async with client.session.get(client.em.url + PODS, ssl=client.ssl) as resp:
        body = await resp.json()
        assert (resp.status, resp.headers["Retry-After"]) == (429, "3")
        assert (body["reason"], body["details"]) == ("TooManyRequests", {"retryAfterSeconds": 3})
    assert (await client.call("GET", "/api/v1/namespaces"))[0] == 200  # does not match: not consumed
    assert (await client.call("GET", PODS))[0] == 429
    assert (await client.call("GET", PODS))[0] == 200
    client.em.faults.fail_next(1, status=503)
    code, body = await client.call("GET", PODS)
    assert (code, body["reason"]) == (503, "ServiceUnavailable")


async def test_latency_delays_matching_requests(client: Client) -> None:
    loop = asyncio.get_running_loop()
    client.em.faults.set_latency(0.3, match="/namespaces$")
    start = loop.time()
    await client.call("GET", PODS)
    fast = loop.time() - start
    start = loop.time()
    await client.call("GET", "/api/v1/namespaces")
    assert loop.time() - start >= 0.3 > fast


async def test_pause_holds_requests_until_resume(client: Client) -> None:
    client.em.faults.pause()
    pending = asyncio.ensure_future(client.call("GET", PODS))
    await asyncio.sleep(0.2)  # a held request must not complete while paused
    assert not pending.done()
    client.em.faults.resume()
    code, _ = await asyncio.wait_for(pending, 5)
    assert code == 200


async def test_delete_pod_fault_deletes_it(client: Client) -> None:
    await client.call("POST", PODS, pod("victim"))
    client.em.faults.delete_pod("default", "victim")
    assert (await client.call("GET", PODS + "/victim"))[0] == 404


async def test_portforward_route_checks_the_pod_and_the_ports(client: Client) -> None:
    """Upstream: portforward of a missing pod is 404 NotFound; ports must parse (PodPortForwardOptions)."""
    code, body = await client.call("GET", PODS + "/nope/portforward", params={"ports": "80"})
    assert (code, body["message"]) == (404, 'pods "nope" not found')
    await client.call("POST", PODS, pod("pf"))
    code, body = await client.call("GET", PODS + "/pf/portforward", params={"ports": "http"})
    assert (code, body["reason"]) == (400, "BadRequest")
    code, body = await client.call("GET", PODS + "/pf/portforward")
    assert (code, body["reason"]) == (400, "BadRequest")
