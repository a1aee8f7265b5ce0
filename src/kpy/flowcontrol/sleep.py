"""Sleeping in coroutines that may run without an event loop.

kpy's one-shot commands (a plain ``kpy get``) drive the REST layer's coroutines to completion without starting
asyncio (see ``kpy.rest.blocking``): nothing in them suspends, and importing asyncio alone costs more than the
whole request. A coroutine that waits (a throttle, a retry pause) therefore sleeps the way its caller runs it:
``asyncio.sleep`` inside an event loop, ``time.sleep`` when driven without one.
"""

from __future__ import annotations

import sys
import time


def loop_running() -> bool:
    """True when called from a coroutine (or callback) of a running asyncio event loop."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # never imported: no loop can be running
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def sleep(delay: float) -> None:
    """``asyncio.sleep(delay)`` in an event loop, a blocking ``time.sleep`` without one."""
    if loop_running():
        import asyncio

        await asyncio.sleep(delay)
    elif delay > 0:
        time.sleep(delay)
