"""Per-item rate limiters for work queues, after client-go ``util/workqueue/default_rate_limiters.go``
(checked step by step against client-go on generated scripts: ``tests/data/clientgo/workqueue.json``).

``when(item)`` says how long to wait before the item may be processed again; ``forget(item)`` clears its
failure history once it succeeded; ``num_requeues(item)`` counts failures since the last ``forget``.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Protocol

from kpy.flowcontrol.tokenbucket import Now, TokenBucket


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float: ...

    def forget(self, item: Hashable) -> None: ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """``base × 2^failures`` per item, capped at ``maximum`` (client-go defaults: 5 ms and 1000 s)."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        self.base = base
        self.maximum = maximum
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp >= 1024:  # 2**exp would overflow a float long before this; it is past any cap anyway
            return self.maximum
        delay = self.base * (2.0**exp)
        return min(delay, self.maximum)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class ItemFastSlowRateLimiter:
    """``fast`` for the first ``max_fast_attempts`` failures of an item, then ``slow``."""

    def __init__(self, fast: float, slow: float, max_fast_attempts: int) -> None:
        self.fast = fast
        self.slow = slow
        self.max_fast_attempts = max_fast_attempts
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        self._failures[item] = self._failures.get(item, 0) + 1
        return self.fast if self._failures[item] <= self.max_fast_attempts else self.slow

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """One token bucket shared by all items (overall QPS); ``when`` reserves a token and returns its delay."""

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Now = time.monotonic) -> None:
        self.bucket = TokenBucket(qps, burst, clock=clock)

    def when(self, item: Hashable) -> float:
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (each one is told about every failure)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max((limiter.when(item) for limiter in self.limiters), default=0.0)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max((limiter.num_requeues(item) for limiter in self.limiters), default=0)


def default_controller_rate_limiter(
    *,
    base: float = 0.005,
    maximum: float = 1000.0,
    qps: float = 10.0,
    burst: int = 100,
    clock: Now = time.monotonic,
) -> MaxOfRateLimiter:
    """client-go ``DefaultControllerRateLimiter``: per-item 5 ms..1000 s exponential, overall 10 QPS burst 100
    (each tunable)."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(base, maximum), BucketRateLimiter(qps, burst, clock=clock)
    )
