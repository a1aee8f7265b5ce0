"""The guard's decisions (``kpy.election.guard.Guard``) on given times, with the signals recorded, not sent."""

from __future__ import annotations

import signal

import pytest

from kpy.election import guard as guard_module
from kpy.election.guard import Guard


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int | None, int]]:
    calls: list[tuple[int | None, int]] = []
    monkeypatch.setattr(guard_module, "_signal", lambda pgid, sig: calls.append((pgid, sig)))
    return calls


def started(grace: float = 1.0, until: float = 100.0) -> Guard:
    g = Guard(grace)
    for line in ("pgid 42", f"until {until}"):
        assert g.feed(line)
    return g


def test_nothing_happens_before_the_deadline_and_a_newer_one_replaces_it(sent: list[object]) -> None:
    g = started()
    g.tick(99.9)
    assert g.timeout(99.9) == pytest.approx(0.35)  # its first act: SIGTERM at the deadline + lag
    g.feed("until 200")
    g.tick(150)
    assert sent == []
    assert g.timeout(150) == pytest.approx(50.25)


def test_expiry_reports_then_terms_after_the_lag_then_kills_at_deadline_plus_grace(
    sent: list[object],
) -> None:
    g = started(grace=1.0)
    reports: list[float] = []
    g.tick(100.0, lambda: reports.append(1))
    assert sent == [] and reports == []  # kpy gets the first 0.25 s (min(grace / 4, 0.25)) to send its own
    g.tick(100.25, lambda: reports.append(1))
    assert sent == [(42, signal.SIGTERM)] and reports == [1]
    assert g.timeout(100.25) == pytest.approx(0.75)
    g.feed("until 500")  # too late: a stop once begun is not undone
    g.tick(101.0)
    assert sent == [(42, signal.SIGTERM), (42, signal.SIGKILL)]
    assert g.timeout(101.0) is None


def test_after_kpy_said_term_the_guard_sends_no_second_sigterm_but_still_kills(sent: list[object]) -> None:
    g = started(grace=1.0)
    g.feed("term")
    reports: list[int] = []
    g.tick(100.5, lambda: reports.append(1))
    assert sent == [] and reports == []
    g.tick(101.0)
    assert sent == [(42, signal.SIGKILL)]


def test_a_guard_frozen_past_deadline_plus_grace_terms_and_kills_at_once(sent: list[object]) -> None:
    g = started(grace=1.0)
    g.tick(130.0)
    assert sent == [(42, signal.SIGTERM), (42, signal.SIGKILL)]


@pytest.mark.parametrize(
    "lines", [[], ["pgid 42"], ["until 100"]], ids=["nothing", "no deadline", "no group"]
)
def test_without_a_group_and_a_deadline_it_only_waits_for_input(sent: list[object], lines: list[str]) -> None:
    g = Guard(1.0)
    for line in lines:
        g.feed(line)
    g.tick(1e9)
    assert sent == []
    assert g.timeout(1e9) is None


def test_done_ends_the_guard_and_junk_is_ignored() -> None:
    g = Guard(0.0)
    assert g.feed("until soon") and g.feed("pgid x") and g.feed("")
    assert (g.pgid, g.until) == (None, None)
    assert not g.feed("done")
