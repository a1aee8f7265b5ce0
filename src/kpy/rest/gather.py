"""``gather`` for coroutines that may be driven without an event loop (``kpy.rest.blocking``)."""

from __future__ import annotations

from collections.abc import Awaitable

from kpy.flowcontrol.sleep import loop_running

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


async def gather(*aws: Awaitable[T]) -> list[T]:
    """``asyncio.gather(*aws)`` in an event loop; one after the other without one (the blocking transport
    serves one request at a time anyway). The first failure is raised either way."""
    if loop_running():
        import asyncio

        return list(await asyncio.gather(*aws))
    results: list[Any] = []
    try:
        for aw in aws:
            results.append(await aw)
    finally:
        for rest in aws[len(results) + 1 :]:  # after a failure: never started, close without a warning
            close = getattr(rest, "close", None)
            if close is not None:
                close()
    return results
