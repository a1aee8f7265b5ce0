"""``kpy elect``'s engine: campaign for a Lease, run a command only while leading, stop it in time.

Safety argument (why two children never overlap): another candidate can take over no sooner than
``leaseDurationSeconds`` after it saw our last successful write, which happened after we *sent* it. We record
that send time ``s`` on our monotonic clock and make sure the command's whole process group is gone by
``s + 0.9 × leaseDurationSeconds`` (10 % margin for clock-rate drift between machines): the stop deadline is
``D = s + 0.9 × LDS − grace``; SIGTERM at the earlier of D and the renew deadline passing, SIGKILL ``grace``
later. Two processes enforce D:

* kpy itself (the watchdog below), which also stops renewing at D (``LeaderElector.renew_round``);
* the guard process (``kpy.election.guard``), which kpy tells D after every successful renewal and which
  stops the group on its own (SIGTERM, SIGKILL at ``D + grace``) when D passes without a newer one, so a kpy
  that is frozen (SIGSTOP, a debugger, swapping) cannot let its command outlive the lease.

When the command ends and the guard says it stopped it, or D has passed, kpy has lost the lease exactly as if
a renewal had failed: it says so, releases (a no-op when someone else holds the lease) and exits 1.

What the user must satisfy (``ElectionConfig.validate``): client-go's LeaseDuration > RenewDeadline >
1.2 × RetryPeriod, and ``grace + RenewDeadline <= 0.9 × leaseDurationSeconds``, so that D comes no earlier
than a whole renew deadline after the last success. If kpy *and* its guard are frozen together nothing on
the machine can stop the command; when they run again the guard stops it at once, without a renewal.

The runner uses real time (asyncio timeouts); the decision logic below it is tested on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from kpy.election.config import ElectionConfig
from kpy.election.elector import LeaderElector
from kpy.election.health import ChildState, HealthServer
from kpy.election.lock import Lock
from kpy.election.process import (
    GroupGuard,
    exit_code_of,
    group_alive,
    signal_group,
    spawn_child,
    stop_group,
)
from kpy.errors import ElectionError
from kpy.gocompat.clock import Clock, RealClock

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126
EXIT_LOST_LEASE = 1


@dataclass(frozen=True)
class RunOptions:
    argv: tuple[str, ...]
    identity: str
    config: ElectionConfig
    release_on_exit: bool = True
    health_address: str | None = None


class ElectionRunner:
    """Runs ``options.argv`` while holding ``lock``. ``run()`` returns the exit code for kpy."""

    def __init__(
        self,
        lock: Lock,
        options: RunOptions,
        *,
        err: TextIO | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        handle_signals: bool = True,
    ) -> None:
        if not options.argv:
            raise ElectionError("a command to run is required after --")
        self.lock = lock
        self.options = options
        self.err = err if err is not None else sys.stderr
        self.env = dict(os.environ if env is None else env)
        self.clock = clock or RealClock()
        self.handle_signals = handle_signals
        self.child = ChildState()
        self.elector = LeaderElector(
            lock,
            options.identity,
            options.config,
            clock=self.clock,
            on_new_leader=self._on_new_leader,
            on_renewed=self._on_renewed,
            on_try_failed=self.say,
        )
        self.health: HealthServer | None = None
        self._renewed = asyncio.Event()
        self._stop = asyncio.Event()
        self._signal: int | None = None
        self._pgid: int | None = None
        self.guard: GroupGuard | None = None

    # -- output --------------------------------------------------------------------------------------------
    def say(self, line: str) -> None:
        try:
            self.err.write(line + "\n")
            self.err.flush()
        except (OSError, ValueError):
            pass

    def _on_new_leader(self, identity: str) -> None:
        if identity and identity != self.options.identity:
            self.say(f"new leader: {identity}")

    def _on_renewed(self) -> None:
        self._renewed.set()
        self._hold()

    def _hold(self) -> None:
        """Tell the guard the current stop deadline (only on the real clock: the guard reads that clock)."""
        deadline = self.elector.stop_deadline()
        if deadline is not None and self.guard is not None and isinstance(self.clock, RealClock):
            self.guard.hold_until(deadline)

    def _on_signal(self, sig: int) -> None:
        self._signal = sig
        if self._pgid is not None:
            signal_group(self._pgid, sig)
        else:
            self._stop.set()

    # -- the whole run -------------------------------------------------------------------------------------
    async def run(self) -> int:
        code = self._check_command()
        if code is not None:
            return code
        loop = asyncio.get_running_loop()
        installed: list[int] = []
        if self.handle_signals:
            for sig in FORWARDED_SIGNALS:
                try:
                    loop.add_signal_handler(sig, self._on_signal, int(sig))
                    installed.append(int(sig))
                except (NotImplementedError, RuntimeError, ValueError):
                    pass
        try:
            if self.options.health_address:
                self.health = HealthServer(self.elector, self.child, self.clock.monotonic)
                urls = await self.health.start(self.options.health_address)
                self.say(f"serving /healthz and /metrics on {', '.join(urls)}")
            self.guard = await GroupGuard.start(self.options.config.grace_period)
            if not await self._campaign():
                assert self._signal is not None
                return 128 + self._signal
            self.say(f"acquired lease {self.lock.describe()} as {self.options.identity}")
            return await self._lead()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            if self.guard is not None:
                await self.guard.dismiss(group_gone=self._pgid is None or not group_alive(self._pgid))
            if self.health is not None:
                await self.health.stop()

    def _check_command(self) -> int | None:
        """Refuse to campaign for a command that cannot run (exit 127/126 like a shell)."""
        cmd = self.options.argv[0]
        if os.sep in cmd:
            if not os.path.exists(cmd):
                self.say(f'error: exec: "{cmd}": no such file or directory')
                return EXIT_NOT_FOUND
            if os.path.isdir(cmd) or not os.access(cmd, os.X_OK):
                self.say(f'error: exec: "{cmd}": permission denied')
                return EXIT_NOT_EXECUTABLE
            return None
        if shutil.which(cmd, path=self.env.get("PATH", os.defpath)) is None:
            self.say(f'error: exec: "{cmd}": executable file not found in $PATH')
            return EXIT_NOT_FOUND
        return None

    async def _campaign(self) -> bool:
        """Acquire, unless a signal comes first (False). Errors retrying cannot fix propagate."""
        acquire = asyncio.create_task(self.elector.acquire())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not acquire.done():
                acquire.cancel()
            await asyncio.gather(acquire, stopped, return_exceptions=True)
        if acquire.cancelled():
            return False
        acquire.result()
        return True

    async def _lead(self) -> int:
        opts = self.options
        env = {
            **self.env,
            "KPY_LEASE": self.lock.describe(),
            "KPY_IDENTITY": opts.identity,
            "KPY_LEASE_TRANSITIONS": str(self.elector.core.transitions),
        }
        if self._stop.is_set():  # a signal arrived while we were acquiring
            await self._release()
            return 128 + (self._signal or signal.SIGTERM)
        overdue = self.elector.overdue(self.clock.monotonic())
        if overdue is not None:  # acquired too long ago (kpy was frozen or starved): too late to start
            self.say(f"lost lease {self.lock.describe()}: {overdue}")
            await self._release()
            return EXIT_LOST_LEASE
        self._hold()
        try:
            proc = await spawn_child(opts.argv, env, self.guard)
        except OSError as exc:
            await self._release()
            code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
            self.say(f'error: exec: "{opts.argv[0]}": {exc.strerror or exc}')
            return code
        pgid = proc.pid
        self._pgid = pgid
        self.child.running = True
        self.child.starts += 1
        renew = asyncio.create_task(self.elector.renew())
        watchdog = asyncio.create_task(self._watchdog())
        waiter = asyncio.create_task(proc.wait())
        lost: str | None = None
        try:
            await asyncio.wait({renew, watchdog, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done() and not self._guard_stopped():
                # the command ended; stop what is left of its group while still holding the lease
                if group_alive(pgid):
                    await self._stop_command(pgid)
            else:
                if renew.done():
                    lost = renew.result()
                elif watchdog.done():
                    lost = watchdog.result()
                else:  # the guard stopped the command while kpy could not run
                    lost = self.elector.overdue(self.clock.monotonic()) or "the stop deadline passed"
                self.say(f"lost lease {self.lock.describe()}: {lost}")
                await self._stop_command(
                    pgid,
                    on_kill=lambda: self.say(
                        "command did not stop within --grace-period; killing its process group"
                    ),
                )
            returncode = await waiter
        finally:
            for task in (renew, watchdog):
                task.cancel()
            await asyncio.gather(renew, watchdog, return_exceptions=True)
            if not waiter.done():  # cancelled from outside: never leave the group behind
                await stop_group(pgid, 0)
                waiter.cancel()
            self._pgid = None
            self.child.running = False
        await self._release()
        return EXIT_LOST_LEASE if lost is not None else exit_code_of(returncode)

    def _guard_stopped(self) -> bool:
        """Whether the guard has stopped (or is stopping) the command because the deadline passed."""
        return self.guard is not None and self.guard.expired()

    async def _stop_command(self, pgid: int, on_kill: Callable[[], None] | None = None) -> None:
        """Stop the group: tell the guard first (no second SIGTERM from it), and send no SIGTERM of our own
        when the guard has already sent one."""
        if self.guard is not None:
            self.guard.stopping()
        await stop_group(pgid, self.options.config.grace_period, on_kill, term=not self._guard_stopped())

    async def _watchdog(self) -> str:
        """Return once the stop deadline (last successful send + 0.9 × LDS − grace) passes without renewal."""
        while True:
            now = self.clock.monotonic()
            overdue = self.elector.overdue(now)
            if overdue is not None:
                return overdue
            deadline = self.elector.stop_deadline()
            assert deadline is not None
            self._renewed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._renewed.wait(), deadline - now)

    async def _release(self) -> None:
        if not self.options.release_on_exit or not self.elector.core.is_leader():
            return
        if await self.elector.release():
            self.say(f"released lease {self.lock.describe()}")
