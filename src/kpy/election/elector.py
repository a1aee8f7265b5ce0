"""client-go's LeaderElector loops on asyncio: acquire (jittered retries), renew (rounds bounded by the renew
deadline), release — around the pure decisions of :class:`kpy.election.core.ElectionCore`.

Every API request is bounded by ``max(1 s, RenewDeadline / 2)`` and, while renewing, by what is left of the
renew deadline, so a hung request cannot outlive the lease. Errors during a try are remembered
(``last_error``) and make the try fail, as in client-go; while *acquiring*, errors that retrying cannot fix
(401, 400/422, and 404 on create, e.g. a missing namespace) are raised instead of retried forever. 403
Forbidden is retried like client-go does (RBAC is often granted after the workload starts), and reported
through ``on_try_failed`` each time so that the user sees why nothing happens.

While leading, no renewal is sent once the stop deadline (last successful send + 0.9 × leaseDurationSeconds
− grace, see ``kpy.election.runner``) has passed: a leader that was frozen past it has lost, even when nobody
else has taken the lease yet.

One deliberate difference from client-go: when a renewal attempt observes another holder, the renew round
fails at once instead of polling on until the deadline (the other holder already leads).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from kpy.election.config import ElectionConfig, jittered
from kpy.election.core import Create, ElectionCore, Held, Update
from kpy.election.lock import Lock
from kpy.election.record import LeaderElectionRecord
from kpy.errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    KpyError,
    NotFound,
    Unauthorized,
)
from kpy.gocompat.clock import Clock, RealClock
from kpy.gocompat.duration import format_duration

log = logging.getLogger("kpy.election")
T = TypeVar("T")

_PERMANENT: tuple[type[ApiError], ...] = (Unauthorized, BadRequest, Invalid)


@dataclass
class ElectorMetrics:
    acquisitions: int = 0
    renewals: int = 0
    failed_tries: int = 0
    renew_rounds_failed: int = 0


class LeaderElector:
    """One candidate. ``on_new_leader(identity)`` is called (synchronously) on every observed change of holder."""

    def __init__(
        self,
        lock: Lock,
        identity: str,
        config: ElectionConfig,
        *,
        clock: Clock | None = None,
        rand: Callable[[], float] = random.random,
        on_new_leader: Callable[[str], None] | None = None,
        on_renewed: Callable[[], None] | None = None,
        on_try_failed: Callable[[str], None] | None = None,
    ) -> None:
        self.lock = lock
        self.identity = identity
        self.config = config
        self.clock: Clock = clock or RealClock()
        self.rand = rand
        self.on_new_leader = on_new_leader
        self.on_renewed = on_renewed
        self.on_try_failed = on_try_failed
        self.core = ElectionCore(identity, config.lease_duration_seconds)
        self.last_error: BaseException | None = None
        #: client-go's log line for the last failed try ("error retrieving resource lock NS/NAME: ...")
        self.last_failure = ""
        self.metrics = ElectorMetrics()

    # -- one try -------------------------------------------------------------------------------------------
    async def try_acquire_or_renew(self, deadline: float | None = None, *, strict: bool = False) -> bool:
        """One ``tryAcquireOrRenew``. ``deadline`` (monotonic) bounds the requests; ``strict`` raises
        errors that retrying cannot fix instead of returning False."""
        core, clock = self.core, self.clock
        record = core.fast_path(clock.monotonic(), clock.wall())
        if record is not None:
            sent = clock.monotonic()
            try:
                await self._call(lambda t: self.lock.update(record, t), deadline)
            except (KpyError, TimeoutError, OSError) as exc:
                self._failed(exc, "failed to update lock optimistically, falling back to slow path")
            else:
                core.on_written(record, clock.monotonic(), sent)
                self._succeeded()
                return True
        try:
            got: LeaderElectionRecord | None = await self._call(self.lock.get, deadline)
        except NotFound:
            got = None
        except (KpyError, TimeoutError, OSError) as exc:
            if strict and isinstance(exc, _PERMANENT):
                raise
            self._failed(exc, f"error retrieving resource lock {self.lock.describe()}")
            return False
        decision = core.after_get(got, clock.monotonic(), clock.wall())
        if isinstance(decision, Held):
            log.debug("lock is held by %s and has not yet expired", decision.holder)
            return False
        sent = clock.monotonic()
        try:
            if isinstance(decision, Create):
                await self._call(lambda t: self.lock.create(decision.record, t), deadline)
            else:
                assert isinstance(decision, Update)
                await self._call(lambda t: self.lock.update(decision.record, t), deadline)
        except (KpyError, TimeoutError, OSError) as exc:
            permanent = isinstance(exc, _PERMANENT) or (
                isinstance(exc, NotFound) and isinstance(decision, Create)
            )
            if strict and permanent and not isinstance(exc, AlreadyExists):
                raise
            self._failed(exc, "failed to write lock")
            return False
        core.on_written(decision.record, clock.monotonic(), sent)
        self._succeeded()
        return True

    async def _call(self, fn: Callable[[float], Awaitable[T]], deadline: float | None) -> T:
        timeout = self.config.request_timeout
        if deadline is not None:
            timeout = min(timeout, deadline - self.clock.monotonic())
        if timeout <= 0:
            raise TimeoutError("renew deadline passed")
        async with asyncio.timeout(timeout):
            return await fn(timeout)

    def _failed(self, exc: BaseException, what: str) -> None:
        self.last_error = exc
        self.last_failure = (
            f"{what}: {exc}" if isinstance(exc, ApiError) else f"{what}: {describe_error(exc)}"
        )
        self.metrics.failed_tries += 1
        log.info("%s: %s", what, describe_error(exc))

    def _succeeded(self) -> None:
        self.last_error = None
        self.metrics.renewals += 1
        if self.on_renewed is not None:
            self.on_renewed()

    def report_transition(self) -> None:
        """maybeReportTransition."""
        leader = self.core.maybe_report_transition()
        if leader is not None and self.on_new_leader is not None:
            self.on_new_leader(leader)

    # -- loops ---------------------------------------------------------------------------------------------
    async def acquire(self) -> None:
        """Loop until we lead: try at once, then every RetryPeriod × [1, 2.2) (sliding, like JitterUntil)."""
        log.info("attempting to acquire leader lease %s...", self.lock.describe())
        while True:
            period = jittered(self.config.retry_period, self.rand())
            ok = await self.try_acquire_or_renew(strict=True)
            self.report_transition()
            if not ok and isinstance(self.last_error, Forbidden) and self.on_try_failed is not None:
                self.on_try_failed(self.last_failure)
            if ok:
                self.metrics.acquisitions += 1
                log.info("successfully acquired lease %s", self.lock.describe())
                return
            await self.clock.sleep(period)

    def stop_deadline(self) -> float | None:
        """Monotonic time after which this leader must not act as one any more (None: no successful write)."""
        return self.core.stop_deadline(self.config.safe_hold, self.config.grace_period)

    def overdue(self, now: float) -> str | None:
        """Why leadership is over because the stop deadline passed, or None while it has not."""
        deadline = self.stop_deadline()
        if deadline is not None and now < deadline:
            return None
        sent = self.core.last_success_send
        ago = f" (last successful renewal sent {now - sent:.2f}s ago)" if sent is not None else ""
        return f"renewal overdue: stopping the command before the lease could pass to another candidate{ago}"

    async def renew_round(self) -> str | None:
        """One renew round (PollImmediateUntil bounded by RenewDeadline, and by the stop deadline: no renewal is
        sent after it). None on success, else why it failed."""
        now = self.clock.monotonic()
        deadline = now + self.config.renew_deadline
        stop = self.stop_deadline()
        if stop is not None:
            if now >= stop:
                return self.overdue(now)
            deadline = min(deadline, stop)
        while True:
            ok = await self.try_acquire_or_renew(deadline)
            if ok:
                return None
            holder = self.core.leader
            if holder and holder != self.identity:
                return f"new leader: {holder}"
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                break
            await self.clock.sleep(min(self.config.retry_period, remaining))
            if self.clock.monotonic() >= deadline:
                break
        reason = self.overdue(self.clock.monotonic()) if stop is not None else None
        if reason is not None:
            return reason
        reason = f"failed to renew within --renew-deadline {format_duration(self.config.renew_deadline_ns)}"
        if self.last_error is not None:
            reason += f": {describe_error(self.last_error)}"
        return reason

    async def renew(self) -> str:
        """Renew rounds at once and then every RetryPeriod (wait.Until) until one fails; return why."""
        while True:
            reason = await self.renew_round()
            self.report_transition()
            if reason is not None:
                self.metrics.renew_rounds_failed += 1
                return reason
            await self.clock.sleep(self.config.retry_period)

    async def release(self) -> bool:
        """Give the lease up: holderIdentity "", leaseDurationSeconds 1, leaseTransitions kept."""
        released = self.core.release_record(self.clock.wall())
        if released is None:
            return True
        record: LeaderElectionRecord = released
        try:
            try:
                await self._call(lambda t: self.lock.update(record, t), None)
            except Conflict:
                # our cached copy may be stale (e.g. a renewal was applied but its answer was lost): read it
                # again and release only if it still names us
                current = await self._call(self.lock.get, None)
                if current.holder_identity != self.identity:
                    self.core.after_get(current, self.clock.monotonic(), self.clock.wall())
                    return True
                record = replace(record, leader_transitions=current.leader_transitions)
                await self._call(lambda t: self.lock.update(record, t), None)
        except (KpyError, TimeoutError, OSError) as exc:
            self._failed(exc, "failed to release lock")
            return False
        self.core.on_released(record, self.clock.monotonic())
        return True


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "request timed out"
    if isinstance(exc, ApiError):
        return exc.format()
    text = str(exc)
    return text or type(exc).__name__
