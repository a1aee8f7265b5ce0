"""Flow control after client-go's ``util/flowcontrol`` and ``util/wait``: token bucket, backoff, rate limiters.

Pure and dependency-free; every timing decision takes an injectable clock/sleep/random so tests drive time.
"""

from kpy.flowcontrol.backoff import (
    Backoff,
    BackoffExhausted,
    ExponentialBackoffManager,
    exponential_backoff,
    jitter,
)
from kpy.flowcontrol.ratelimiter import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)
from kpy.flowcontrol.tokenbucket import Clock, Sleep, TokenBucket

__all__ = [
    "Backoff",
    "BackoffExhausted",
    "BucketRateLimiter",
    "Clock",
    "ExponentialBackoffManager",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "Sleep",
    "TokenBucket",
    "default_controller_rate_limiter",
    "exponential_backoff",
    "jitter",
]
