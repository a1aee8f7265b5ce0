"""Backoff with jitter, after client-go's ``k8s.io/apimachinery/pkg/util/wait``.

``Backoff`` is ``wait.Backoff``: each ``step()`` returns the current duration (plus up to ``jitter`` × it) and
multiplies the next one by ``factor``; once ``cap`` is hit (or ``steps`` run out) the duration stays put.
``ExponentialBackoffManager`` is ``wait.NewExponentialBackoffManager`` (what the reflector sleeps between
reconnects): it resets to the initial duration when no backoff was needed for ``reset_after`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kpy.dataclasslite import dataclass, field
from kpy.flowcontrol.tokenbucket import Now

Rand = Callable[[], float]


def _random() -> float:
    """``random.random()``; the module (and its seeding) loads with the first jittered step, not with kpy."""
    import random

    return random.random()


def jitter(duration: float, max_factor: float, rand: Rand = _random) -> float:
    """``duration`` plus a random extra of up to ``max_factor`` × duration (``max_factor <= 0`` means 1.0)."""
    if max_factor <= 0:
        max_factor = 1.0
    return duration + rand() * max_factor * duration


@dataclass
class Backoff:
    """wait.Backoff. ``steps`` counts the remaining growing steps; ``cap`` 0 = no cap. Mutable, like upstream."""

    duration: float
    factor: float = 1.0
    jitter: float = 0.0
    steps: int = 1
    cap: float = 0.0
    rand: Rand = field(default=_random, repr=False, compare=False)

    def step(self) -> float:
        """The next sleep; advances the state."""
        if self.steps < 1:
            return jitter(self.duration, self.jitter, self.rand) if self.jitter > 0 else self.duration
        self.steps -= 1
        current = self.duration
        if self.factor != 0:
            self.duration = self.duration * self.factor
            if self.cap > 0 and self.duration > self.cap:
                self.duration = self.cap
                self.steps = 0
        return jitter(current, self.jitter, self.rand) if self.jitter > 0 else current


class ExponentialBackoffManager:
    """Reconnect backoff: ``initial`` doubling (``factor``) up to ``maximum``, jittered; reset when quiet.

    client-go's reflector uses initial 0.8 s, max 30 s, reset after 2 min, factor 2.0, jitter 1.0.
    """

    def __init__(
        self,
        initial: float = 0.8,
        maximum: float = 30.0,
        reset_after: float = 120.0,
        factor: float = 2.0,
        jitter: float = 1.0,
        *,
        clock: Now = time.monotonic,
        rand: Rand = _random,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.reset_after = reset_after
        self.factor = factor
        self.jitter = jitter
        self._clock = clock
        self._rand = rand
        self._backoff = self._fresh()
        self._last: float | None = None

    def _fresh(self) -> Backoff:
        return Backoff(
            self.initial, self.factor, self.jitter, steps=1 << 30, cap=self.maximum, rand=self._rand
        )

    def next_delay(self) -> float:
        """The next sleep (resets first when the previous one was more than ``reset_after`` ago)."""
        now = self._clock()
        if self._last is not None and now - self._last > self.reset_after:
            self._backoff = self._fresh()
        self._last = now
        return self._backoff.step()

    def reset(self) -> None:
        self._backoff = self._fresh()
        self._last = None
