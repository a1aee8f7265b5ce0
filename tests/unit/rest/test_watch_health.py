"""A watch that cannot reconnect says so once, says when it is back, backs off at most a few seconds, and gives up
after ``max_retry_time`` when asked to (scripted server, fake clock: no real waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.unit.rest.fakes import FakeApiServer, make_config, status_body
from tests.unit.rest.test_watch import POD_INFO, events_of, take
from tests.unit.rest.watchserver import DROP, HOLD, STATUS, WatchScript, ev, pod, pod_list

from kpy.errors import ServerError
from kpy.rest import RestClient
from kpy.rest.watch import RECONNECT_MAX, Reflector
from kpy.rest.watchhealth import ReconnectTracker, WatchHealth, format_delay

UNAVAILABLE = (STATUS, 503)


@pytest.fixture
async def srv() -> AsyncIterator[FakeApiServer]:
    server = await FakeApiServer().start()
    yield server
    await server.close()


@pytest.fixture
async def client(srv: FakeApiServer) -> AsyncIterator[RestClient]:
    async with RestClient(make_config(srv.url)) as c:
        yield c


@pytest.fixture
async def script(srv: FakeApiServer) -> AsyncIterator[WatchScript]:
    s = WatchScript(srv).install()
    yield s
    s.closing.set()


class Clock:
    """Time that moves only when the reflector sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make(client: RestClient, clock: Clock, news: list[WatchHealth], **kw: Any) -> Reflector:
    return Reflector(
        client,
        POD_INFO,
        "default",
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 1.0,
        on_health=news.append,
        **kw,
    )


async def test_an_outage_is_told_once_and_its_end_too(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[DROP], [UNAVAILABLE], [UNAVAILABLE], [UNAVAILABLE], [ev("ADDED", pod("a", 11))]]
    clock, news = Clock(), []
    events = events_of(make(client, clock, news))
    await take(events, 1)
    assert await take(events, 1) == [("ADDED", "a", "11", False)]
    assert [n.lost for n in news] == [True, False]
    assert news[0].message() == (
        "watch lost: Error from server (InternalError): status 503; retrying (next in 2s)"
    )
    assert news[1].message().startswith("watch restored after ")
    await events.aclose()


async def test_a_drop_that_reconnects_at_once_is_no_news(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[DROP], [ev("ADDED", pod("a", 11))]]
    clock, news = Clock(), []
    events = events_of(make(client, clock, news))
    await take(events, 2)
    assert news == []
    await events.aclose()


async def test_reconnect_backoff_is_capped_at_a_few_seconds(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[DROP]] + [[UNAVAILABLE]] * 12 + [[ev("ADDED", pod("a", 11))]]
    clock, news = Clock(), []
    events = events_of(make(client, clock, news))
    await take(events, 2)
    assert max(clock.sleeps) <= RECONNECT_MAX * 1.2
    assert clock.sleeps[-1] >= RECONNECT_MAX  # it did grow to the cap
    await events.aclose()


async def test_max_retry_time_raises_the_last_error(client: RestClient, script: WatchScript) -> None:
    script.lists = [pod_list(10)]
    script.watches = [[DROP]] + [[UNAVAILABLE]] * 50
    clock, news = Clock(), []
    events = events_of(make(client, clock, news, max_retry_time=20.0))
    await take(events, 1)
    with pytest.raises(ServerError, match="status 503"):
        await take(events, 1)
    assert clock.now == pytest.approx(20.0)  # the last try happened when the budget ran out, not later


async def test_failed_relists_count_as_an_outage(client: RestClient, script: WatchScript) -> None:
    script.lists = [
        pod_list(10, pod("a", 5)),
        (503, status_body(503, "ServiceUnavailable", "later")),
        pod_list(20),
    ]
    script.watches = [[{"type": "ERROR", "object": status_body(410, "Expired", "too old")}]]
    clock, news = Clock(), []
    events = events_of(make(client, clock, news))
    await take(events, 2)
    assert await take(events, 1) == [("DELETED", "a", "5", False)]
    assert [n.lost for n in news] == [True, False]
    await events.aclose()


@pytest.mark.parametrize(("seconds", "text"), [(0.8, "800ms"), (5.2, "5s"), (59.6, "1m"), (90, "1m30s")])
def test_delays_read_like_go_durations(seconds: float, text: str) -> None:
    assert format_delay(seconds) == text


def test_the_reason_is_told_again_only_when_it_changes() -> None:
    now = [0.0]
    news: list[WatchHealth] = []
    tracker = ReconnectTracker(lambda: now[0], news.append)
    for _ in range(3):
        tracker.failed(ServerError("down"), 5.0)
        now[0] += 5
    tracker.failed(ServerError("other"), 5.0)
    assert [n.reason for n in news] == ["Error from server: down", "Error from server: other"]


async def test_a_server_that_accepts_but_does_not_answer_counts_as_an_outage(
    client: RestClient, script: WatchScript
) -> None:
    """A paused server holds the reconnect: after ``reconnect_timeout`` it is reported like a refusal."""
    script.lists = [pod_list(10)]
    script.watches = [[DROP], [HOLD], [ev("ADDED", pod("a", 11))]]
    clock, news = Clock(), []
    reflector = make(client, clock, news, reconnect_timeout=0.2)
    events = events_of(reflector)
    await take(events, 1)
    pending = asyncio.ensure_future(anext(events))
    async with asyncio.timeout(10):
        while not news:
            await asyncio.sleep(0.05)
    assert (
        news[0]
        .message()
        .startswith(
            "watch lost: Unable to connect to the server: context deadline exceeded; retrying (next in "
        )
    )
    async with asyncio.timeout(10):
        event = await pending
    assert event.object["metadata"]["name"] == "a"
    assert [n.lost for n in news] == [True, False]
    await events.aclose()
