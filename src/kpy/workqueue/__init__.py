"""client-go's ``util/workqueue`` for asyncio: the queue (dirty and processing sets), delaying and
rate-limiting queues, and the rate limiters.

Pure state machines with an injectable clock; only ``Queue.get`` and ``DelayingQueue.run`` wait.
"""

from kpy.workqueue.delaying import DelayingQueue, RateLimitingQueue
from kpy.workqueue.metrics import Histogram, QueueMetrics
from kpy.workqueue.queue import Queue, QueueEmpty, ShutDown
from kpy.workqueue.ratelimiter import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)

__all__ = [
    "BucketRateLimiter",
    "DelayingQueue",
    "Histogram",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "Queue",
    "QueueEmpty",
    "QueueMetrics",
    "RateLimiter",
    "RateLimitingQueue",
    "ShutDown",
    "default_controller_rate_limiter",
]
