"""The shared REST layer: ``RestClient`` (throttling, retries, typed errors), discovery, list/watch.

Import-cheap: the package itself loads nothing (``RestClient`` and friends load on first use), so light modules
such as ``kpy.rest.discovery_cache`` serve shell completion without the network stack; ``RestClient`` loads
aiohttp only when it is used in an event loop (one-shot commands send over ``kpy.rest.http1``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.rest.client import RestClient
    from kpy.rest.request import Response, default_user_agent

__all__ = ["Response", "RestClient", "default_user_agent"]


def __getattr__(name: str) -> Any:
    if name == "RestClient":
        from kpy.rest.client import RestClient

        return RestClient
    if name in ("Response", "default_user_agent"):
        from kpy.rest import request

        return getattr(request, name)
    raise AttributeError(f"module 'kpy.rest' has no attribute {name!r}")
