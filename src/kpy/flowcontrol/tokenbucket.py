"""Client-side throttling: a token bucket with client-go's (``golang.org/x/time/rate``) semantics.

The bucket starts full (``burst`` tokens) and refills at ``qps`` tokens per second up to ``burst``. ``wait``
*reserves* a token, so concurrent callers queue up in arrival order: the n-th caller beyond the burst waits
``n / qps`` seconds. A reservation whose waiter is cancelled gives its token back. ``qps <= 0`` disables
throttling (client-go: a negative QPS means no rate limiter). The time source and sleep are injectable so tests drive time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from kpy.flowcontrol.sleep import sleep as adaptive_sleep

#: a source of seconds (``time.monotonic``, or ``kpy.gocompat.clock.Clock.monotonic`` in tests)
Now = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``qps`` tokens per second, at most ``burst`` saved up; ``burst`` < 1 is treated as 1."""

    def __init__(
        self, qps: float, burst: int, *, clock: Now = time.monotonic, sleep: Sleep = adaptive_sleep
    ) -> None:
        self.qps = float(qps)
        self.burst = max(1, int(burst))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()

    @property
    def enabled(self) -> bool:
        return self.qps > 0

    def _advance(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.qps)
        return now

    def tokens(self) -> float:
        """Tokens available now (negative while reservations are outstanding)."""
        if not self.enabled:
            return float("inf")
        self._advance()
        return self._tokens

    def try_accept(self) -> bool:
        """Take a token if one is available right now, without waiting (client-go ``TryAccept``)."""
        if not self.enabled:
            return True
        self._advance()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def reserve(self) -> float:
        """Take a token now, possibly going into debt; return how long the caller must wait before using it."""
        if not self.enabled:
            return 0.0
        self._advance()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def cancel_reservation(self) -> None:
        """Give back a token reserved by ``reserve`` that will not be used."""
        if self.enabled:
            self._advance()
            self._tokens = min(float(self.burst), self._tokens + 1.0)

    async def wait(self) -> float:
        """Wait for a token; return the seconds waited (0 when one was available)."""
        delay = self.reserve()
        if delay <= 0:
            return 0.0
        try:
            await self._sleep(delay)
        except BaseException:  # cancelled (or interrupted): the token was not used
            self.cancel_reservation()
            raise
        return delay
