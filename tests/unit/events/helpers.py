"""Shared bits for the event pipeline unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kpy.events.recorder import EventSource, ObjectRef, make_event
from kpy.gocompat.clock import FakeClock

SOURCE = EventSource("kpy-test", "host-1")
POD = ObjectRef("Pod", "web", "default", uid="uid-web")


def ev(
    clock: FakeClock,
    message: str = "m",
    *,
    reason: str = "R",
    type_: str = "Normal",
    ref: ObjectRef = POD,
    source: EventSource = SOURCE,
    seq: list[int] | None = None,
) -> dict[str, Any]:
    """An event as the recorder makes it, at the clock's current time."""
    return make_event(
        ref,
        type_,
        reason,
        message,
        source=source,
        now=clock.now(),
        nanotime=int(clock.now() * 1e9) + (seq.pop(0) if seq else 0),
    )


async def until(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    """Yield to the loop until ``cond()`` holds (fails the test after ``timeout`` seconds)."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0)


# -- the pure correlator's prediction of what a server ends up storing ------------------------------------------
Stored = tuple[str, str, str, str, int]  # involved object name, type, reason, message, count


def predict(inputs: list[tuple[float, dict[str, Any]]], options: Any) -> list[Stored]:
    """Run a fresh Correlator over (time, event) inputs; apply its creates/patches to a dict; the result sorted."""
    from kpy.events.correlator import Correlator

    clock = FakeClock(0.0)
    correlator = Correlator(options, clock=clock)
    store: dict[str, dict[str, Any]] = {}
    for at, event in inputs:
        clock.t = at
        result = correlator.correlate(event)
        if result.skip or result.event is None:
            continue
        name = result.event["metadata"]["name"]
        if result.patch is None or name not in store:
            store[name] = dict(result.event)
        else:
            store[name].update(result.patch)
    return sorted(stored_view(e) for e in store.values())


def stored_view(event: dict[str, Any]) -> Stored:
    obj = event.get("involvedObject") or event.get("regarding") or {}
    count = int(event.get("count") or (event.get("series") or {}).get("count") or 1)
    return (
        str(obj.get("name")),
        str(event.get("type")),
        str(event.get("reason")),
        str(event.get("message") or event.get("note") or ""),
        count,
    )


def workload(n: int, seed: int = 7, objects: int = 20) -> list[tuple[float, str, str, str, str]]:
    """Deterministic inputs with repeats and bursts: (time, object name, type, reason, message)."""
    import random

    rng = random.Random(seed)
    t = 1_000.0
    out: list[tuple[float, str, str, str, str]] = []
    while len(out) < n:
        t += rng.choice([0.0, 0.5, 1.0, 2.0, 3.0]) if rng.random() > 0.01 else 700.0
        obj = f"pod-{rng.randrange(objects)}"
        reason = rng.choice(["Pulled", "BackOff", "Unhealthy", "Scheduled"])
        type_ = "Warning" if reason in ("BackOff", "Unhealthy") else "Normal"
        burst = rng.random() < 0.05
        for _ in range(rng.randint(5, 40) if burst else 1):
            message = f"{reason.lower()} #{rng.randrange(3) if rng.random() < 0.7 else rng.randrange(50)}"
            out.append((t, obj, type_, reason, message))
    return out[:n]
