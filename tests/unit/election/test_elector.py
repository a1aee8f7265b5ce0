"""The asyncio elector over an in-memory store with real 409 semantics, on a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.election.fakes import FakeLock, LeaseStore

from kpy.election.config import ElectionConfig
from kpy.election.elector import LeaderElector
from kpy.errors import Forbidden, NotFound, ServerError
from kpy.gocompat.clock import FakeClock
from kpy.gocompat.duration import MILLISECOND, SECOND


def election_clock() -> FakeClock:
    """Monotonic seconds from 1000, wall time from 2024-01-02T03:04:05Z; sleeping advances it."""
    return FakeClock(1000.0, wall=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), auto_advance=True)


CFG = ElectionConfig(15 * SECOND, 10 * SECOND, 2 * SECOND, 3 * SECOND)


def elector(store: LeaseStore, identity: str, clock: FakeClock, **kw: Any) -> LeaderElector:
    return LeaderElector(FakeLock(store), identity, CFG, clock=clock, rand=kw.pop("rand", lambda: 0.0), **kw)


async def test_first_candidate_creates_the_lease_and_leads() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    assert a.core.is_leader()
    spec = store.spec()
    assert spec["holderIdentity"] == "a"
    assert spec["leaseDurationSeconds"] == 15
    assert spec["leaseTransitions"] == 0
    assert spec["acquireTime"] == spec["renewTime"] == "2024-01-02T03:04:05.000000Z"


async def test_second_candidate_waits_until_the_lease_expires_in_its_own_view() -> None:
    store, clock = LeaseStore(), election_clock()
    a, b = elector(store, "a", clock), elector(store, "b", clock)
    await a.acquire()
    assert not await b.try_acquire_or_renew()
    seen_at = clock.monotonic()
    clock.advance(14.9)
    assert not await b.try_acquire_or_renew()
    clock.advance(0.1)
    assert await b.try_acquire_or_renew()
    assert clock.monotonic() - seen_at == pytest.approx(15.0)
    assert store.spec()["holderIdentity"] == "b"
    assert store.spec()["leaseTransitions"] == 1


async def test_leader_renews_on_the_fast_path_without_a_get() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    lock = a.lock
    assert isinstance(lock, FakeLock)
    lock.calls.clear()
    clock.advance(2)
    assert await a.try_acquire_or_renew()
    assert lock.calls == ["update"]
    spec = store.spec()
    assert spec["renewTime"] == "2024-01-02T03:04:07.000000Z"
    assert spec["acquireTime"] == "2024-01-02T03:04:05.000000Z"


async def test_fast_path_conflict_falls_back_to_get_and_sees_the_new_holder() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    store.put_spec({**store.spec(), "holderIdentity": "intruder", "leaseTransitions": 1})
    lock = a.lock
    assert isinstance(lock, FakeLock)
    lock.calls.clear()
    assert not await a.try_acquire_or_renew()
    assert lock.calls == ["update", "get"]
    assert a.core.leader == "intruder"


async def test_concurrent_takeover_lets_exactly_one_candidate_win_via_409() -> None:
    store, clock = LeaseStore(), election_clock()
    old = elector(store, "old", clock)
    await old.acquire()
    b, c = elector(store, "b", clock), elector(store, "c", clock)
    assert not await b.try_acquire_or_renew()
    assert not await c.try_acquire_or_renew()
    clock.advance(15)
    # both read the same expired record, then both write: the second write is a stale PUT
    results = await asyncio.gather(b.try_acquire_or_renew(), c.try_acquire_or_renew())
    assert sorted(results) == [False, True]
    assert store.spec()["leaseTransitions"] == 1
    loser = c if results[0] else b
    assert "Conflict" in type(loser.last_error).__name__


async def test_acquire_retries_every_jittered_retry_period() -> None:
    store, clock = LeaseStore(), election_clock()
    await elector(store, "a", clock).acquire()
    rands = iter([0.0, 0.5, 0.99, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    b = elector(store, "b", clock, rand=lambda: next(rands))
    clock.sleeps.clear()
    await b.acquire()
    assert clock.sleeps[:4] == pytest.approx([2.0, 2 + 0.5 * 2.4, 2 + 0.99 * 2.4, 2 + 0.25 * 2.4])
    assert all(2.0 <= s < 4.4 for s in clock.sleeps)
    assert b.core.is_leader()


async def test_new_leader_callback_fires_once_per_holder_change() -> None:
    store, clock = LeaseStore(), election_clock()
    await elector(store, "a", clock).acquire()
    seen: list[str] = []
    b = elector(store, "b", clock, on_new_leader=seen.append)
    await b.acquire()
    assert seen == ["a", "b"]


async def test_renew_round_fails_after_the_renew_deadline_when_the_server_errors() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()

    def fail(verb: str) -> None:
        raise ServerError("etcd is sad", reason="InternalError")

    store.fault = fail
    start = clock.monotonic()
    reason = await a.renew_round()
    assert reason is not None
    assert reason.startswith("failed to renew within --renew-deadline 10s: ")
    assert "etcd is sad" in reason
    assert clock.monotonic() - start == pytest.approx(10.0)
    assert clock.sleeps[-5:] == [2.0] * 5


async def test_renew_round_succeeds_when_the_server_recovers_before_the_deadline() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    failures = iter(range(5))

    def flaky(verb: str) -> None:
        if next(failures, None) is not None:
            raise ServerError("blip")

    store.fault = flaky
    assert await a.renew_round() is None


async def test_renew_round_fails_at_once_when_another_holder_is_observed() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    store.put_spec({**store.spec(), "holderIdentity": "b"})
    start = clock.monotonic()
    assert await a.renew_round() == "new leader: b"
    assert clock.monotonic() == start


async def test_renew_loop_runs_rounds_every_retry_period_until_one_fails() -> None:
    store, clock = LeaseStore(), election_clock()
    renewed: list[float] = []
    a = elector(store, "a", clock, on_renewed=lambda: renewed.append(clock.monotonic()))
    await a.acquire()
    renewed.clear()
    count = iter(range(3))

    def stop_after_three(verb: str) -> None:
        if next(count, None) is None:
            store.put_spec({**store.spec(), "holderIdentity": "b"})

    store.fault = stop_after_three
    reason = await a.renew()
    assert reason.startswith("new leader: b")
    assert renewed == [1000.0, 1002.0, 1004.0]
    assert a.metrics.renew_rounds_failed == 1


async def test_forbidden_while_acquiring_is_retried_and_reported_each_time_like_client_go() -> None:
    """RBAC is often granted after the workload starts: client-go retries a 403 forever; kpy too, and says why."""
    store, clock = LeaseStore(), election_clock()
    tries = 0

    def forbid(verb: str) -> None:
        nonlocal tries
        tries += 1
        if tries <= 3:
            raise Forbidden(
                'leases.coordination.k8s.io "l" is forbidden: User "app" cannot get resource "leases"',
                reason="Forbidden",
            )

    store.fault = forbid
    reported: list[str] = []
    a = elector(store, "a", clock, on_try_failed=reported.append)
    await a.acquire()
    assert a.core.is_leader()
    assert (
        reported
        == [
            'error retrieving resource lock default/l: leases.coordination.k8s.io "l" is forbidden: '
            'User "app" cannot get resource "leases"'
        ]
        * 3
    )
    assert clock.sleeps == [2.0, 2.0, 2.0]  # RetryPeriod × (1 + 0 jitter) between tries


async def test_missing_namespace_on_create_is_raised_while_acquiring() -> None:
    store, clock = LeaseStore(), election_clock()

    def no_namespace(verb: str) -> None:
        if verb == "create":
            raise NotFound('namespaces "nope" not found', reason="NotFound")

    store.fault = no_namespace
    with pytest.raises(NotFound, match="nope"):
        await elector(store, "a", clock).acquire()


async def test_transient_errors_while_acquiring_are_retried() -> None:
    store, clock = LeaseStore(), election_clock()
    failures = iter(range(2))

    def flaky(verb: str) -> None:
        if next(failures, None) is not None:
            raise ServerError("blip")

    store.fault = flaky
    a = elector(store, "a", clock)
    await a.acquire()
    assert a.core.is_leader()
    assert clock.sleeps == [2.0, 2.0]


async def test_release_writes_empty_holder_duration_one_and_keeps_transitions() -> None:
    store, clock = LeaseStore(), election_clock()
    await elector(store, "a", clock).acquire()
    b = elector(store, "b", clock)
    clock.advance(1)
    await b.try_acquire_or_renew()
    clock.advance(15)
    await b.acquire()
    assert store.spec()["leaseTransitions"] == 1
    assert await b.release()
    spec = store.spec()
    assert spec["holderIdentity"] == ""
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 1
    assert not b.core.is_leader()
    # a released lease is taken by the next candidate at once
    c = elector(store, "c", clock)
    assert await c.try_acquire_or_renew()
    assert store.spec()["leaseTransitions"] == 2


async def test_release_by_a_non_leader_writes_nothing() -> None:
    store, clock = LeaseStore(), election_clock()
    await elector(store, "a", clock).acquire()
    b = elector(store, "b", clock)
    await b.try_acquire_or_renew()
    writes = len(store.writes)
    assert await b.release()
    assert len(store.writes) == writes


async def test_a_hung_request_is_cut_at_the_renew_deadline() -> None:
    store, clock = LeaseStore(), election_clock()
    a = LeaderElector(
        FakeLock(store),
        "a",
        ElectionConfig(2 * SECOND, 1500 * MILLISECOND, 250 * MILLISECOND, 0),
        clock=clock,
    )
    await a.acquire()
    hang = asyncio.Event()

    async def hanging_update(record: Any, timeout: float | None = None) -> None:
        await hang.wait()

    a.lock.update = hanging_update  # type: ignore[method-assign]
    a.lock.get = hanging_update  # type: ignore[method-assign,assignment]
    ok = await asyncio.wait_for(a.try_acquire_or_renew(deadline=clock.monotonic() + 0.05), 5)
    assert not ok
    assert isinstance(a.last_error, TimeoutError)


async def test_send_time_of_the_last_successful_write_is_recorded() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    assert a.core.last_success_send == 1000.0
    clock.advance(3)
    await a.try_acquire_or_renew()
    assert a.core.last_success_send == 1003.0


async def test_release_with_a_stale_cached_lease_rereads_and_releases_if_still_ours() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    store.put_spec(store.spec())  # our own renewal applied, but its answer was lost: the cache is stale
    assert await a.release()
    assert store.spec()["holderIdentity"] == ""


async def test_release_after_someone_else_took_over_leaves_their_lease_alone() -> None:
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    store.put_spec({**store.spec(), "holderIdentity": "b", "leaseTransitions": 1})
    assert await a.release()
    assert store.spec()["holderIdentity"] == "b"
    assert a.core.leader == "b"


async def test_no_renewal_is_sent_once_the_stop_deadline_has_passed() -> None:
    """A leader frozen past last send + 0.9 × LDS − grace has lost, even if nobody else took the lease."""
    store, clock = LeaseStore(), election_clock()
    a = elector(store, "a", clock)
    await a.acquire()
    writes = len(store.writes)
    assert a.stop_deadline() == 1000.0 + 0.9 * 15 - 3.0
    clock.advance(0.9 * 15 - 3.0)  # frozen until exactly the deadline
    reason = await a.renew_round()
    assert reason is not None and reason.startswith("renewal overdue")
    assert "(last successful renewal sent 10.50s ago)" in reason
    assert len(store.writes) == writes  # nothing was sent
    assert a.overdue(clock.monotonic()) == reason


async def test_a_renew_round_gives_up_at_the_stop_deadline_when_it_comes_before_the_renew_deadline() -> None:
    store, clock = LeaseStore(), election_clock()
    cfg = ElectionConfig(15 * SECOND, 10 * SECOND, 2 * SECOND, 3 * SECOND)
    a = LeaderElector(FakeLock(store), "a", cfg, clock=clock, rand=lambda: 0.0)
    await a.acquire()
    clock.advance(8.0)  # the renew round starts late (8 s after the last send): 2.5 s left until the deadline

    def fail(verb: str) -> None:
        raise ServerError("injected", reason="InternalError")

    store.fault = fail
    reason = await a.renew_round()
    assert reason is not None and reason.startswith("renewal overdue")
    assert (
        clock.monotonic() <= 1000.0 + 10.5 + 1e-9
    )  # it stopped trying at the stop deadline, not at 8 + 10 s
