"""Every branch of tryAcquireOrRenew's decisions, driven by explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kpy.election.core import Create, ElectionCore, Held, Update
from kpy.election.record import LeaderElectionRecord

W0 = datetime(2024, 1, 1, tzinfo=UTC)


def wall(t: float) -> datetime:
    return W0 + timedelta(seconds=t)


def other(holder: str = "b", lds: int = 10, transitions: int = 2, renew: float = 0.0) -> LeaderElectionRecord:
    return LeaderElectionRecord(holder, lds, wall(-100), wall(renew), transitions)


def test_empty_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="Lock identity is empty"):
        ElectionCore("", 15)


def test_missing_lease_is_created_with_us_as_holder_and_zero_transitions() -> None:
    core = ElectionCore("a", 15)
    decision = core.after_get(None, 0.0, wall(0))
    assert decision == Create(LeaderElectionRecord("a", 15, wall(0), wall(0), 0))


def test_created_record_makes_us_leader_and_records_send_time() -> None:
    core = ElectionCore("a", 15)
    decision = core.after_get(None, 5.0, wall(5))
    assert isinstance(decision, Create)
    core.on_written(decision.record, 5.2, sent_at=5.1)
    assert core.is_leader()
    assert core.observed_time == 5.2
    assert core.last_success_send == 5.1


def test_lease_held_by_another_and_fresh_waits() -> None:
    core = ElectionCore("a", 15)
    decision = core.after_get(other(lds=10), 100.0, wall(100))
    assert decision == Held("b", 10.0)


def test_expiry_is_judged_from_when_we_saw_the_record_change_not_from_its_timestamps() -> None:
    core = ElectionCore("a", 15)
    stale_looking = other(lds=10, renew=-10_000)  # renewTime far in the past by our wall clock
    assert isinstance(core.after_get(stale_looking, 100.0, wall(100)), Held)
    # unchanged record: still held until 10 s after we first saw it
    assert isinstance(core.after_get(stale_looking, 109.9, wall(109.9)), Held)
    decision = core.after_get(stale_looking, 110.0, wall(110))
    assert isinstance(decision, Update)


def test_a_changed_record_restarts_the_expiry_clock() -> None:
    core = ElectionCore("a", 15)
    core.after_get(other(renew=0), 100.0, wall(100))
    assert isinstance(core.after_get(other(renew=5), 109.0, wall(109)), Held)  # holder renewed
    assert isinstance(core.after_get(other(renew=5), 118.9, wall(118.9)), Held)
    assert isinstance(core.after_get(other(renew=5), 119.0, wall(119)), Update)


def test_expiry_uses_the_holders_lease_duration_not_ours() -> None:
    core = ElectionCore("a", 60)
    core.after_get(other(lds=3), 100.0, wall(100))
    assert isinstance(core.after_get(other(lds=3), 102.9, wall(102.9)), Held)
    decision = core.after_get(other(lds=3), 103.0, wall(103))
    assert isinstance(decision, Update)
    assert decision.record.lease_duration_seconds == 60


def test_taking_over_an_expired_lease_adds_one_transition_and_resets_acquire_time() -> None:
    core = ElectionCore("a", 15)
    core.after_get(other(transitions=7), 0.0, wall(0))
    decision = core.after_get(other(transitions=7), 20.0, wall(20))
    assert decision == Update(LeaderElectionRecord("a", 15, wall(20), wall(20), 8), slow_path=False)


def test_released_lease_with_empty_holder_is_taken_at_once_with_a_transition() -> None:
    core = ElectionCore("a", 15)
    released = LeaderElectionRecord("", 1, wall(0), wall(0), 4)
    decision = core.after_get(released, 0.0, wall(0))
    assert isinstance(decision, Update)
    assert decision.record.leader_transitions == 5
    assert decision.record.holder_identity == "a"


def test_leader_slow_path_keeps_acquire_time_and_transitions() -> None:
    core = ElectionCore("a", 15)
    mine = LeaderElectionRecord("a", 15, wall(-50), wall(-1), 3)
    decision = core.after_get(mine, 0.0, wall(0))
    assert decision == Update(LeaderElectionRecord("a", 15, wall(-50), wall(0), 3), slow_path=True)
    assert core.slow_path_count == 1


def test_leader_renews_even_after_its_own_view_expired() -> None:
    core = ElectionCore("a", 15)
    mine = LeaderElectionRecord("a", 15, wall(0), wall(0), 3)
    core.after_get(mine, 0.0, wall(0))
    decision = core.after_get(mine, 100.0, wall(100))
    assert isinstance(decision, Update) and decision.slow_path


def test_fast_path_applies_only_to_a_leader_with_a_valid_view() -> None:
    core = ElectionCore("a", 15)
    assert core.fast_path(0.0, wall(0)) is None  # nothing observed
    core.after_get(other(), 0.0, wall(0))
    assert core.fast_path(1.0, wall(1)) is None  # not the leader
    core.on_written(LeaderElectionRecord("a", 15, wall(2), wall(2), 3), 2.0, 2.0)
    record = core.fast_path(10.0, wall(10))
    assert record == LeaderElectionRecord("a", 15, wall(2), wall(10), 3)
    assert core.fast_path(16.9, wall(16.9)) is not None
    assert core.fast_path(17.0, wall(17)) is None  # observed_time + 15 is not after now


def test_write_by_us_sets_send_time_but_a_foreign_record_does_not() -> None:
    core = ElectionCore("a", 15)
    core.on_written(LeaderElectionRecord("b", 15, wall(0), wall(0), 0), 1.0, 0.5)
    assert core.last_success_send is None


def test_release_record_keeps_transitions_and_sets_duration_one() -> None:
    core = ElectionCore("a", 15)
    assert core.release_record(wall(0)) is None
    core.on_written(LeaderElectionRecord("a", 15, wall(0), wall(0), 6), 0.0, 0.0)
    record = core.release_record(wall(9))
    assert record == LeaderElectionRecord("", 1, wall(9), wall(9), 6)
    assert record is not None
    core.on_released(record, 9.0)
    assert not core.is_leader()
    assert core.last_success_send is None


def test_transition_is_reported_once_per_change_of_holder() -> None:
    core = ElectionCore("a", 15)
    assert core.maybe_report_transition() is None
    core.after_get(other("b"), 0.0, wall(0))
    assert core.maybe_report_transition() == "b"
    assert core.maybe_report_transition() is None
    core.after_get(other("c"), 1.0, wall(1))
    assert core.maybe_report_transition() == "c"


def test_stop_deadline_is_send_time_plus_nine_tenths_of_the_lease_minus_grace() -> None:
    core = ElectionCore("a", 15)
    assert core.stop_deadline(13.5, 3.0) is None
    core.on_written(LeaderElectionRecord("a", 15, wall(0), wall(0), 0), 100.4, sent_at=100.0)
    assert core.stop_deadline(13.5, 3.0) == pytest.approx(110.5)


def test_health_fails_only_for_a_leader_that_has_not_renewed_for_lease_plus_tolerance() -> None:
    core = ElectionCore("a", 15)
    assert core.healthy(1e9, 15, 20)  # followers are healthy
    core.on_written(LeaderElectionRecord("a", 15, wall(0), wall(0), 0), 0.0, 0.0)
    assert core.healthy(35.0, 15, 20)
    assert not core.healthy(35.1, 15, 20)
