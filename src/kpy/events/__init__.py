"""client-go's event tools as a library: record (recorder → broadcaster → correlator → buffered sink) and tail.

Pure cores (no I/O): ``correlator`` (spam filter, aggregator, dedup, LRU), ``broadcaster`` (fan-out with drop or
block delivery), ``sink`` (audit-style batching with throttle and retries, over any ``EventWriter``),
``tail``'s rendering. I/O: ``api`` (writer and ``KIND/NAME`` resolution over ``kpy.rest``), ``tail_events``.
"""

from kpy.events.broadcaster import Broadcaster, DeliveryMode, Watcher
from kpy.events.correlator import CorrelateResult, Correlator, CorrelatorOptions
from kpy.events.pipeline import RecordPipeline, RecordStats
from kpy.events.recorder import EventSource, ObjectRef, Recorder, make_event
from kpy.events.sink import BufferedSink, EventWrite, EventWriter, Outcome, SinkOptions, SinkStats
from kpy.gocompat.clock import Clock, FakeClock, RealClock

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
