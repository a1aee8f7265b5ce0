"""``tail_events`` against the emulator under faults: every stored event is printed exactly once."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from tests.unit.events.helpers import until

from kpy.events.tail import TailOptions, tail_events
from kpy.rest import RestClient

EVENTS = "/api/v1/namespaces/default/events"


def event(i: int, type_: str = "Normal") -> dict[str, Any]:
    stamp = f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"web.{i:08x}", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Tick",
        "message": f"tick {i}",
        "type": type_,
        "count": 1,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "source": {"component": "test"},
    }


def parse_stream(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        obj, pos = decoder.raw_decode(text, pos)
        out.extend(obj["items"] if obj.get("kind") == "List" else [obj])


async def test_no_watch_prints_current_events_oldest_first(client: RestClient) -> None:
    for i in (3, 1, 2):
        await client.request("POST", EVENTS, json=event(i))
    out = io.StringIO()
    printed = await tail_events(client, TailOptions(namespace="default", watch=False), out)
    lines = out.getvalue().splitlines()
    assert printed == 3 and lines[0].split()[:2] == ["LAST", "SEEN"]
    assert [line.split()[-1] for line in lines[1:]] == ["1", "2", "3"]


async def test_follow_under_dropped_watches_compaction_and_errors_prints_each_event_once(
    emulator: Any, client: RestClient
) -> None:
    for i in range(50):
        await client.request("POST", EVENTS, json=event(i))
    out = io.StringIO()
    task = asyncio.create_task(
        tail_events(
            client,
            TailOptions(namespace="default", output="json"),
            out,
            reflector_kwargs={"sleep": lambda s: asyncio.sleep(0)},
        )
    )
    total = 1000
    for i in range(50, total):
        await client.request("POST", EVENTS, json=event(i, "Warning" if i % 7 == 0 else "Normal"))
        if i % 200 == 0:
            emulator.faults.drop_watches()
        if i % 250 == 0:  # cut the watch, write more, compact before it resumes: the resume answers 410
            emulator.faults.drop_watches()
            await client.request("POST", EVENTS, json=event(total + i))
            emulator.faults.compact()
        if i == 500:
            emulator.faults.fail_next(2, status=429, retry_after=0, match="/events$", verb="GET")
        if i == 700:
            emulator.faults.fail_next(2, status=500, match="/events$", verb="GET")
    extra = [total + i for i in range(50, total) if i % 250 == 0]
    await until(lambda: len(parse_stream(out.getvalue())) >= total + len(extra), timeout=30)
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    names = [e["metadata"]["name"] for e in parse_stream(out.getvalue())]
    expected = [f"web.{i:08x}" for i in [*range(total), *extra]]
    assert sorted(names) == sorted(expected)  # no duplicates, no gaps
    watches = [r for r in emulator.requests if r.path == EVENTS and r.query.get("watch") == "true"]
    lists = [
        r for r in emulator.requests if r.path == EVENTS and r.method == "GET" and "watch" not in r.query
    ]
    assert len(watches) >= 5 and len(lists) >= 2  # it resumed after drops and relisted after 410s
    assert {429, 500} <= {r.status for r in emulator.requests if r.path == EVENTS and r.method == "GET"}


async def test_updated_event_is_printed_again_once(client: RestClient) -> None:
    created = (await client.request("POST", EVENTS, json=event(1))).json()
    out = io.StringIO()
    task = asyncio.create_task(tail_events(client, TailOptions(namespace="default", output="json"), out))
    await until(lambda: len(parse_stream(out.getvalue())) == 1)
    await client.request(
        "PATCH",
        f"{EVENTS}/{created['metadata']['name']}",
        json={"count": 2},
        content_type="application/strategic-merge-patch+json",
    )
    await until(lambda: len(parse_stream(out.getvalue())) == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.get("count") for e in parse_stream(out.getvalue())] == [1, 2]
