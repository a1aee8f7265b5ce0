"""``kpy on --elect LEASE``: run the controller only while holding a Lease, with ``kpy elect``'s elector.

The informer, queue and workers start once this process leads. Leadership ends when a renew round fails or
the elector's stop deadline (last successful renewal sent + 0.9 × leaseDurationSeconds − grace period)
passes; then every running command is killed with its process group at once, so no command of this copy
runs once another copy could have taken the lease over. The whole run then ends with exit code 1 (like
``kpy elect``); run it under a supervisor (or a loop) to campaign again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from kpy.election.elector import LeaderElector

EXIT_LOST_LEASE = 1


async def _watchdog(elector: LeaderElector, renewed: asyncio.Event) -> str:
    while True:
        now = elector.clock.monotonic()
        overdue = elector.overdue(now)
        if overdue is not None:
            return overdue
        deadline = elector.stop_deadline()
        assert deadline is not None
        renewed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(renewed.wait(), deadline - now)


async def run_while_leading(
    elector: LeaderElector,
    body: Callable[[], Coroutine[Any, Any, int]],
    stop_now: Callable[[], Awaitable[None]],
    say: Callable[[str], None],
    renewed: asyncio.Event,
) -> int:
    """Acquire, run ``body`` while renewing; on lost leadership ``stop_now`` and return 1. ``renewed`` must be
    set by the elector's ``on_renewed``."""
    await elector.acquire()
    say(f"acquired lease {elector.lock.describe()} as {elector.identity}")
    renew = asyncio.create_task(elector.renew())
    watchdog = asyncio.create_task(_watchdog(elector, renewed))
    work: asyncio.Task[int] = asyncio.create_task(body())
    lost: str | None = None
    try:
        await asyncio.wait({renew, watchdog, work}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            lost = renew.result() if renew.done() else watchdog.result()
            say(f"lost lease {elector.lock.describe()}: {lost}")
            await stop_now()
            await work
    finally:
        for task in (renew, watchdog, work):
            task.cancel()
        await asyncio.gather(renew, watchdog, return_exceptions=True)
        if not work.done():
            with contextlib.suppress(asyncio.CancelledError):
                await work
    if lost is not None:
        return EXIT_LOST_LEASE
    code = work.result()
    if elector.core.is_leader() and await elector.release():
        say(f"released lease {elector.lock.describe()}")
    return code
