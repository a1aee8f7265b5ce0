"""``Emulator.requests``: the log of the requests the emulator saw, bounded so a long-running ``kpy sandbox``
does not grow without end.

:class:`RequestLog` keeps the most recent ``maxlen`` records (default :data:`DEFAULT_MAXLEN`; older ones are
dropped first) and reads like a list: ``len``, iteration, ``log[-1]``, ``log[start:]`` (a list). ``total``
counts every request ever logged, so ``log.total - before`` is the number of requests since a mark even
after old records were dropped.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

#: records an Emulator keeps unless told otherwise (``Emulator(request_log=N)``)
DEFAULT_MAXLEN = 10_000
_TRUE = ("1", "true", "True")


@dataclass
class RequestRecord:
    """One request the emulator saw (``status`` is None while it is still being served, e.g. a watch).
    ``headers`` has the Authorization header redacted."""

    method: str
    path: str
    query: dict[str, str]
    status: int | None = None
    user: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def watch(self) -> bool:
        return self.query.get("watch") in _TRUE or "/watch/" in self.path


class RequestLog(Sequence[RequestRecord]):
    """The last ``maxlen`` :class:`RequestRecord` s, oldest first."""

    def __init__(self, maxlen: int = DEFAULT_MAXLEN) -> None:
        if maxlen < 1:
            raise ValueError("a request log keeps at least one record")
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.total = 0

    @property
    def maxlen(self) -> int:
        return self._records.maxlen or 0

    def append(self, record: RequestRecord) -> None:
        self._records.append(record)
        self.total += 1

    def clear(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(list(self._records))  # a snapshot: the server may append while a test iterates

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...
    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        if isinstance(index, slice):
            return list(self._records)[index]
        return self._records[index]

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} of at most {self.maxlen}, {self.total} in all)"
