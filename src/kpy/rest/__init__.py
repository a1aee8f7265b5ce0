"""The shared async REST layer: ``RestClient`` (throttling, retries, typed errors), discovery, list/watch.

``kpy.rest`` pulls in aiohttp, so only command bodies import it (never the CLI at start-up).
"""

from kpy.rest.client import Response, RestClient, default_user_agent

__all__ = ["Response", "RestClient", "default_user_agent"]
