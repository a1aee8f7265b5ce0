"""``WriteBehind``: a stream's receiving thread hands what it received to a writing thread, in order, with a
fixed set of receive buffers, so that receiving (``recv``, TLS decryption, frame parsing) and writing (a file,
a pipe, untar + sha256) run at the same time on two cores (each releases the GIL in its system calls and in
OpenSSL/hashlib).

The receiver takes a free buffer (``take``: blocks while all of them are in flight, which bounds the memory to
``count * size`` bytes and slows the receiver down to the writer's pace), receives into it, queues views of it
with the function that writes them (``put``), then gives the buffer back (``release``): the writing thread
returns it to the pool once everything queued before is written. ``close`` waits until everything queued is
written. A writer that raises stops the writing (nothing after it is written: no silent gap in the output);
the error is raised again to the receiver by its next ``take``/``put``/``close``, so the stream ends with it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

#: receives one view, valid only during the call (copy it to keep it)
Sink = Callable[[bytes | memoryview], None]

#: what the receiver hands over per buffer: the writes, then the buffer to give back (None: no buffer)
_Job = tuple[list[tuple[Sink, "bytes | memoryview"]], "memoryview | None"]


class _Abandoned(Exception):
    pass


class WriteBehind:
    """Ordered writes in a thread of their own, fed from ``count`` buffers of ``size`` bytes (module docstring)."""

    def __init__(self, size: int, count: int = 4, name: str = "kpy-write-behind") -> None:
        if count < 2:
            raise ValueError("a write-behind needs at least two buffers")
        self.size = size
        self._free: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(memoryview(bytearray(size)))
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._batch: list[tuple[Sink, bytes | memoryview]] = []
        #: what the writing thread raised (the writes stopped there)
        self.error: BaseException | None = None
        self._abandoned = False
        self._thread = threading.Thread(target=self._write, name=name, daemon=True)
        self._thread.start()

    def take(self) -> memoryview:
        """A free buffer (blocks while all are in flight). Raises the writer's error once it failed."""
        buf = self._free.get()
        if buf is None or self.error is not None:
            self._free.put(None)  # wake any other taker too
            raise self._failure()
        return buf

    def put(self, sink: Sink, data: bytes | memoryview) -> None:
        """Queue ``sink(data)`` with the next ``release``; ``data`` stays untouched until it is written (a view
        of the taken buffer, which is not reused before its ``release``, or bytes)."""
        self._batch.append((sink, data))

    def release(self, buf: memoryview | None) -> None:
        """Hand what ``put`` queued since the last release to the writing thread (one wake-up per buffer), and
        ``buf`` back to the pool once that is written. Raises the writer's error once it failed."""
        batch, self._batch = self._batch, []
        self._jobs.put((batch, buf))
        if self.error is not None:
            raise self._failure()

    def close(self) -> None:
        """Wait until everything queued is written; raise the writer's error if it failed."""
        if self._abandoned:
            return
        if self._batch:
            self._jobs.put((self._batch, None))
            self._batch = []
        self._jobs.put(None)
        self._thread.join()
        if self.error is not None:
            raise self._failure()

    def abandon(self) -> None:
        """Stop writing what is still queued; ``close`` then returns at once."""
        self.error = self.error or _Abandoned("the output was abandoned")
        self._abandoned = True
        self._jobs.put(None)

    def _failure(self) -> BaseException:
        assert self.error is not None
        return self.error

    def _write(self) -> None:
        jobs, free = self._jobs, self._free
        while True:
            job = jobs.get()
            if job is None:
                return
            batch, buf = job
            if self.error is None:
                try:
                    i, n = 0, len(batch)
                    while (
                        i < n
                    ):  # consecutive writes to one sink: one call (fewer system calls, GIL hand-offs)
                        sink, data = batch[i]
                        j = i + 1
                        while j < n and batch[j][0] == sink:
                            j += 1
                        sink(data if j == i + 1 else b"".join([d for _, d in batch[i:j]]))
                        i = j
                except BaseException as exc:  # handed to the receiving thread
                    self.error = exc
                    free.put(None)  # a receiver blocked in take() wakes up and raises
            if buf is not None:
                free.put(buf)
            del job, batch, buf


class Inline:
    """``WriteBehind``'s interface with the writes done at once in the calling thread, from one buffer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = memoryview(bytearray(size))

    def take(self) -> memoryview:
        return self._buf

    def put(self, sink: Sink, data: bytes | memoryview) -> None:
        sink(data)

    def release(self, buf: memoryview | None) -> None:
        pass

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass
