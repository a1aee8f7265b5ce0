"""client-go's EventCorrelator (tools/record/events_cache.go) as a pure, clocked, deterministic core.

For each event a recorder produces, in this order:

1. **Aggregator**: events about the same object with the same source/type/reason but different messages are
   counted per (source, object, type, reason, reporting controller/instance); once ``max_events`` (10) distinct
   messages were seen within ``max_interval`` (600 s, sliding from the last one), the event is replaced by a new
   one whose message is ``"(combined from similar events): " + message`` and keyed by the aggregate key, so
   later combined events deduplicate into it.
2. **Logger (dedup)**: an event whose key (source, object incl. fieldPath/uid/apiVersion, type, reason,
   message) was seen before becomes a PATCH of ``count``/``lastTimestamp``/``message`` to the first one's name.
3. **Spam filter**: a token bucket per (source, object) — burst 25, refilled at 1 per 300 s — drops the event.
   As in client-go it runs last, so the dedup count keeps counting events it drops.

Each stage keeps an LRU cache (4096 entries). One deliberate difference: client-go forgets an arbitrary
message key (Go map iteration order) once the aggregation set is full; this keeps the order deterministic and
forgets the oldest one, so the result for a given input can be predicted exactly.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kpy.events.clock import Clock, NanoTime, RealClock, format_time

K = TypeVar("K")
V = TypeVar("V")

Event = dict[str, Any]

COMBINED_PREFIX = "(combined from similar events): "


@dataclass(frozen=True)
class CorrelatorOptions:
    """client-go's CorrelatorOptions with its defaults (populateDefaults)."""

    lru_cache_size: int = 4096
    spam_burst: int = 25
    spam_qps: float = 1.0 / 300.0
    aggregate_max_events: int = 10
    aggregate_max_interval: float = 600.0
    #: turn the spam filter off entirely (client-go's DefaultEventFilterFunc)
    spam_filter: bool = True


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
    """golang.org/x/time/rate as client-go's passive limiter uses it: starts full, refills continuously."""

    def __init__(self, qps: float, burst: int, now: float) -> None:
        self.qps = qps
        self.burst = burst
        self.tokens = float(burst)
        self.last = now

    def try_accept(self, now: float) -> bool:
        elapsed = max(0.0, now - self.last)
        tokens = min(float(self.burst), self.tokens + elapsed * self.qps)
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            self.last = now
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
    """getSpamKey: source and involved object only."""
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
        self.qps = options.spam_qps
        self.clock = clock
        self.cache: LRUCache[str, PassiveTokenBucket] = LRUCache(options.lru_cache_size)

    def filter(self, event: Event) -> bool:
        key = spam_key(event)
        now = self.clock.now()
        bucket = self.cache.get(key)
        if bucket is None:
            bucket = PassiveTokenBucket(self.qps, self.burst, now)
        drop = not bucket.try_accept(now)
        self.cache.add(key, bucket)
        return drop


@dataclass
class _AggregateRecord:
    local_keys: dict[str, None] = field(default_factory=dict)  # an insertion-ordered set
    last_timestamp: float = float("-inf")


class Aggregator:
    """EventAggregator: returns (event to record, key the logger deduplicates it under, aggregated?)."""

    def __init__(self, options: CorrelatorOptions, clock: Clock, nanotime: Callable[[], int]) -> None:
        self.max_events = options.aggregate_max_events
        self.max_interval = options.aggregate_max_interval
        self.clock = clock
        self.nanotime = nanotime
        self.cache: LRUCache[str, _AggregateRecord] = LRUCache(options.lru_cache_size)

    def aggregate(self, event: Event) -> tuple[Event, str, bool]:
        now = self.clock.now()
        akey, local = aggregate_key(event)
        record = self.cache.get(akey) or _AggregateRecord()
        if now - record.last_timestamp > self.max_interval:
            record = _AggregateRecord()
        record.local_keys[local] = None
        record.last_timestamp = now
        self.cache.add(akey, record)
        if len(record.local_keys) < self.max_events:
            return event, event_key(event), False
        del record.local_keys[next(iter(record.local_keys))]  # keep the set below max (oldest goes)
        stamp = format_time(now)
        obj = copy.deepcopy(_obj(event))
        combined: Event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{obj.get('name', '')}.{self.nanotime():x}",
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
        if last is not None:
            meta["name"] = last.name
            if last.resource_version:
                meta["resourceVersion"] = last.resource_version
            else:
                meta.pop("resourceVersion", None)
            observed["firstTimestamp"] = last.first_timestamp
            observed["count"] = last.count + 1
            patch = {
                "count": observed["count"],
                "lastTimestamp": observed.get("lastTimestamp"),
                "message": observed.get("message", ""),
            }
        self.cache.add(
            key,
            _Observation(
                int(observed.get("count") or 1),
                observed.get("firstTimestamp"),
                str(meta.get("name", "")),
                str(meta.get("resourceVersion") or ""),
            ),
        )
        return observed, patch

    def update_state(self, event: Event, key: str) -> None:
        """After a successful write: remember the server's name/resourceVersion/count for this key."""
        meta = event.get("metadata") or {}
        last = self.cache.get(key)
        count = int(event.get("count") or 1)
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
        nanotime: Callable[[], int] | None = None,
    ) -> None:
        self.options = options or CorrelatorOptions()
        self.clock: Clock = clock or RealClock()
        self.nanotime = nanotime or NanoTime(self.clock)
        self.aggregator = Aggregator(self.options, self.clock, self.nanotime)
        self.logger = EventLogger(self.options)
        self.spam_filter = SpamFilter(self.options, self.clock)

    def correlate(self, event: Event) -> CorrelateResult:
        aggregated_event, key, aggregated = self.aggregator.aggregate(event)
        observed, patch = self.logger.observe(aggregated_event, key)
        if self.options.spam_filter and self.spam_filter.filter(observed):
            return CorrelateResult(None, None, True, aggregated, key)
        return CorrelateResult(observed, patch, False, aggregated, key)

    def update_state(self, written: Event, key: str) -> None:
        self.logger.update_state(written, key)
