"""The leader-election record and its mapping to a coordination.k8s.io/v1 Lease spec.

Field by field what client-go's resourcelock.LeaseLock writes, so a Lease written by kpy and one written by a
client-go elector are interchangeable: ``holderIdentity``, ``leaseDurationSeconds`` (whole seconds),
``acquireTime`` and ``renewTime`` as MicroTime (RFC 3339, UTC, exactly six fractional digits,
``2006-01-02T15:04:05.000000Z``) and ``leaseTransitions``. ``strategy`` and ``preferredHolder`` (coordinated
leader election) are carried through untouched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def format_micro_time(t: datetime) -> str:
    """metav1.MicroTime's JSON form: UTC, ``2006-01-02T15:04:05.000000Z``."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """RFC 3339 with any number of fractional digits (MicroTime or Time) to an aware UTC datetime."""
    m = _TIME.match(text.strip())
    if m is None:
        raise ValueError(f"invalid time {text!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(6, "0")[:6]
    t = datetime(year, month, day, hour, minute, second, int(frac), tzinfo=UTC)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        t = t - offset if m.group(9) == "+" else t + offset
    return t


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
