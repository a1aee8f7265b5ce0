"""client-go's event tools as a library: record (recorder → broadcaster → correlator → buffered sink) and tail.

Pure cores (no I/O): ``correlator`` (spam filter, aggregator, dedup, LRU), ``broadcaster`` (fan-out with drop or
block delivery), ``sink`` (audit-style batching with throttle and retries, over any ``EventWriter``),
``tail``'s rendering. I/O: ``api`` (writer and ``KIND/NAME`` resolution over ``kpy.rest``), ``tail_events``.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.events.broadcaster import Broadcaster, DeliveryMode, Watcher
    from kpy.events.correlator import CorrelateResult, Correlator, CorrelatorOptions
    from kpy.events.pipeline import RecordPipeline, RecordStats
    from kpy.events.recorder import EventSource, ObjectRef, Recorder, make_event
    from kpy.events.sink import BufferedSink, EventWrite, EventWriter, Outcome, SinkOptions, SinkStats
    from kpy.gocompat.clock import Clock, FakeClock, RealClock

#: where each name lives: loaded on first use, so ``kpy.events.tail`` (``kpy events tail``) imports no asyncio
_LAZY = {
    "Broadcaster": "kpy.events.broadcaster",
    "DeliveryMode": "kpy.events.broadcaster",
    "Watcher": "kpy.events.broadcaster",
    "Clock": "kpy.gocompat.clock",
    "FakeClock": "kpy.gocompat.clock",
    "RealClock": "kpy.gocompat.clock",
    "CorrelateResult": "kpy.events.correlator",
    "Correlator": "kpy.events.correlator",
    "CorrelatorOptions": "kpy.events.correlator",
    "RecordPipeline": "kpy.events.pipeline",
    "RecordStats": "kpy.events.pipeline",
    "EventSource": "kpy.events.recorder",
    "ObjectRef": "kpy.events.recorder",
    "Recorder": "kpy.events.recorder",
    "make_event": "kpy.events.recorder",
    "BufferedSink": "kpy.events.sink",
    "EventWrite": "kpy.events.sink",
    "EventWriter": "kpy.events.sink",
    "Outcome": "kpy.events.sink",
    "SinkOptions": "kpy.events.sink",
    "SinkStats": "kpy.events.sink",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kpy.events' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Broadcaster",
    "BufferedSink",
    "Clock",
    "CorrelateResult",
    "Correlator",
    "CorrelatorOptions",
    "DeliveryMode",
    "EventSource",
    "EventWrite",
    "EventWriter",
    "FakeClock",
    "ObjectRef",
    "Outcome",
    "RealClock",
    "RecordPipeline",
    "RecordStats",
    "Recorder",
    "SinkOptions",
    "SinkStats",
    "Watcher",
    "make_event",
]
