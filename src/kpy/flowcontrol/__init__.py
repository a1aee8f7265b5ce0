"""Flow control after client-go's ``util/flowcontrol`` and ``util/wait``: token bucket and backoff.

Pure and dependency-free; every timing decision takes an injectable clock/sleep/random so tests drive time.
"""

from kpy.flowcontrol.backoff import (
    Backoff,
    ExponentialBackoffManager,
    jitter,
)
from kpy.flowcontrol.tokenbucket import Now, Sleep, TokenBucket

__all__ = [
    "Backoff",
    "ExponentialBackoffManager",
    "Now",
    "Sleep",
    "TokenBucket",
    "jitter",
]
