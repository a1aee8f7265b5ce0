"""The sans-I/O heart of client-go's elector: ``tryAcquireOrRenew`` as pure decisions over an observed record.

The asyncio layer (``kpy.election.elector``) does the requests; this module only decides, given the record it
read (or the fact that there is none), the local monotonic time and the wall time to write into the Lease:

1. fast path: while we lead and our view is still valid, PUT the cached lease without a GET
   (:meth:`ElectionCore.fast_path`);
2. otherwise GET: not found → create; a changed record resets ``observed_time`` to *now* (expiry is judged on
   our monotonic clock from the moment the record last changed, with the holder's own
   ``leaseDurationSeconds``, never from the timestamps in it); held by someone else and still valid → wait;
   else update, keeping ``acquireTime`` and ``leaseTransitions`` when we already lead and adding one to
   ``leaseTransitions`` on a change of holder (:meth:`ElectionCore.after_get`).
3. after a successful write the written record becomes the observed one (:meth:`ElectionCore.on_written`),
   and the monotonic time the write was *sent* is remembered: a follower can take over no sooner than a
   lease duration after that.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kpy.election.record import LeaderElectionRecord


@dataclass(frozen=True)
class Create:
    """No lease yet: POST one with this record."""

    record: LeaderElectionRecord


@dataclass(frozen=True)
class Update:
    """PUT the cached lease with this record (``slow_path`` when we already led: a renew that needed a GET)."""

    record: LeaderElectionRecord
    slow_path: bool = False


@dataclass(frozen=True)
class Held:
    """Someone else holds a lease that has not expired in our view; try again later."""

    holder: str
    expires_in: float


Decision = Create | Update | Held


class ElectionCore:
    """Observed state of one candidate, and the decisions of ``tryAcquireOrRenew``.

    Times: ``now`` is the local monotonic clock in seconds; ``wall`` is the aware UTC datetime written into the
    Lease (only informational for other candidates).
    """

    def __init__(self, identity: str, lease_duration_seconds: int) -> None:
        if not identity:
            raise ValueError("Lock identity is empty")
        self.identity = identity
        self.lease_duration_seconds = lease_duration_seconds
        self.observed: LeaderElectionRecord | None = None
        self.observed_raw: str | None = None
        self.observed_time: float = 0.0
        #: monotonic time at which the last *successful* write by us was sent (None: never)
        self.last_success_send: float | None = None
        self.reported_leader: str = ""
        self.slow_path_count = 0

    # -- queries -------------------------------------------------------------------------------------------
    def is_leader(self) -> bool:
        """IsLeader: the last observed record names us."""
        return self.observed is not None and self.observed.holder_identity == self.identity

    @property
    def leader(self) -> str:
        """GetLeader: the last observed holder ("" when none observed)."""
        return self.observed.holder_identity if self.observed else ""

    @property
    def transitions(self) -> int:
        return self.observed.leader_transitions if self.observed else 0

    def lease_valid(self, now: float) -> bool:
        """isLeaseValid: observedTime + holder's leaseDurationSeconds is after now."""
        duration = self.observed.lease_duration_seconds if self.observed else 0
        return self.observed_time + duration > now

    def expires_in(self, now: float) -> float:
        duration = self.observed.lease_duration_seconds if self.observed else 0
        return self.observed_time + duration - now

    def desired(self, wall: datetime) -> LeaderElectionRecord:
        """The default record this candidate writes (holder = us, acquire = renew = wall)."""
        return LeaderElectionRecord(
            holder_identity=self.identity,
            lease_duration_seconds=self.lease_duration_seconds,
            acquire_time=wall,
            renew_time=wall,
        )

    # -- decisions -----------------------------------------------------------------------------------------
    def fast_path(self, now: float, wall: datetime) -> LeaderElectionRecord | None:
        """The record to PUT optimistically (no GET), or None when the fast path does not apply."""
        if not (self.is_leader() and self.lease_valid(now)):
            return None
        assert self.observed is not None
        return replace(
            self.desired(wall),
            acquire_time=self.observed.acquire_time,
            leader_transitions=self.observed.leader_transitions,
            strategy=self.observed.strategy,
            preferred_holder=self.observed.preferred_holder,
        )

    def after_get(self, got: LeaderElectionRecord | None, now: float, wall: datetime) -> Decision:
        """Step 2-4 of tryAcquireOrRenew once the GET answered (``got`` None: the lease does not exist)."""
        desired = self.desired(wall)
        if got is None:
            return Create(desired)
        raw = got.raw()
        if raw != self.observed_raw:
            self.observed = got
            self.observed_raw = raw
            self.observed_time = now
        if got.holder_identity and self.lease_valid(now) and not self.is_leader():
            return Held(got.holder_identity, self.expires_in(now))
        carried = replace(desired, strategy=got.strategy, preferred_holder=got.preferred_holder)
        if self.is_leader():
            self.slow_path_count += 1
            return Update(
                replace(carried, acquire_time=got.acquire_time, leader_transitions=got.leader_transitions),
                slow_path=True,
            )
        return Update(replace(carried, leader_transitions=got.leader_transitions + 1))

    def on_written(self, record: LeaderElectionRecord, now: float, sent_at: float) -> None:
        """setObservedRecord after a successful create/update (observed_raw is left as it was, like client-go)."""
        self.observed = record
        self.observed_time = now
        if record.holder_identity == self.identity:
            self.last_success_send = sent_at

    def release_record(self, wall: datetime) -> LeaderElectionRecord | None:
        """What ``release`` writes, or None when we are not the leader (nothing to release)."""
        if not self.is_leader():
            return None
        assert self.observed is not None
        return LeaderElectionRecord(
            holder_identity="",
            lease_duration_seconds=1,
            acquire_time=wall,
            renew_time=wall,
            leader_transitions=self.observed.leader_transitions,
            strategy=self.observed.strategy,
            preferred_holder=self.observed.preferred_holder,
        )

    def on_released(self, record: LeaderElectionRecord, now: float) -> None:
        self.observed = record
        self.observed_time = now
        self.last_success_send = None

    def maybe_report_transition(self) -> str | None:
        """The new leader's identity when it differs from the last one reported, else None."""
        holder = self.leader
        if holder == self.reported_leader:
            return None
        self.reported_leader = holder
        return holder

    def stop_deadline(self, safe_hold: float, grace: float) -> float | None:
        """Monotonic time by which the child must have been told to stop: last send + 0.9 × LDS − grace."""
        if self.last_success_send is None:
            return None
        return self.last_success_send + safe_hold - grace

    def healthy(self, now: float, lease_duration: float, tolerance: float) -> bool:
        """HealthzAdaptor/Check: a leader that has not renewed for LeaseDuration + tolerance is unhealthy."""
        if not self.is_leader():
            return True
        return now - self.observed_time <= lease_duration + tolerance
