"""Whether a long-running watch is connected, told to the user, and how long it may keep retrying.

A watch that cannot reconnect keeps retrying (that is the point of ``get -w``/``events tail``), but silence looks
like "nothing is happening". ``ReconnectTracker`` turns the reflector's attempts into two kinds of news, each
delivered once per outage through a callback: *lost* after the first failed reconnect (a dropped stream that
reconnects at once is no news), *restored* when a watch or list succeeds again. With ``max_retry_time`` it raises
the last error once the watch has been down that long, for scripts that prefer to fail. Time comes from an
injectable clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from kpy.errors import KpyError, UsageError


def format_delay(seconds: float) -> str:
    """A short Go-like duration: ``800ms``, ``5s``, ``1m30s``."""
    if seconds < 1.0:
        return f"{max(0, round(seconds * 1000))}ms"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest}s" if rest else f"{minutes}m"


def describe(exc: BaseException) -> str:
    """The one line kpy would print for ``exc``, without the ``error: `` prefix."""
    if isinstance(exc, KpyError):
        line = exc.format()
        return line[len("error: ") :] if line.startswith("error: ") else line
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class WatchHealth:
    """News about a watch's connection: lost (and when the next try is) or restored (and after how long)."""

    lost: bool
    reason: str = ""
    retry_in: float = 0.0
    down_for: float = 0.0

    def message(self) -> str:
        """What ``kpy get -w`` and ``kpy events tail`` print on stderr (after ``kpy: ``)."""
        if self.lost:
            return f"watch lost: {self.reason}; retrying (next in {format_delay(self.retry_in)})"
        return f"watch restored after {format_delay(self.down_for)}"


class ReconnectTracker:
    """Counts an outage from the first sign of trouble (a drop or a failed attempt) until a success."""

    def __init__(
        self,
        clock: Callable[[], float],
        on_health: Callable[[WatchHealth], None] | None = None,
        max_retry_time: float | None = None,
    ) -> None:
        self._clock = clock
        self._on_health = on_health
        self.max_retry_time = max_retry_time
        self._since: float | None = None
        self._reported: str | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def dropped(self) -> None:
        """An established stream broke: the outage (if it is one) starts now."""
        if self._since is None:
            self._since = self._clock()

    def clamp(self, delay: float) -> float:
        """``delay``, shortened so that the last try happens when ``max_retry_time`` runs out."""
        if self.max_retry_time is None:
            return delay
        since = self._since if self._since is not None else self._clock()
        return max(0.0, min(delay, since + self.max_retry_time - self._clock()))

    def failed(self, exc: BaseException, retry_in: float) -> None:
        """A (re)connect attempt failed and the next is ``retry_in`` seconds away. Raises ``exc`` when the
        watch has been down for ``max_retry_time``."""
        now = self._clock()
        if self._since is None:
            self._since = now
        if self.max_retry_time is not None and now - self._since >= self.max_retry_time:
            raise exc
        reason = describe(exc)
        if reason != self._reported:
            self._reported = reason
            self._emit(WatchHealth(True, reason, retry_in))

    def succeeded(self) -> None:
        """A watch or list went through: the outage, if any, is over."""
        if self._since is not None and self._reported is not None:
            self._emit(WatchHealth(False, down_for=self._clock() - self._since))
        self._since = None
        self._reported = None

    def _emit(self, news: WatchHealth) -> None:
        if self._on_health is not None:
            self._on_health(news)


def parse_retry_time(value: str | None, flag: str = "--max-retry-time") -> float | None:
    """A duration flag (``30s``, ``2m``, a bare number of seconds) in pflag's words when it is not one."""
    if value is None or value == "":
        return None
    from kpy.gocompat.duration import parse_flag_seconds

    seconds = float(value) if value.replace(".", "", 1).isdigit() else parse_flag_seconds(flag, value)
    if seconds < 0:
        raise UsageError(f'invalid argument "{value}" for "{flag}" flag: must not be negative')
    return seconds


def report_to(err: TextIO) -> Callable[[WatchHealth], None]:
    """An ``on_health`` that prints ``kpy: watch lost: ...`` / ``kpy: watch restored ...`` lines on ``err``."""

    def report(news: WatchHealth) -> None:
        err.write(f"kpy: {news.message()}\n")
        err.flush()

    return report
