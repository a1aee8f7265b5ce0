"""client-go's workqueue metrics (``util/workqueue/metrics.go``), kept as plain numbers.

depth, adds_total, queue_duration_seconds (add → get), work_duration_seconds (get → done), retries_total,
unfinished_work_seconds and longest_running_processor_seconds; ``kpy.workqueue.prometheus`` renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

#: client-go: prometheus.ExponentialBuckets(10e-9, 10, 10)
BUCKETS = tuple(10e-9 * 10**i for i in range(10))


@dataclass
class Histogram:
    buckets: tuple[float, ...] = BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    sum: float = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1


class QueueMetrics:
    """What a queue's adds, gets and dones add up to, measured with ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.depth = 0
        self.adds = 0
        self.retries = 0
        self.queue_duration = Histogram()
        self.work_duration = Histogram()
        self._added_at: dict[Hashable, float] = {}
        self._started_at: dict[Hashable, float] = {}

    def add(self, item: Hashable) -> None:
        self.adds += 1
        self.depth += 1
        self._added_at.setdefault(item, self.clock())

    def get(self, item: Hashable) -> None:
        self.depth -= 1
        now = self.clock()
        self._started_at[item] = now
        added = self._added_at.pop(item, None)
        if added is not None:
            self.queue_duration.observe(now - added)

    def done(self, item: Hashable) -> None:
        started = self._started_at.pop(item, None)
        if started is not None:
            self.work_duration.observe(self.clock() - started)

    def retry(self) -> None:
        self.retries += 1

    def unfinished_work_seconds(self) -> float:
        now = self.clock()
        return sum(now - t for t in self._started_at.values())

    def longest_running_processor_seconds(self) -> float:
        now = self.clock()
        return max((now - t for t in self._started_at.values()), default=0.0)
