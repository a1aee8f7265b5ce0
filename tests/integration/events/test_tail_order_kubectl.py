"""Events with equal times print in ``kubectl events``' order: kubectl sorts with Go's ``sort.Sort`` (pdqsort,
not stable), so ties do not keep the server's list order; kpy must put them where kubectl does. With -A, 600
events, enough for the sort to break patterns: that step is where kubectl 1.32 (Go 1.23) and 1.33 (Go 1.24)
differ, and kpy follows 1.32."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, run_tool

from kpy import testing

KUBECTL_132 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"
ORACLE = KUBECTL_132 if os.access(KUBECTL_132, os.X_OK) else KUBECTL

pytestmark = pytest.mark.skipif(
    ORACLE is None,
    reason="needs kubectl (1.32 under /usr/lib/google-cloud-sdk/bin, else on PATH): its output is the expected "
    "order; runs wherever kubectl is installed, as on CI",
)

BURST = "2020-05-01T10:00:00Z"  # 200 events a namespace share this lastTimestamp; old enough for LAST SEEN not to tick
PER_NAMESPACE = 300


def other_time(i: int) -> str:
    """Every third event: its own time, before the burst for even ``i``, after it for odd."""
    start = datetime(2020, 5, 1, 9 + i % 2 * 2, tzinfo=UTC)
    return (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(namespace: str, i: int, stamp: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"ev-{i:03d}", "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": f"pod-{i % 7}", "namespace": namespace, "apiVersion": "v1"},
        "reason": "Burst",
        "message": f"event {namespace}/{i:03d}",
        "source": {"component": "kubelet"},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": "Normal",
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread() as thread:
        em = thread.emulator

        async def create() -> None:
            for namespace in ("ties", "more"):
                await em.create_object(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
                )
                for i in range(PER_NAMESPACE):
                    await em.create_object(event(namespace, i, BURST if i % 3 else other_time(i)))

        thread.call(create)
        yield thread


def messages(table: str) -> list[str]:
    return [line.split("event ", 1)[1] for line in table.splitlines()[1:]]


@pytest.mark.parametrize("scope", [["-n", "ties"], ["-A"]])
def test_ties_print_in_kubectl_events_order(sandbox: Any, scope: list[str]) -> None:
    config = sandbox.kubeconfig_path
    assert ORACLE is not None
    theirs = run_tool([ORACLE, "events", *scope], config)
    ours = kpy("events", "tail", "--no-watch", *scope, kubeconfig=config)
    assert (ours.code, ours.err) == (theirs.code, theirs.err) == (0, "")
    assert ours.out == theirs.out
    # the order is kubectl's own, not the list order kept for ties (which a stable sort would give)
    order = messages(theirs.out)
    burst = [m for m in order if int(m.rsplit("/", 1)[1]) % 3]
    assert len(burst) >= 200
    assert burst != sorted(burst)
