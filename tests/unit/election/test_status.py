from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpy.election.status import human_ago, lease_status

NOW = datetime(2024, 1, 1, 0, 0, 10, tzinfo=UTC)


def lease(**spec: object) -> dict[str, object]:
    return {"metadata": {"name": "l", "namespace": "ns"}, "spec": spec}


def test_held_lease_reports_holder_age_and_transitions() -> None:
    st = lease_status(
        lease(
            holderIdentity="a",
            leaseDurationSeconds=15,
            renewTime="2024-01-01T00:00:07.500000Z",
            acquireTime="2024-01-01T00:00:00.000000Z",
            leaseTransitions=3,
        ),
        NOW,
    )
    assert (st.holder, st.expired, st.held, st.transitions) == ("a", False, True, 3)
    assert st.renewed_ago == pytest.approx(2.5)
    text = st.to_text()
    assert "Lease:          ns/l\n" in text
    assert "Renewed:        2.5s ago (2024-01-01T00:00:07.500000Z)\n" in text
    assert "Expired:        false\n" in text
    assert st.to_json()["leaseTransitions"] == 3
    assert st.to_json()["renewedSecondsAgo"] == 2.5


def test_lease_past_its_duration_is_expired() -> None:
    st = lease_status(
        lease(holderIdentity="a", leaseDurationSeconds=5, renewTime="2024-01-01T00:00:05.000000Z"), NOW
    )
    assert st.expired and not st.held


def test_released_lease_has_no_holder() -> None:
    st = lease_status(
        lease(
            holderIdentity="",
            leaseDurationSeconds=1,
            renewTime="2024-01-01T00:00:09.900000Z",
            leaseTransitions=2,
        ),
        NOW,
    )
    assert st.expired
    assert "Holder:         <none> (released)\n" in st.to_text()
    assert st.to_json()["holderIdentity"] == ""


@pytest.mark.parametrize(
    ("secs", "text"),
    [
        (0.44, "0.4s ago"),
        (75, "1m15s ago"),
        (7300, "2h1m ago"),
        (90000, "1d1h ago"),
        (-1.25, "in 1.2s (the holder's clock is ahead)"),
    ],
)
def test_human_ages(secs: float, text: str) -> None:
    assert human_ago(secs) == text
