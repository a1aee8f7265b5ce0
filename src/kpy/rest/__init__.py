"""The shared REST layer: ``RestClient`` (throttling, retries, typed errors), discovery, list/watch.

Import-cheap: ``RestClient`` loads aiohttp only when it is used in an event loop (a one-shot command driven
without one sends over ``kpy.rest.http1``), so importing this package costs no network stack.
"""

from kpy.rest.client import RestClient
from kpy.rest.request import Response, default_user_agent

__all__ = ["Response", "RestClient", "default_user_agent"]
