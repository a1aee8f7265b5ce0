from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpy.election.record import LeaderElectionRecord
from kpy.gocompat.metav1 import format_micro_time, parse_time

T = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def test_micro_time_is_utc_with_six_fraction_digits_and_z() -> None:
    assert format_micro_time(T) == "2024-05-06T07:08:09.123456Z"
    assert format_micro_time(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)) == "2024-05-06T07:08:09.000000Z"


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-06T07:08:09.123456Z",
        "2024-05-06T09:08:09.123456+02:00",
        "2024-05-06T07:08:09.123456789Z",
        "2024-05-06t07:08:09.123456z",
    ],
)
def test_times_parse_from_any_rfc3339_spelling(text: str) -> None:
    assert parse_time(text) == T


def test_second_precision_time_parses() -> None:
    assert parse_time("2024-05-06T07:08:09Z") == T.replace(microsecond=0)


def test_bad_time_raises_value_error() -> None:
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_record_round_trips_through_a_lease_spec_like_client_go_writes_it() -> None:
    spec = {
        "holderIdentity": "a",
        "leaseDurationSeconds": 15,
        "acquireTime": "2024-05-06T07:08:09.123456Z",
        "renewTime": "2024-05-06T07:08:10.000001Z",
        "leaseTransitions": 3,
    }
    record = LeaderElectionRecord.from_lease_spec(spec)
    assert record.holder_identity == "a"
    assert record.leader_transitions == 3
    assert record.to_lease_spec() == spec


def test_missing_fields_become_zero_values() -> None:
    record = LeaderElectionRecord.from_lease_spec({})
    assert record == LeaderElectionRecord()
    assert LeaderElectionRecord.from_lease_spec(None) == LeaderElectionRecord()


def test_release_record_writes_an_empty_holder_explicitly() -> None:
    spec = LeaderElectionRecord(
        holder_identity="", lease_duration_seconds=1, acquire_time=T, renew_time=T, leader_transitions=4
    ).to_lease_spec()
    assert spec["holderIdentity"] == ""
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 4


def test_coordinated_election_fields_are_carried() -> None:
    spec = {
        "holderIdentity": "a",
        "leaseDurationSeconds": 15,
        "acquireTime": "2024-05-06T07:08:09.123456Z",
        "renewTime": "2024-05-06T07:08:09.123456Z",
        "leaseTransitions": 0,
        "strategy": "OldestEmulationVersion",
        "preferredHolder": "b",
    }
    assert LeaderElectionRecord.from_lease_spec(spec).to_lease_spec() == spec


def test_raw_changes_when_any_field_changes() -> None:
    a = LeaderElectionRecord("a", 15, T, T, 1)
    assert a.raw() == LeaderElectionRecord("a", 15, T, T, 1).raw()
    assert a.raw() != LeaderElectionRecord("a", 15, T, T.replace(microsecond=1), 1).raw()
    assert a.raw() != LeaderElectionRecord("b", 15, T, T, 1).raw()
