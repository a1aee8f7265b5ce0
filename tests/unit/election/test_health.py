from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import pytest
from tests.unit.election.fakes import FakeLock, LeaseStore

from kpy.election.config import ElectionConfig
from kpy.election.elector import LeaderElector
from kpy.election.health import ChildState, HealthServer, healthz, parse_address, render_metrics
from kpy.errors import UsageError
from kpy.gocompat.clock import FakeClock


def election_clock() -> FakeClock:
    """Monotonic seconds from 1000, wall time from 2024-01-02T03:04:05Z; sleeping advances it."""
    return FakeClock(1000.0, wall=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), auto_advance=True)


async def leader() -> tuple[LeaderElector, FakeClock]:
    clock = election_clock()
    e = LeaderElector(FakeLock(LeaseStore()), "me", ElectionConfig(), clock=clock)
    await e.acquire()
    return e, clock


async def test_healthz_fails_only_after_lease_duration_plus_twenty_seconds_without_renewal() -> None:
    e, clock = await leader()
    assert healthz(e, clock.monotonic() + 35.0) == (200, "ok")
    status, body = healthz(e, clock.monotonic() + 35.01)
    assert status == 500
    assert "failed election to renew leadership on lease default/l" in body


async def test_followers_are_healthy() -> None:
    clock = election_clock()
    e = LeaderElector(FakeLock(LeaseStore()), "me", ElectionConfig(), clock=clock)
    assert healthz(e, 1e9)[0] == 200


async def test_metrics_show_leadership_transitions_and_child_state() -> None:
    e, clock = await leader()
    text = render_metrics(e, ChildState(running=True, starts=1), clock.monotonic())
    assert "# TYPE leader_election_master_status gauge" in text
    assert 'leader_election_master_status{name="default/l"} 1\n' in text
    assert 'kpy_elect_lease_transitions{name="default/l"} 0\n' in text
    assert 'kpy_elect_child_running{name="default/l"} 1\n' in text
    assert 'kpy_elect_acquisitions_total{name="default/l"} 1\n' in text


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        (":9000", ("0.0.0.0", 9000)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_health_address_forms(text: str, parsed: tuple[str, int]) -> None:
    assert parse_address(text) == parsed


@pytest.mark.parametrize("text", ["8080", "host:", "host:http", ":70000"])
def test_bad_health_address_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="invalid --health-address"):
        parse_address(text)


async def test_health_server_serves_healthz_and_metrics_on_a_random_port() -> None:
    import asyncio

    e, clock = await leader()
    server = HealthServer(e, ChildState(), clock.monotonic)
    urls = await server.start("127.0.0.1:0")
    try:

        def fetch(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(urls[0] + path, timeout=5) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode()

        assert await asyncio.to_thread(fetch, "/healthz") == (200, "ok")
        status, text = await asyncio.to_thread(fetch, "/metrics")
        assert status == 200 and "leader_election_master_status" in text
        clock.advance(36)
        assert (await asyncio.to_thread(fetch, "/healthz"))[0] == 500
    finally:
        await server.stop()
