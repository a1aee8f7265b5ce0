"""``RestClient.get_named``: kubectl's named GET (cli-runtime ``Info.Get``) reports a missing namespace, not the
object, after a 404 — the real kube-apiserver itself answers ``pods "x" not found`` (checked on 1.36)."""

from __future__ import annotations

from typing import Any

import pytest

from kpy.errors import NotFound
from kpy.rest import RestClient

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{}/leases/x"


async def test_missing_namespace_is_reported(client: RestClient, emulator: Any) -> None:
    with pytest.raises(NotFound) as info:
        await client.get_named(LEASES.format("nosuchns"), "nosuchns")
    assert info.value.format() == 'Error from server (NotFound): namespaces "nosuchns" not found'
    paths = [r.path for r in emulator.requests[-2:]]
    assert paths == [LEASES.format("nosuchns"), "/api/v1/namespaces/nosuchns"]


@pytest.mark.parametrize("namespace", ["kube-system", "default"])
async def test_existing_namespace_keeps_the_objects_404(
    client: RestClient, emulator: Any, namespace: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(NotFound) as info:
        await client.get_named(LEASES.format(namespace), namespace)
    assert str(info.value) == 'leases.coordination.k8s.io "x" not found'
    # kubectl never re-checks "default"
    assert len(emulator.requests) - before == (1 if namespace == "default" else 2)


async def test_namespace_check_that_fails_otherwise_keeps_the_objects_404(
    client: RestClient, emulator: Any
) -> None:
    emulator.faults.fail_next(1, 403, match="^/api/v1/namespaces/nosuchns$", message="forbidden")
    with pytest.raises(NotFound) as info:
        await client.get_named(LEASES.format("nosuchns"), "nosuchns")
    assert str(info.value) == 'leases.coordination.k8s.io "x" not found'
