"""Where the election record lives: a coordination.k8s.io/v1 Lease, read and written over ``RestClient``.

Like client-go's ``resourcelock.LeaseLock``: ``get`` caches the whole Lease (with its resourceVersion) so that
``update`` is a PUT of the cached object — optimistic concurrency, a concurrent writer gets 409 Conflict.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Protocol

from kpy.election.record import LeaderElectionRecord
from kpy.errors import ElectionError

if TYPE_CHECKING:
    from kpy.rest import RestClient

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


class Lock(Protocol):
    """resourcelock.Interface, async. ``get`` raises ``kpy.errors.NotFound`` when there is no record."""

    def describe(self) -> str: ...

    async def get(self, timeout: float | None = None) -> LeaderElectionRecord: ...

    async def create(self, record: LeaderElectionRecord, timeout: float | None = None) -> None: ...

    async def update(self, record: LeaderElectionRecord, timeout: float | None = None) -> None: ...


class LeaseLock:
    """A Lease ``namespace/name`` as the lock."""

    def __init__(self, client: RestClient, namespace: str, name: str) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.lease: dict[str, Any] | None = None

    def describe(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def collection_path(self) -> str:
        return LEASES.format(namespace=self.namespace)

    @property
    def path(self) -> str:
        return f"{self.collection_path}/{self.name}"

    async def get(self, timeout: float | None = None) -> LeaderElectionRecord:
        response = await self.client.request("GET", self.path, timeout=timeout)
        lease = response.json()
        self.lease = lease
        return LeaderElectionRecord.from_lease_spec(lease.get("spec"))

    async def create(self, record: LeaderElectionRecord, timeout: float | None = None) -> None:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.to_lease_spec(),
        }
        response = await self.client.request("POST", self.collection_path, json=body, timeout=timeout)
        self.lease = response.json()

    async def update(self, record: LeaderElectionRecord, timeout: float | None = None) -> None:
        if self.lease is None:
            raise ElectionError("lease not initialized, call get or create first")
        lease = copy.deepcopy(self.lease)
        lease["spec"] = record.to_lease_spec()
        lease.setdefault("apiVersion", "coordination.k8s.io/v1")
        lease.setdefault("kind", "Lease")
        response = await self.client.request("PUT", self.path, json=lease, timeout=timeout)
        self.lease = response.json()
