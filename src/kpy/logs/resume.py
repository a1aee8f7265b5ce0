"""Resuming a log stream without a duplicate and without a silent loss (pure).

Every stream is read with timestamps. :class:`Cursor` remembers the newest timestamp printed and how many lines
carried it. A broken stream is reopened with ``sinceTime`` at that second (the kubelet only gets seconds), and
its lines go through the cursor's :class:`Boundary`: older lines and the ``count`` lines already printed at the
boundary timestamp are dropped. Seeing those boundary lines again *proves* the new stream continues the old one;
when the first new line arrives without that proof (the file was rotated away, the server ignored sinceTime
and the line is gone, ...), lines between the two timestamps may be lost and the boundary reports a
:class:`Gap` for exactly that range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpy.logs.stamps import format_seconds, format_ts


@dataclass(frozen=True)
class Gap:
    """Lines of one container between ``start`` and ``end`` (ns; None: unknown) may be missing."""

    namespace: str
    pod: str
    container: str
    start: int | None
    end: int | None
    reason: str

    def message(self) -> str:
        start = format_ts(self.start) if self.start is not None else "the start"
        end = format_ts(self.end) if self.end is not None else "now"
        return (
            f"kpy: possible gap in the logs of pod/{self.pod}/{self.container} (namespace {self.namespace}) "
            f"between {start} and {end}: {self.reason}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "gap": {
                "namespace": self.namespace,
                "pod": self.pod,
                "container": self.container,
                "from": format_ts(self.start) if self.start is not None else None,
                "to": format_ts(self.end) if self.end is not None else None,
                "reason": self.reason,
            }
        }


class Boundary:
    """The filter of one resumed stream (see the module docstring)."""

    def __init__(self, last: int | None, count: int, *, expect_proof: bool = True) -> None:
        self.last = last
        self.count = count
        self.expect_proof = expect_proof and last is not None
        self.matched = 0
        #: the boundary lines were seen again: the streams join without a gap
        self.proven = not self.expect_proof
        #: (start, end) of a possible gap, set by the first new line that arrives without proof
        self.gap: tuple[int | None, int] | None = None

    @property
    def joined(self) -> bool:
        """The lines printed at the boundary came back: this stream continues the printed one."""
        return self.last is not None and self.matched == self.count

    def admit(self, ts: int | None) -> bool:
        """Whether a line with this timestamp is new (to print)."""
        if self.last is None or ts is None:
            return True
        if ts < self.last:
            return False
        if ts == self.last and self.matched < self.count:
            self.matched += 1
            if self.matched == self.count:
                self.proven = True
            return False
        if not self.proven:
            self.gap = (self.last, ts)
            self.proven = True  # reported once; the rest of the stream is continuous
        return True


class Cursor:
    """Where one container's output stands: the newest timestamp printed and how many lines had it."""

    def __init__(self) -> None:
        self.last: int | None = None
        self.count = 0
        self.lines = 0

    def printed(self, ts: int | None) -> None:
        self.lines += 1
        if ts is None:
            return
        if ts == self.last:
            self.count += 1
        elif self.last is None or ts > self.last:
            self.last, self.count = ts, 1

    def since_time(self) -> str | None:
        """The ``sinceTime`` a resumed request asks for (None: nothing printed yet, read from the start)."""
        return None if self.last is None else format_seconds(self.last)

    def boundary(self, *, expect_proof: bool = True) -> Boundary:
        return Boundary(self.last, self.count, expect_proof=expect_proof)


class LineSplitter:
    """Bytes as they arrive → complete lines (newline kept); :meth:`rest` is an unterminated tail."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._buffer + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._buffer = data
            return []
        self._buffer = data[end + 1 :]
        return data[: end + 1].splitlines(keepends=True)

    def rest(self) -> bytes:
        rest, self._buffer = self._buffer, b""
        return rest
