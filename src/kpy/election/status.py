"""``kpy elect status``: what a Lease says about its election, judged once by this machine's wall clock.

Candidates never judge expiry this way (they use their own monotonic clocks from when they saw the record
change); a one-shot observer has nothing better than ``renewTime + leaseDurationSeconds`` against ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kpy.election.record import LeaderElectionRecord
from kpy.gocompat.metav1 import format_micro_time


@dataclass(frozen=True)
class LeaseStatus:
    namespace: str
    name: str
    holder: str
    lease_duration_seconds: int
    transitions: int
    acquire_time: datetime | None
    renew_time: datetime | None
    renewed_ago: float | None
    expired: bool

    @property
    def held(self) -> bool:
        return bool(self.holder) and not self.expired

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "holderIdentity": self.holder,
            "held": self.held,
            "expired": self.expired,
            "renewTime": format_micro_time(self.renew_time) if self.renew_time else None,
            "acquireTime": format_micro_time(self.acquire_time) if self.acquire_time else None,
            "renewedSecondsAgo": None if self.renewed_ago is None else round(self.renewed_ago, 3),
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.transitions,
        }

    def to_text(self) -> str:
        holder = self.holder or "<none> (released)"
        if self.renew_time is None or self.renewed_ago is None:
            renewed = "<never>"
        else:
            renewed = f"{human_ago(self.renewed_ago)} ({format_micro_time(self.renew_time)})"
        acquired = format_micro_time(self.acquire_time) if self.acquire_time else "<never>"
        rows = [
            ("Lease", f"{self.namespace}/{self.name}"),
            ("Holder", holder),
            ("Renewed", renewed),
            ("Acquired", acquired),
            ("Lease duration", f"{self.lease_duration_seconds}s"),
            ("Expired", "true" if self.expired else "false"),
            ("Transitions", str(self.transitions)),
        ]
        return "".join(f"{key + ':':<16}{value}\n" for key, value in rows)


def lease_status(lease: dict[str, Any], now: datetime) -> LeaseStatus:
    meta = lease.get("metadata") or {}
    record = LeaderElectionRecord.from_lease_spec(lease.get("spec"))
    renewed_ago = (now - record.renew_time).total_seconds() if record.renew_time else None
    expired = (
        not record.holder_identity
        or record.renew_time is None
        or record.renew_time + timedelta(seconds=record.lease_duration_seconds) <= now
    )
    return LeaseStatus(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        holder=record.holder_identity,
        lease_duration_seconds=record.lease_duration_seconds,
        transitions=record.leader_transitions,
        acquire_time=record.acquire_time,
        renew_time=record.renew_time,
        renewed_ago=renewed_ago,
        expired=expired,
    )


def human_ago(seconds: float) -> str:
    """``0.4s ago``, ``12.3s ago``, ``5m3s ago``, ``2h5m ago``, ``3d4h ago``; ``in 1.2s`` for clock skew."""
    if seconds < 0:
        return f"in {-seconds:.1f}s (the holder's clock is ahead)"
    if seconds < 60:
        return f"{seconds:.1f}s ago"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60}s ago"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60}m ago"
    return f"{s // 86400}d{s % 86400 // 3600}h ago"
