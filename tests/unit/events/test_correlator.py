from __future__ import annotations

import pytest

from kpy.events.clock import NanoTime
from kpy.events.correlator import (
    COMBINED_PREFIX,
    Correlator,
    CorrelatorOptions,
    LRUCache,
    PassiveTokenBucket,
    aggregate_key,
    event_key,
    float32,
    spam_key,
)
from kpy.events.recorder import EventSource, ObjectRef
from kpy.gocompat.clock import FakeClock

from .helpers import POD, ev


def make(clock: FakeClock, **kw: object) -> Correlator:
    return Correlator(CorrelatorOptions(**kw), clock=clock, nanotime=NanoTime(clock))  # type: ignore[arg-type]


def test_lru_evicts_the_least_recently_used_entry() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.add("a", 1)
    cache.add("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.add("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_token_bucket_allows_burst_then_refills_at_qps() -> None:
    s = 1_000_000_000
    bucket = PassiveTokenBucket(qps=float32(1 / 300), burst=3, now_ns=0)
    assert [bucket.try_accept(0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.try_accept(299 * s)
    assert bucket.try_accept(300 * s)
    assert not bucket.try_accept(300 * s)


def test_the_refill_rate_is_a_float32_as_in_client_go() -> None:
    """float32(0.01) is a hair below 0.01: after exactly 100 s the token is not quite back (client-go agrees:
    tests/data/clientgo): it is back about 2.2 µs later."""
    s = 1_000_000_000
    bucket = PassiveTokenBucket(qps=float32(0.01), burst=1, now_ns=0)
    assert bucket.try_accept(0)
    assert not bucket.try_accept(100 * s)
    assert not bucket.try_accept(100 * s + 2_000)
    assert bucket.try_accept(100 * s + 2_300)


def test_zero_options_mean_the_defaults() -> None:
    zero = CorrelatorOptions(
        lru_cache_size=0, spam_burst=0, spam_qps=0, aggregate_max_events=0, aggregate_max_interval=0
    )
    assert zero.with_defaults() == CorrelatorOptions()
    clock = FakeClock()
    c = Correlator(zero, clock=clock)
    assert [c.correlate(ev(clock, f"m{i}")).skip for i in range(26)] == [False] * 25 + [True]


def test_default_options_are_client_go_defaults() -> None:
    o = CorrelatorOptions()
    assert (o.lru_cache_size, o.spam_burst, o.aggregate_max_events, o.aggregate_max_interval) == (
        4096,
        25,
        10,
        600,
    )
    assert o.spam_qps == pytest.approx(1 / 300)


def test_keys_follow_client_go() -> None:
    clock = FakeClock()
    a = ev(clock, "one", reason="R1")
    b = ev(clock, "two", reason="R2", type_="Warning")
    assert spam_key(a) != spam_key(b)  # source + object + type
    assert spam_key(a) == spam_key(ev(clock, "two", reason="R2"))
    assert event_key(a) != event_key(b)
    assert aggregate_key(a)[0] != aggregate_key(b)[0]  # type and reason are part of it
    c = ev(clock, "two", reason="R1")
    assert aggregate_key(a)[0] == aggregate_key(c)[0] and aggregate_key(c)[1] == "two"


def test_spam_filter_allows_25_per_object_then_one_per_300s() -> None:
    clock = FakeClock()
    c = make(clock, aggregate_max_events=1000)
    results = [c.correlate(ev(clock, f"msg {i}")).skip for i in range(30)]
    assert results == [False] * 25 + [True] * 5
    other = ObjectRef("Pod", "other", "default")
    assert not c.correlate(ev(clock, "x", ref=other)).skip  # a different object has its own bucket
    clock.advance(299)
    assert c.correlate(ev(clock, "late")).skip
    clock.advance(1)
    assert not c.correlate(ev(clock, "later")).skip
    assert c.correlate(ev(clock, "again")).skip


def test_spam_filter_can_be_turned_off() -> None:
    clock = FakeClock()
    c = make(clock, spam_filter=False, aggregate_max_events=1000)
    assert not any(c.correlate(ev(clock, f"m{i}")).skip for i in range(100))


def test_identical_event_becomes_a_patch_of_count_and_last_timestamp() -> None:
    clock = FakeClock(1000.0)
    c = make(clock)
    first = c.correlate(ev(clock, "pulled"))
    assert first.patch is None and first.event is not None and first.event["count"] == 1
    clock.advance(65)
    second = c.correlate(ev(clock, "pulled"))
    assert second.event is not None
    assert second.patch == {"count": 2, "lastTimestamp": "1970-01-01T00:17:45Z", "message": "pulled"}
    assert second.event["metadata"]["name"] == first.event["metadata"]["name"]
    assert second.event["firstTimestamp"] == first.event["firstTimestamp"] == "1970-01-01T00:16:40Z"
    third = c.correlate(ev(clock, "pulled"))
    assert third.patch is not None and third.patch["count"] == 3


def test_ten_distinct_messages_are_aggregated_into_a_combined_event() -> None:
    clock = FakeClock()
    c = make(clock)
    results = [c.correlate(ev(clock, f"message {i}")) for i in range(12)]
    assert [r.aggregated for r in results] == [False] * 9 + [True] * 3
    tenth, eleventh, twelfth = results[9], results[10], results[11]
    assert tenth.event is not None and tenth.patch is None
    assert tenth.event["message"] == COMBINED_PREFIX + "message 9"
    assert tenth.event["count"] == 1 and tenth.event["involvedObject"] == POD.to_dict()
    # later combined events deduplicate into the first combined event
    assert eleventh.patch == {
        "count": 2,
        "lastTimestamp": tenth.event["lastTimestamp"],
        "message": COMBINED_PREFIX + "message 10",
    }
    assert (
        eleventh.event is not None and eleventh.event["metadata"]["name"] == tenth.event["metadata"]["name"]
    )
    assert twelfth.patch is not None and twelfth.patch["count"] == 3


def test_aggregation_window_slides_and_resets_after_600s_of_silence() -> None:
    clock = FakeClock(0.0)
    c = make(clock)
    for i in range(9):
        assert not c.correlate(ev(clock, f"m{i}")).aggregated
        clock.advance(500)  # each gap is inside the window: it slides from the last event
    assert c.correlate(ev(clock, "m9")).aggregated
    clock.advance(601)
    assert not c.correlate(ev(clock, "fresh")).aggregated


def test_repeated_message_does_not_count_towards_aggregation() -> None:
    clock = FakeClock(0.0)
    c = make(clock)
    out = [c.correlate(ev(clock, "same")) for _ in range(20)]
    assert not any(r.aggregated for r in out)
    assert [r.patch["count"] if r.patch else 1 for r in out] == list(range(1, 21))


def test_spam_filtered_events_still_advance_the_dedup_count() -> None:
    """client-go observes (counts) before filtering: the next accepted patch jumps."""
    clock = FakeClock(0.0)
    c = make(clock, spam_burst=2)
    out = [c.correlate(ev(clock, "same")) for _ in range(4)]
    assert [r.skip for r in out] == [False, False, True, True]
    clock.advance(300)
    fifth = c.correlate(ev(clock, "same"))
    assert not fifth.skip and fifth.patch is not None and fifth.patch["count"] == 5


def test_hand_worked_sequence() -> None:
    """Burst 3, 3 distinct messages aggregate: a, a, b, c, d on one pod; e on another pod.

    a → create(a,1); a → patch(a,2); b → create(b,1) and the pod's spam bucket (3) is empty; c is the 3rd
    distinct message → combined, but filtered; d → set {b, c} + d → combined again, filtered; e is another
    object with its own bucket → create.
    """
    clock = FakeClock(0.0)
    c = make(clock, spam_burst=3, aggregate_max_events=3)
    other = ObjectRef("Pod", "db", "default", uid="uid-db")
    inputs = [
        ev(clock, "a"),
        ev(clock, "a"),
        ev(clock, "b"),
        ev(clock, "c"),
        ev(clock, "d"),
        ev(clock, "e", ref=other),
    ]
    out = [c.correlate(e) for e in inputs]
    summary = [
        (
            "skip" if r.skip else ("patch" if r.patch else "create"),
            r.aggregated,
            None if r.event is None else (r.event["message"], r.event["count"]),
        )
        for r in out
    ]
    assert summary == [
        ("create", False, ("a", 1)),
        ("patch", False, ("a", 2)),
        ("create", False, ("b", 1)),
        ("skip", True, None),
        ("skip", True, None),
        ("create", False, ("e", 1)),
    ]


def test_aggregated_event_key_is_the_aggregate_key() -> None:
    clock = FakeClock(0.0)
    c = make(clock, aggregate_max_events=2)
    c.correlate(ev(clock, "x"))
    r = c.correlate(ev(clock, "y"))
    assert r.aggregated and r.key == aggregate_key(ev(clock, "y"))[0]


def test_different_sources_are_separate() -> None:
    clock = FakeClock(0.0)
    c = make(clock, spam_burst=1)
    assert not c.correlate(ev(clock, "a")).skip
    assert not c.correlate(ev(clock, "a", source=EventSource("other", "h"))).skip
    assert c.correlate(ev(clock, "a")).skip


def test_update_state_never_lowers_the_count() -> None:
    clock = FakeClock(0.0)
    c = make(clock)
    first = c.correlate(ev(clock, "a"))
    c.correlate(ev(clock, "a"))
    assert first.event is not None
    c.update_state({**first.event, "metadata": {**first.event["metadata"], "resourceVersion": "7"}})
    third = c.correlate(ev(clock, "a"))
    assert third.patch is not None and third.patch["count"] == 3
    assert third.event is not None and third.event["metadata"]["resourceVersion"] == "7"


def test_forty_normal_events_do_not_starve_a_warning() -> None:
    """Issue 13 item 13: the spam bucket is per type, so 5 identical Warnings after 40 Normal events are sent."""
    clock = FakeClock()
    c = make(clock)
    normal = [c.correlate(ev(clock, f"tick {i % 3}", reason="Tick")).skip for i in range(40)]
    assert normal.count(True) == 15
    warnings = [c.correlate(ev(clock, "boom", reason="Boom", type_="Warning")) for _ in range(5)]
    assert not any(w.skip for w in warnings)
    assert warnings[0].patch is None and [w.patch["count"] for w in warnings[1:] if w.patch] == [2, 3, 4, 5]


def test_combined_event_names_keep_every_nanosecond_and_read_the_clock_once() -> None:
    """Issue 13 item 14: ``web.<hex ns>`` from the clock's integer nanoseconds, the same reading as the stamps."""

    class CountingClock(FakeClock):
        reads = 0

        def now_ns(self) -> int:
            self.reads += 1
            return super().now_ns()

    clock = CountingClock()
    clock.set_ns(1_764_000_000_123_456_789)
    c = Correlator(CorrelatorOptions(aggregate_max_events=2), clock=clock)
    c.correlate(ev(clock, "a"))
    clock.reads = 0
    combined = c.correlate(ev(clock, "b"))
    assert combined.aggregated and combined.event is not None
    assert combined.event["metadata"]["name"] == f"web.{1_764_000_000_123_456_789:x}"
    assert combined.event["firstTimestamp"] == "2025-11-24T16:00:00Z"
    assert clock.reads == 1


def test_update_state_after_a_combined_event_uses_its_full_key() -> None:
    clock = FakeClock()
    c = make(clock, aggregate_max_events=2)
    c.correlate(ev(clock, "a"))
    combined = c.correlate(ev(clock, "b"))
    assert combined.event is not None
    c.update_state({**combined.event, "metadata": {**combined.event["metadata"], "resourceVersion": "9"}})
    again = c.correlate(
        ev(clock, "c")
    )  # deduplicated under the aggregate key, which the update did not touch
    assert again.patch is not None and again.event is not None
    assert "resourceVersion" not in again.event["metadata"]


def test_an_event_without_count_is_never_deduplicated_into() -> None:
    clock = FakeClock()
    c = make(clock)
    first = ev(clock, "a")
    del first["count"]
    c.correlate(first)
    second = c.correlate(ev(clock, "a"))
    assert second.patch is None  # client-go stored the first with count 0: "never seen"


def test_a_patch_leaves_out_an_unchanged_empty_message() -> None:
    clock = FakeClock()
    c = make(clock)
    c.correlate(ev(clock, ""))
    second = c.correlate(ev(clock, ""))
    assert second.patch is not None and "message" not in second.patch and second.patch["count"] == 2


def test_recorder_names_keep_every_nanosecond() -> None:
    """``NanoTime`` hands out the clock's integer nanoseconds (a float of epoch seconds would end in ...b400)."""
    clock = FakeClock()
    clock.set_ns(0x18EDADD11A76B4F3)
    stamps = NanoTime(clock)
    assert f"{stamps():x}" == "18edadd11a76b4f3"
    assert f"{stamps():x}" == "18edadd11a76b4f4"  # never repeats
