"""The emulator's kubelet side of pods/log, request by request: the kubelet's status checks and messages, and
the faults the resume tests use (each checked here on its own)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kpy.errors import BadRequest
from kpy.rest import RestClient

NS = "default"


def create(em: Any, name: str, status: dict[str, Any] | None = None, node: str = "node-1") -> None:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **({"nodeName": node} if node else {})},
    }
    em.api.create(em.logs.pods, NS, body)
    if status is not None:
        pod = em.api.get(em.logs.pods, NS, name)
        pod["status"] = status
        em.api.update(em.logs.pods, NS, name, pod, subresource="status")


async def read(client: RestClient, name: str, **params: str) -> bytes:
    chunks = [c async for c in client.stream_bytes(f"/api/v1/namespaces/{NS}/pods/{name}/log", params)]
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ({"phase": "Pending"}, 'container "c" in pod "p" is not available'),
        (
            {"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ContainerCreating"}}}]},
            'container "c" in pod "p" is waiting to start: ContainerCreating',
        ),
        (
            {"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]},
            'container "c" in pod "p" is waiting to start: trying and failing to pull image',
        ),
        (
            {"containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 1}}}]},
            'container "c" in pod "p" is terminated',
        ),
    ],
)
async def test_kubelet_status_checks(
    emulator: Any, client: RestClient, status: dict[str, Any], message: str
) -> None:
    create(emulator, "p", status)
    with pytest.raises(BadRequest) as caught:
        await read(client, "p")
    assert str(caught.value) == message + "\n"  # the kubelet's text, newline kept by the apiserver


async def test_unscheduled_pod_has_an_empty_log(emulator: Any, client: RestClient) -> None:
    create(emulator, "p", node="")
    assert await read(client, "p") == b""


async def test_restart_ends_follow_and_fills_previous(emulator: Any, client: RestClient) -> None:
    em = emulator
    create(em, "p")
    em.logs.run_pod(NS, "p")
    em.logs.append(NS, "p", "c", "one")
    follow = asyncio.create_task(read(client, "p", follow="true"))
    async with asyncio.timeout(10):
        while not em.logs.containers[(NS, "p", "c")].streams:  # the follow request is being served
            await asyncio.sleep(0.01)
    em.logs.append(NS, "p", "c", "two")
    pod = em.logs.restart(NS, "p", "c")
    assert await asyncio.wait_for(follow, 10) == b"one\ntwo\n"  # drained, then ended with the instance
    assert await read(client, "p", previous="true") == b"one\ntwo\n"
    assert await read(client, "p") == b""
    cs = pod["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["containerID"] != cs["containerID"]


async def test_cut_after_bytes_and_refused_since_time(emulator: Any, client: RestClient) -> None:
    em = emulator
    create(em, "p")
    em.logs.run_pod(NS, "p")
    em.logs.append(NS, "p", "c", "0123456789")
    em.logs.cut_after(NS, "p", "c", 4)
    assert await read(client, "p", follow="true") == b"0123"
    assert await read(client, "p") == b"0123456789\n"  # only follow streams are cut
    em.logs.refuse_since_time = True
    with pytest.raises(BadRequest):
        await read(client, "p", sinceTime="2026-01-01T00:00:00Z")
    em.logs.refuse_since_time = False
    em.logs.ignore_since_time = True
    assert await read(client, "p", sinceTime="2099-01-01T00:00:00Z") == b"0123456789\n"
