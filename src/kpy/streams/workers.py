"""Reusable daemon threads for blocking work (dials, relays), and ``run_in_thread`` to await them."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Workers:
    """Daemon threads for blocking work, reused: a connection's dial and relay threads cost a thread start
    (~150 us here) only when no idle worker is waiting. A worker idle for ``idle_timeout`` seconds exits, so
    the pool shrinks back after a burst of connections."""

    def __init__(self, idle_timeout: float = 30.0) -> None:
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._idle = 0  # workers waiting for a task that no submit has claimed yet
        self._busy = 0  # workers running a task
        self._tasks: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()

    def submit(self, fn: Callable[[], object], name: str = "kpy-worker") -> None:
        """Run ``fn`` (which must not raise) in an idle worker, or in a new one."""
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._tasks.put(fn)
                return
        threading.Thread(target=self._work, args=(fn,), name=name, daemon=True).start()

    @property
    def busy(self) -> int:
        """How many workers are running a task now (idle ones waiting for the next are not counted)."""
        return self._busy

    def _work(self, fn: Callable[[], object]) -> None:
        while True:
            with self._lock:
                self._busy += 1
            fn()
            del fn
            with self._lock:
                self._busy -= 1
                self._idle += 1
            try:
                fn = self._tasks.get(timeout=self.idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # nobody claimed a worker meanwhile: this one leaves
                        self._idle -= 1
                        return
                fn = self._tasks.get()  # a submit claimed this worker just now: its task is queued


#: the process's pool for stream threads
workers = Workers()


def run_in_thread(
    fn: Callable[[], T], *, name: str = "kpy-worker", discard: Callable[[T], Any] | None = None
) -> asyncio.Future[T]:
    """Run ``fn`` in a worker thread (``workers``); the returned future (on the running loop) gets its result.

    Threads rather than the default executor: streams block for their whole life, and there may be more of
    them than executor workers. If nobody wants the result any more (the future was cancelled), ``discard``
    receives it (to close a socket that was opened too late).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if future.cancelled():
            if ok and discard is not None:
                discard(value)
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            loop.call_soon_threadsafe(deliver, *outcome)
        except RuntimeError:  # the loop is closed: nobody is waiting
            if outcome[0] and discard is not None:
                discard(outcome[1])

    workers.submit(target, name)
    return future
