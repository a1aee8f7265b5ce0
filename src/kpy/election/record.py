"""The leader-election record and its mapping to a coordination.k8s.io/v1 Lease spec.

Field by field what client-go's resourcelock.LeaseLock writes, so a Lease written by kpy and one written by a
client-go elector are interchangeable: ``holderIdentity``, ``leaseDurationSeconds`` (whole seconds),
``acquireTime`` and ``renewTime`` as MicroTime (RFC 3339, UTC, exactly six fractional digits,
``2006-01-02T15:04:05.000000Z``) and ``leaseTransitions``. ``strategy`` and ``preferredHolder`` (coordinated
leader election) are carried through untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kpy.gocompat.metav1 import format_micro_time, parse_time


@dataclass(frozen=True)
class LeaderElectionRecord:
    """resourcelock.LeaderElectionRecord. Times are aware UTC datetimes, or None when absent."""

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    leader_transitions: int = 0
    strategy: str | None = None
    preferred_holder: str | None = None

    @classmethod
    def from_lease_spec(cls, spec: dict[str, Any] | None) -> LeaderElectionRecord:
        """``LeaseSpecToLeaderElectionRecord``: absent fields become zero values; bad times become None."""
        spec = spec or {}

        def time_of(key: str) -> datetime | None:
            value = spec.get(key)
            if not isinstance(value, str) or not value:
                return None
            try:
                return parse_time(value)
            except ValueError:
                return None

        return cls(
            holder_identity=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=time_of("acquireTime"),
            renew_time=time_of("renewTime"),
            leader_transitions=int(spec.get("leaseTransitions") or 0),
            strategy=spec.get("strategy") or None,
            preferred_holder=spec.get("preferredHolder") or None,
        )

    def to_lease_spec(self) -> dict[str, Any]:
        """``LeaderElectionRecordToLeaseSpec``: every field present (holderIdentity "" on release)."""
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        spec: dict[str, Any] = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "acquireTime": format_micro_time(self.acquire_time or epoch),
            "renewTime": format_micro_time(self.renew_time or epoch),
            "leaseTransitions": self.leader_transitions,
        }
        if self.strategy:
            spec["strategy"] = self.strategy
        if self.preferred_holder:
            spec["preferredHolder"] = self.preferred_holder
        return spec

    def raw(self) -> str:
        """A canonical serialisation: client-go compares records by their JSON bytes to spot a change."""
        return json.dumps(
            {
                "holderIdentity": self.holder_identity,
                "leaseDurationSeconds": self.lease_duration_seconds,
                "acquireTime": format_micro_time(self.acquire_time) if self.acquire_time else None,
                "renewTime": format_micro_time(self.renew_time) if self.renew_time else None,
                "leaderTransitions": self.leader_transitions,
                "strategy": self.strategy,
                "preferredHolder": self.preferred_holder,
            },
            sort_keys=True,
        )
