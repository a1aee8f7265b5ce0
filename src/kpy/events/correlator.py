"""client-go's EventCorrelator (tools/record/events_cache.go) as a pure, clocked, deterministic core.

For each event a recorder produces, in this order:

1. **Aggregator**: events about the same object with the same source/type/reason but different messages are
   counted per (source, object, type, reason, reporting controller/instance); once ``max_events`` (10) distinct
   messages were seen within ``max_interval`` (600 s, sliding from the last one), the event is replaced by a new
   one whose message is ``"(combined from similar events): " + message`` and keyed by the aggregate key, so
   later combined events deduplicate into it.
2. **Logger (dedup)**: an event whose key (source, object incl. fieldPath/uid/apiVersion, type, reason,
   message) was seen before becomes a PATCH of ``count``/``lastTimestamp``/``message`` to the first one's name.
3. **Spam filter**: a token bucket per (source, object, type) — burst 25, refilled at 1 per 300 s — drops the
   event. As in client-go it runs last, so the dedup count keeps counting events it drops.

Each stage keeps an LRU cache (4096 entries). Options given as 0 mean the default, as in client-go's
``populateDefaults``. Time is the clock's integer nanoseconds, read once per event (windows, the token bucket
and the combined event's name ``<object>.<hex ns>`` all use that one reading); the refill rate is a float32, as
in client-go. ``update_state`` stores the server's copy under that event's own full key, as client-go does.

Checked step by step against client-go's EventCorrelator (tests/data/clientgo, tests/unit/events/
test_correlator_clientgo.py). Deliberate differences:

* once the aggregation set of messages is full, client-go forgets an arbitrary one (Go map order, so two runs
  of client-go can differ); kpy forgets the oldest, so the result for a given input can be predicted exactly;
* ``update_state`` never lowers a count already observed for the key: kpy's sink writes in batches while later
  events are correlated, and an older write's answer must not roll the count back (client-go writes one event
  at a time, so this never happens there);
* with a ``NanoTime`` (the pipeline shares one with the recorder) a combined event's name never repeats an
  earlier stamp: equal stamps are moved one nanosecond on.
"""

from __future__ import annotations

import copy
import struct
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from kpy.events.clock import NanoTime
from kpy.gocompat.clock import Clock, RealClock
from kpy.gocompat.metav1 import format_time

K = TypeVar("K")
V = TypeVar("V")

Event = dict[str, Any]

COMBINED_PREFIX = "(combined from similar events): "


@dataclass(frozen=True)
class CorrelatorOptions:
    """client-go's CorrelatorOptions with its defaults; 0 means the default, as in client-go's populateDefaults."""

    lru_cache_size: int = 4096
    spam_burst: int = 25
    spam_qps: float = 1.0 / 300.0
    aggregate_max_events: int = 10
    aggregate_max_interval: float = 600.0
    #: turn the spam filter off entirely (client-go's DefaultEventFilterFunc)
    spam_filter: bool = True

    def with_defaults(self) -> CorrelatorOptions:
        """Every 0 replaced by its default."""
        default = CorrelatorOptions()
        return replace(
            self,
            lru_cache_size=self.lru_cache_size or default.lru_cache_size,
            spam_burst=self.spam_burst or default.spam_burst,
            spam_qps=self.spam_qps or default.spam_qps,
            aggregate_max_events=self.aggregate_max_events or default.aggregate_max_events,
            aggregate_max_interval=self.aggregate_max_interval or default.aggregate_max_interval,
        )


_NS = 1_000_000_000


def float32(value: float) -> float:
    """``value`` rounded to a float32 (client-go keeps the spam filter's qps as a float32)."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _seconds(ns: int) -> float:
    """Go's ``time.Duration.Seconds()``, bit for bit."""
    sec, nsec = divmod(ns, _NS)  # ns >= 0 here, so this truncates as Go does
    return float(sec) + float(nsec) / 1e9


class LRUCache(Generic[K, V]):
    """groupcache's lru.Cache: ``get`` and ``add`` make an entry the most recent; the oldest is evicted."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._data:
            return None
        self._data.move_to_end(key)
        return self._data[key]

    def add(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if self.max_entries > 0:
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


class PassiveTokenBucket:
    """golang.org/x/time/rate's ``AllowN(now, 1)`` as client-go's passive limiter uses it: starts full, refills
    continuously; times are integer nanoseconds."""

    def __init__(self, qps: float, burst: int, now_ns: int) -> None:
        self.qps = qps
        self.burst = burst
        self.tokens = float(burst)
        self.last_ns = now_ns

    def try_accept(self, now_ns: int) -> bool:
        elapsed = now_ns - min(self.last_ns, now_ns)
        tokens = self.tokens + (_seconds(elapsed) * self.qps if self.qps > 0 else 0.0)
        tokens = min(tokens, float(self.burst)) - 1.0
        wait_ns = 0
        if tokens < 0:  # rate.durationFromTokens: truncated to whole nanoseconds
            wait_ns = int(-tokens / self.qps * 1e9) if self.qps > 0 else 1
        if self.burst >= 1 and wait_ns <= 0:
            self.tokens = tokens
            self.last_ns = now_ns
            return True
        return False


def _obj(event: Event) -> dict[str, Any]:
    return event.get("involvedObject") or {}


def _src(event: Event) -> dict[str, Any]:
    return event.get("source") or {}


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def event_key(event: Event) -> str:
    """getEventKey: source, involved object (with fieldPath), type, reason, message."""
    o, s = _obj(event), _src(event)
    return "".join(
        _s(v)
        for v in (
            s.get("component"),
            s.get("host"),
            o.get("kind"),
            o.get("namespace"),
            o.get("name"),
            o.get("fieldPath"),
            o.get("uid"),
            o.get("apiVersion"),
            event.get("type"),
            event.get("reason"),
            event.get("message"),
        )
    )


def spam_key(event: Event) -> str:
    """getSpamKey: source, involved object and the event type (Normal and Warning have separate buckets)."""
    o, s = _obj(event), _src(event)
    return "".join(
        _s(v)
        for v in (
            s.get("component"),
            s.get("host"),
            o.get("kind"),
            o.get("namespace"),
            o.get("name"),
            o.get("uid"),
            o.get("apiVersion"),
            event.get("type"),
        )
    )


def aggregate_key(event: Event) -> tuple[str, str]:
    """EventAggregatorByReasonFunc: (aggregate key, local key = the message)."""
    o, s = _obj(event), _src(event)
    key = "".join(
        _s(v)
        for v in (
            s.get("component"),
            s.get("host"),
            o.get("kind"),
            o.get("namespace"),
            o.get("name"),
            o.get("uid"),
            o.get("apiVersion"),
            event.get("type"),
            event.get("reason"),
            event.get("reportingComponent"),
            event.get("reportingInstance"),
        )
    )
    return key, _s(event.get("message"))


class SpamFilter:
    """EventSourceObjectSpamFilter: True means drop."""

    def __init__(self, options: CorrelatorOptions, clock: Clock) -> None:
        self.burst = options.spam_burst
        self.qps = float32(options.spam_qps)
        self.clock = clock
        self.cache: LRUCache[str, PassiveTokenBucket] = LRUCache(options.lru_cache_size)

    def filter(self, event: Event, now: int | None = None) -> bool:
        """``now``: integer nanoseconds (default: read the clock)."""
        key = spam_key(event)
        if now is None:
            now = self.clock.now_ns()
        bucket = self.cache.get(key)
        if bucket is None:
            bucket = PassiveTokenBucket(self.qps, self.burst, now)
        drop = not bucket.try_accept(now)
        self.cache.add(key, bucket)
        return drop


@dataclass
class _AggregateRecord:
    local_keys: dict[str, None] = field(default_factory=dict)  # an insertion-ordered set
    last_ns: int | None = None  # None: never (Go's zero time)


class Aggregator:
    """EventAggregator: returns (event to record, key the logger deduplicates it under, aggregated?)."""

    def __init__(self, options: CorrelatorOptions, clock: Clock, nanotime: NanoTime | None = None) -> None:
        self.max_events = options.aggregate_max_events
        self.max_interval_ns = round(options.aggregate_max_interval * _NS)
        self.clock = clock
        self.nanotime = nanotime
        self.cache: LRUCache[str, _AggregateRecord] = LRUCache(options.lru_cache_size)

    def aggregate(self, event: Event, now: int | None = None) -> tuple[Event, str, bool]:
        """``now``: integer nanoseconds (default: read the clock)."""
        if now is None:
            now = self.clock.now_ns()
        akey, local = aggregate_key(event)
        record = self.cache.get(akey) or _AggregateRecord()
        if record.last_ns is None or now - record.last_ns > self.max_interval_ns:
            record = _AggregateRecord()
        record.local_keys[local] = None
        record.last_ns = now
        self.cache.add(akey, record)
        if len(record.local_keys) < self.max_events:
            return event, event_key(event), False
        del record.local_keys[next(iter(record.local_keys))]  # keep the set below max (oldest goes)
        stamp = format_time(now // _NS)
        obj = copy.deepcopy(_obj(event))
        stamp_ns = self.nanotime.unique(now) if self.nanotime is not None else now
        combined: Event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{obj.get('name', '')}.{stamp_ns:x}",
                "namespace": (event.get("metadata") or {}).get("namespace", ""),
            },
            "involvedObject": obj,
            "reason": event.get("reason", ""),
            "message": COMBINED_PREFIX + _s(event.get("message")),
            "source": copy.deepcopy(_src(event)),
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": event.get("type", ""),
        }
        return combined, akey, True


@dataclass
class _Observation:
    count: int
    first_timestamp: Any
    name: str
    resource_version: str


class EventLogger:
    """eventLogger: the first sighting of a key is a create; later ones PATCH the first one's name."""

    def __init__(self, options: CorrelatorOptions) -> None:
        self.cache: LRUCache[str, _Observation] = LRUCache(options.lru_cache_size)

    def observe(self, event: Event, key: str) -> tuple[Event, dict[str, Any] | None]:
        # only the top level and metadata change below: copy those (nested objects stay shared, unmodified)
        observed = dict(event)
        meta = observed["metadata"] = dict(event.get("metadata") or {})
        last = self.cache.get(key)
        patch: dict[str, Any] | None = None
        if last is not None and last.count > 0:  # a stored count of 0 means "never seen", as in client-go
            meta["name"] = last.name
            if last.resource_version:
                meta["resourceVersion"] = last.resource_version
            else:
                meta.pop("resourceVersion", None)
            observed["firstTimestamp"] = last.first_timestamp
            observed["count"] = last.count + 1
            patch = _patch(observed)
        self.cache.add(
            key,
            _Observation(
                int(observed.get("count") or 0),
                observed.get("firstTimestamp"),
                str(meta.get("name", "")),
                str(meta.get("resourceVersion") or ""),
            ),
        )
        return observed, patch

    def update_state(self, event: Event) -> None:
        """After a successful write: remember the server's name/resourceVersion/count under the event's own
        full key (client-go's ``updateState``; for a combined event that is not the aggregate key)."""
        key = event_key(event)
        meta = event.get("metadata") or {}
        last = self.cache.get(key)
        count = int(event.get("count") or 0)
        if last is not None and last.count > count:
            count = last.count  # a later observation was made while this write was in flight
        self.cache.add(
            key,
            _Observation(
                count,
                event.get("firstTimestamp"),
                str(meta.get("name", "")),
                str(meta.get("resourceVersion") or ""),
            ),
        )


_EPOCH = "1970-01-01T00:00:00Z"


def _patch(observed: Event) -> dict[str, Any]:
    """client-go's two-way strategic merge patch from a copy with count 0, lastTimestamp at the epoch and an
    empty message to the observed event: only what differs from that (an empty message is not sent; a missing
    lastTimestamp is sent as null)."""
    patch: dict[str, Any] = {"count": observed["count"]}
    last = observed.get("lastTimestamp") or None
    if last != _EPOCH:
        patch["lastTimestamp"] = last
    if observed.get("message"):
        patch["message"] = observed["message"]
    return patch


@dataclass(frozen=True)
class CorrelateResult:
    """``event`` to write (a create when ``patch`` is None); ``skip`` when the spam filter dropped it."""

    event: Event | None
    patch: dict[str, Any] | None
    skip: bool
    aggregated: bool
    key: str


class Correlator:
    """EventCorrelator.EventCorrelate: aggregate → observe (dedup) → spam filter."""

    def __init__(
        self,
        options: CorrelatorOptions | None = None,
        *,
        clock: Clock | None = None,
        nanotime: NanoTime | None = None,
    ) -> None:
        """``nanotime``: share the recorder's stamps so a combined event's name never repeats one (optional)."""
        self.options = (options or CorrelatorOptions()).with_defaults()
        self.clock: Clock = clock or RealClock()
        self.nanotime = nanotime
        self.aggregator = Aggregator(self.options, self.clock, nanotime)
        self.logger = EventLogger(self.options)
        self.spam_filter = SpamFilter(self.options, self.clock)

    def correlate(self, event: Event) -> CorrelateResult:
        now = self.clock.now_ns()  # one reading for the whole event
        aggregated_event, key, aggregated = self.aggregator.aggregate(event, now)
        observed, patch = self.logger.observe(aggregated_event, key)
        if self.options.spam_filter and self.spam_filter.filter(observed, now):
            return CorrelateResult(None, None, True, aggregated, key)
        return CorrelateResult(observed, patch, False, aggregated, key)

    def update_state(self, written: Event) -> None:
        """The server's copy of a written event (client-go's ``UpdateState``)."""
        self.logger.update_state(written)
