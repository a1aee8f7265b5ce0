"""An in-memory Lease store with the API server's optimistic-concurrency semantics, and locks over it."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from kpy.election.record import LeaderElectionRecord
from kpy.errors import AlreadyExists, Conflict, KpyError, NotFound


class LeaseStore:
    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.rv = 0
        self.writes: list[tuple[str, dict[str, Any]]] = []
        #: called before each request with the verb; may raise to inject a fault
        self.fault: Callable[[str], None] | None = None

    def spec(self) -> dict[str, Any]:
        assert self.lease is not None
        return dict(self.lease["spec"])

    def put_spec(self, spec: dict[str, Any]) -> None:
        """Someone else (another elector, kubectl) writes the lease."""
        self.rv += 1
        if self.lease is None:
            self.lease = {"metadata": {"name": "l", "namespace": "default"}}
        self.lease = {
            **self.lease,
            "metadata": {**self.lease["metadata"], "resourceVersion": str(self.rv)},
            "spec": dict(spec),
        }


class FakeLock:
    def __init__(self, store: LeaseStore) -> None:
        self.store = store
        self.cached: dict[str, Any] | None = None
        self.calls: list[str] = []

    def describe(self) -> str:
        return "default/l"

    def _enter(self, verb: str) -> None:
        self.calls.append(verb)
        if self.store.fault is not None:
            self.store.fault(verb)

    async def get(self, timeout: float | None = None) -> LeaderElectionRecord:
        self._enter("get")
        if self.store.lease is None:
            raise NotFound('leases.coordination.k8s.io "l" not found', reason="NotFound")
        self.cached = copy.deepcopy(self.store.lease)
        await asyncio.sleep(0)  # the answer travels back: other candidates may run meanwhile
        return LeaderElectionRecord.from_lease_spec(self.cached["spec"])

    async def create(self, record: LeaderElectionRecord, timeout: float | None = None) -> None:
        self._enter("create")
        if self.store.lease is not None:
            raise AlreadyExists('leases.coordination.k8s.io "l" already exists', reason="AlreadyExists")
        self.store.put_spec(record.to_lease_spec())
        self.store.writes.append(("create", record.to_lease_spec()))
        self.cached = copy.deepcopy(self.store.lease)

    async def update(self, record: LeaderElectionRecord, timeout: float | None = None) -> None:
        self._enter("update")
        if self.cached is None:
            raise KpyError("lease not initialized, call get or create first")
        assert self.store.lease is not None
        if self.cached["metadata"]["resourceVersion"] != self.store.lease["metadata"]["resourceVersion"]:
            raise Conflict(
                'Operation cannot be fulfilled on leases.coordination.k8s.io "l": the object has been '
                "modified; please apply your changes to the latest version and try again",
                reason="Conflict",
            )
        self.store.put_spec(record.to_lease_spec())
        self.store.writes.append(("update", record.to_lease_spec()))
        self.cached = copy.deepcopy(self.store.lease)
