"""Event-name stamps on a clock: :class:`NanoTime`. The clock itself is :mod:`kpy.gocompat.clock`'s."""

from __future__ import annotations

from kpy.gocompat.clock import Clock


class NanoTime:
    """Strictly increasing nanosecond stamps for event names (``<object>.<hex nanotime>``).

    client-go names events with ``time.Now().UnixNano()`` and relies on the clock never repeating; a fake clock
    (or a coarse one) would repeat, and a repeated name is an AlreadyExists the recorder silently treats as
    written. So each stamp is at least one nanosecond after the previous one. Stamps are the clock's integer
    nanoseconds (``now_ns``), never a float: all nine digits are kept.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last = 0

    def __call__(self) -> int:
        return self.unique(self.clock.now_ns())

    def unique(self, ns: int) -> int:
        """``ns`` itself, or one nanosecond after the last stamp handed out when it would repeat."""
        if ns <= self.last:
            ns = self.last + 1
        self.last = ns
        return ns
