"""``kpy on``'s engine: an ``Informer`` feeding a ``RateLimitingQueue`` whose workers run a command per key.

The informer's handler only records the key's latest state and queues the key (filtered by ``events`` and,
for updates, by whether the ``when`` JSONPath result changed). A worker takes a key (never one another worker
holds: the queue's processing set), runs the command with the latest state on stdin (for a delete: the last
state known), and on success ``forget``s the key's failures; on failure it re-queues it with the rate
limiter's back-off until ``max_retries`` re-queues were spent (-1: never give up), then drops it with one line
on stderr and counts it. ``KPY_EVENT`` is the newest event queued since the key last ran, except that an
``Added`` not yet handed to the command stays ``Added`` when updates follow it.

``stop()`` drains: nothing new starts, the runs in progress finish, and after ``grace_period`` seconds (or at
once with ``now=True``) the ones still running are killed with their process groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from kpy.cache import spawn
from kpy.cache.command import LineWriter, RunResult, run_command
from kpy.cache.informer import ADDED, DELETED, EVENT_TYPES, MODIFIED, SYNC, InformerEvent
from kpy.cache.store import StoredObject, split_key
from kpy.workqueue import RateLimitingQueue, ShutDown, default_controller_rate_limiter

if TYPE_CHECKING:
    from kpy.cache.informer import Informer
    from kpy.jsonpath import Template
    from kpy.workqueue import RateLimiter


@dataclass(frozen=True)
class ControllerOptions:
    argv: tuple[str, ...]
    events: frozenset[str] = frozenset(EVENT_TYPES)
    when: Template | None = None
    workers: int = 1
    max_retries: int = 5
    timeout: float = 0.0  #: per run, 0 = none
    grace_period: float = 30.0
    prefix: bool = True


@dataclass
class ControllerStats:
    runs: int = 0
    succeeded: int = 0
    failures_by_code: dict[int, int] = field(default_factory=dict)
    dropped: int = 0
    filtered: int = 0


class CommandController:
    def __init__(
        self,
        informer: Informer,
        options: ControllerOptions,
        out: LineWriter,
        err: LineWriter,
        *,
        log: TextIO | None = None,
        env: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
        queue: RateLimitingQueue[str] | None = None,
    ) -> None:
        self.informer = informer
        self.options = options
        self.out = out
        self.err = err
        self.log = log if log is not None else sys.stderr
        self.env = dict(os.environ if env is None else env)
        self.queue: RateLimitingQueue[str] = queue or RateLimitingQueue(
            rate_limiter or default_controller_rate_limiter()
        )
        self.stats = ControllerStats()
        self.running: dict[int, str] = {}  #: process group → key of the runs in progress
        self._objects: dict[str, StoredObject] = {}  #: latest state per key (last known for deletes)
        self._pending: dict[str, str] = {}  #: key → event type queued since it last ran
        self._stopping = False
        self._workers: list[asyncio.Task[None]] = []
        self._guard: spawn.RunGuard | None = None
        #: ``kpy on --elect``: the elector's stop deadline (RealClock.monotonic), handed to the run guard
        self.deadline: Callable[[], float | None] | None = None
        self.on_run: Callable[[str, str, RunResult], None] | None = None  #: tests and metrics listen here
        informer.add_handler(self.handle)

    def say(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.log.write(line + "\n")
            self.log.flush()

    # -- informer side ------------------------------------------------------------------------------
    def _when_changed(self, event: InformerEvent) -> bool:
        template = self.options.when
        if template is None or event.type != MODIFIED or event.old is None:
            return True
        try:
            return template.find(event.old.decode()) != template.find(event.object.decode())
        except Exception:  # an execution error on either side counts as a change: let the command decide
            return True

    def handle(self, event: InformerEvent) -> None:
        """The informer's handler: remember the state, queue the key if it passes the filters."""
        key = event.key
        self._objects[key] = event.object
        if event.type not in self.options.events or not self._when_changed(event):
            self.stats.filtered += 1
            return
        pending = self._pending.get(key)
        if not (pending == ADDED and event.type in (MODIFIED, SYNC)):
            self._pending[key] = event.type
        self.queue.add(key)

    # -- workers ------------------------------------------------------------------------------------
    def _env(self, key: str, kind: str, obj: StoredObject) -> dict[str, str]:
        namespace, name = split_key(key)
        return {
            **self.env,
            "KPY_EVENT": kind,
            "KPY_KEY": key,
            "KPY_NAMESPACE": namespace,
            "KPY_NAME": name,
            "KPY_RESOURCE_VERSION": obj.resource_version,
            "KPY_RETRIES": str(self.queue.num_requeues(key)),
        }

    async def process(self, key: str) -> RunResult | None:
        """Run the command for ``key`` once and settle the outcome (forget, re-queue or drop)."""
        kind = self._pending.pop(key, None) or (MODIFIED if key in self.informer.store else DELETED)
        obj = self._objects.get(key)
        if obj is None:
            return None
        result = await run_command(
            self.options.argv,
            self._env(key, kind, obj),
            obj.line,
            key,
            self.out,
            self.err,
            prefix=self.options.prefix,
            timeout=self.options.timeout,
            running=self.running,
            guard=self._guard,
        )
        self.stats.runs += 1
        if result.code == 0:
            self.stats.succeeded += 1
            self.queue.forget(key)
            if kind == DELETED and key not in self.informer.store and key not in self._pending:
                self._objects.pop(key, None)
        else:
            self.stats.failures_by_code[result.code] = self.stats.failures_by_code.get(result.code, 0) + 1
            if result.error:
                self.say(f"error: {key}: {result.error}")
            elif result.timed_out:
                self.say(f"{key}: command timed out after {self.options.timeout:g}s; killed")
            self._pending.setdefault(key, kind)
            self._retry_or_drop(key, result)
        if self.on_run is not None:
            self.on_run(key, kind, result)
        return result

    def _retry_or_drop(self, key: str, result: RunResult) -> None:
        retries = self.queue.num_requeues(key)
        limit = self.options.max_retries
        if self._stopping:
            return
        if limit < 0 or retries < limit:
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)
        self._pending.pop(key, None)
        self.stats.dropped += 1
        self.say(f'dropping "{key}" out of the queue after {retries} retries: exit code {result.code}')

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                if not self._stopping:
                    await self.process(key)
            finally:
                self.queue.done(key)

    # -- lifecycle ----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Informer, delay loop and workers until ``stop`` (or an informer error, which is raised)."""
        if self._guard is None and spawn.available():
            self._guard = spawn.RunGuard()
            self.renewed()
        delays = asyncio.create_task(self.queue.run())
        self._workers = [asyncio.create_task(self._worker()) for _ in range(max(1, self.options.workers))]
        informer = asyncio.create_task(self.informer.run())
        try:
            done, _ = await asyncio.wait({informer, *self._workers}, return_when=asyncio.FIRST_COMPLETED)
            if informer in done:
                informer.result()  # raises what ended it
            await asyncio.gather(*self._workers)
        finally:
            informer.cancel()
            self.queue.shut_down()
            self._stopping = True
            with contextlib.suppress(asyncio.CancelledError):
                await informer
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            await asyncio.gather(delays, return_exceptions=True)
            if self._guard is not None:
                self.kill_running()
                self._guard.close(clean=not self.running)
                self._guard = None

    def renewed(self) -> None:
        """The lease was renewed: tell the run guard the new stop deadline (it kills every run after it, even
        while kpy is frozen)."""
        deadline = self.deadline() if self.deadline is not None else None
        if deadline is not None and self._guard is not None:
            self._guard.hold_until(deadline)

    async def stop(self, *, now: bool = False) -> None:
        """No new runs; wait for running ones (``grace_period``, or not at all with ``now``), kill the rest."""
        self._stopping = True
        self.queue.shut_down()
        workers = [t for t in self._workers if not t.done()]
        if workers and not now:
            await asyncio.wait(workers, timeout=self.options.grace_period)
        self.kill_running()
        if workers:
            await asyncio.wait(workers)

    def kill_running(self) -> None:
        for pgid in list(self.running):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
