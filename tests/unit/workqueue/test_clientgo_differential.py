"""kpy's work queue and rate limiters against client-go's, step by step.

``tests/data/clientgo/workqueue.json`` holds random scripts run through client-go's ``util/workqueue`` (see
``tests/data/clientgo/README.md``): rate limiters of every kind on a fake clock (each ``when`` delay to the
nanosecond, ``num_requeues`` after ``forget``), and queues driven with add/get/done/shutdown (what ``get``
returns, whether it says shut down, and the queue length after every step).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpy.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    Queue,
    QueueEmpty,
    RateLimiter,
    ShutDown,
    default_controller_rate_limiter,
)

DATA = json.loads((Path(__file__).parents[2] / "data" / "clientgo" / "workqueue.json").read_text())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build(cfg: dict[str, Any], clock: FakeClock) -> RateLimiter:
    def exp() -> ItemExponentialFailureRateLimiter:
        return ItemExponentialFailureRateLimiter(cfg["base_ns"] / 1e9, cfg["max_ns"] / 1e9)

    def bucket() -> BucketRateLimiter:
        return BucketRateLimiter(cfg["qps"], cfg["burst"], clock=clock)

    kind = cfg["kind"]
    if kind == "exponential":
        return exp()
    if kind == "bucket":
        return bucket()
    if kind == "max_of":
        return MaxOfRateLimiter(exp(), bucket())
    if kind == "default":
        return default_controller_rate_limiter(clock=clock)
    assert kind == "fast_slow"
    return ItemFastSlowRateLimiter(cfg["fast_ns"] / 1e9, cfg["slow_ns"] / 1e9, cfg["max_fast_attempts"])


@pytest.mark.parametrize("index", range(len(DATA["limiters"])))
def test_rate_limiter_matches_client_go(index: int) -> None:
    script = DATA["limiters"][index]
    clock = FakeClock()
    limiter = build(script["limiter"], clock)
    for n, step in enumerate(script["steps"]):
        clock.now += step.get("advance_ns", 0) / 1e9
        where = f"step {n} {step}"
        if step["op"] == "when":
            got_ns = limiter.when(step["item"]) * 1e9
            # float seconds vs Go's integer nanoseconds: equal to well under a microsecond
            assert abs(got_ns - step["want"]) <= max(1000.0, step["want"] * 1e-9), where
        elif step["op"] == "forget":
            limiter.forget(step["item"])
        else:
            assert limiter.num_requeues(step["item"]) == step["want"], where


@pytest.mark.parametrize("index", range(len(DATA["queues"])))
def test_queue_matches_client_go(index: int) -> None:
    q: Queue[str] = Queue()
    for n, step in enumerate(DATA["queues"][index]["steps"]):
        where = f"step {n} {step}"
        op = step["op"]
        if op == "add":
            q.add(step["item"])
        elif op == "get":
            try:
                got, down = q.get_nowait(), False
            except ShutDown:
                got, down = "", True
            assert (got, down) == (step["want"], step["shutdown"]), where
        elif op == "done":
            q.done(step["item"])
        elif op == "shutdown":
            q.shut_down()
            assert q.shutting_down is step["shutting_down"]
        assert len(q) == step["len"], where


def test_scripts_cover_every_limiter_and_queue_path() -> None:
    """The data exercises what it claims to: every limiter kind, bucket debt, the exponential cap, re-queue
    after done, and get after shutdown."""
    kinds = {s["limiter"]["kind"] for s in DATA["limiters"]}
    assert kinds == {"exponential", "bucket", "max_of", "default", "fast_slow"}
    bucket_waits = [
        st["want"]
        for s in DATA["limiters"]
        if s["limiter"]["kind"] in ("bucket", "max_of")
        for st in s["steps"]
        if st["op"] == "when"
    ]
    assert any(w > 0 for w in bucket_waits)
    capped = [
        s
        for s in DATA["limiters"]
        if s["limiter"]["kind"] == "exponential"
        and any(st["op"] == "when" and st["want"] == s["limiter"]["max_ns"] for st in s["steps"])
    ]
    assert capped
    ops = [(st["op"], st.get("shutdown")) for s in DATA["queues"] for st in s["steps"]]
    assert ("get", True) in ops and ("shutdown", None) in ops


def test_get_nowait_on_an_empty_live_queue_says_empty() -> None:
    q: Queue[str] = Queue()
    with pytest.raises(QueueEmpty):
        q.get_nowait()
