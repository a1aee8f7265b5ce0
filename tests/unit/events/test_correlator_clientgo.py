"""kpy's correlator against client-go's EventCorrelator, step by step, on the scripts in tests/data/clientgo.

The data was written by tests/data/clientgo/gen (a Go program run against client-go with a fake clock; see the
README there). Each step either correlates an event at an instant (integer nanoseconds) or hands the correlator
the server's copy of an earlier result (``UpdateState``). Results must be identical up to ``stable``: from
there on client-go's own runs of the script can differ (it forgets an arbitrary message once the aggregation
set is full; kpy forgets the oldest).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kpy.events.correlator import Correlator, CorrelatorOptions
from kpy.gocompat.clock import FakeClock

DATA = Path(__file__).resolve().parents[2] / "data" / "clientgo" / "correlator.json"


@cache
def scripts() -> list[dict[str, Any]]:
    return list(json.loads(DATA.read_text())["scripts"])


def options(raw: dict[str, Any]) -> CorrelatorOptions:
    if not raw:
        return CorrelatorOptions()
    return CorrelatorOptions(
        lru_cache_size=raw["lruCacheSize"],
        spam_burst=raw["burst"],
        spam_qps=raw["qps"],
        aggregate_max_events=raw["maxEvents"],
        aggregate_max_interval=raw["maxIntervalInSeconds"],
    )


def compact(event: dict[str, Any]) -> dict[str, Any]:
    """The event as Go marshals it (no empty fields); kpy's own apiVersion/kind are not part of v1.Event's body."""
    out = {k: v for k, v in event.items() if v not in (None, "") and k not in ("apiVersion", "kind")}
    meta = {k: v for k, v in (event.get("metadata") or {}).items() if v not in (None, "")}
    out["metadata"] = meta
    return out


def expected_event(step_event: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    want = copy.deepcopy(step_event)
    for key in diff.get("-", ()):
        want.pop(key, None)
    want.update({k: v for k, v in diff.items() if k != "-"})
    return want


def run(script: dict[str, Any]) -> list[str]:
    """Differences between kpy and client-go in the stable part of one script."""
    clock = FakeClock()
    clock.set_ns(script["start"])
    correlator = Correlator(options(script["options"]), clock=clock)
    results: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    for index, step in enumerate(script["steps"][: script["stable"]]):
        clock.set_ns(step["t"])
        want = step["want"]
        if "update" in step:
            stored = results.get(step["update"])
            if (stored is None) != bool(want.get("missing")):
                problems.append(f"step {index}: the update's target differs")
            elif stored is not None:
                written = copy.deepcopy(stored)
                written["metadata"]["resourceVersion"] = step["rv"]
                correlator.update_state(written)
            continue
        result = correlator.correlate(copy.deepcopy(step["event"]))
        got: dict[str, Any] = {}
        if result.skip:
            got["skip"] = True
        else:
            assert result.event is not None
            got["event"] = compact(result.event)
            if result.patch is not None:
                got["patch"] = result.patch
            results[index] = result.event
        expected: dict[str, Any] = {k: v for k, v in want.items() if k in ("skip", "patch")}
        if "event" in want:
            expected["event"] = compact(expected_event(step["event"], want["event"]))
        if got != expected:
            problems.append(f"step {index}: kpy {got} client-go {expected}")
    return problems


def test_every_script_matches_client_go() -> None:
    total = len(scripts())
    assert total >= 300
    different = {i: p for i, s in enumerate(scripts()) if (p := run(s))}
    first = next(iter(different.items()), (-1, []))
    assert not different, f"{len(different)}/{total} scripts differ; first: script {first[0]}: {first[1][:3]}"


def test_the_data_exercises_what_it_claims() -> None:
    steps = [st for s in scripts() for st in s["steps"][: s["stable"]]]
    events = [st["want"] for st in steps if "event" in st]
    assert sum(1 for w in events if w.get("skip")) > 100  # the spam filter drops events
    assert sum(1 for w in events if "patch" in w) > 300  # deduplicated into patches
    combined = [w for w in events if str(w.get("event", {}).get("message", "")).startswith("(combined")]
    assert len(combined) > 50
    assert sum(1 for st in steps if "update" in st) > 1000
    assert sum(1 for s in scripts() if s["options"]) > 100  # non-default options, zeros among them


@pytest.mark.parametrize("index", [0, 10, 20])
def test_forty_normal_then_warnings_still_create_the_warning(index: int) -> None:
    """Issue probe (every 10th script): 40 Normal events then 5 identical Warnings on one object."""
    script = scripts()[index]
    assert script["stable"] == len(script["steps"]) and not script["options"]  # defaults: nothing random
    warnings = [st for st in script["steps"] if st.get("event", {}).get("type") == "Warning"]
    assert warnings and not warnings[0]["want"].get("skip")
    assert not run(script)
