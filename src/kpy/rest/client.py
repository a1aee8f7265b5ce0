"""``RestClient``: one aiohttp session (one connection pool) talking to one API server the client-go way.

Every request is throttled by a token bucket (QPS/burst), carries the credentials, impersonation headers and
kpy's User-Agent, is retried like client-go's ``rest.Request`` (429/5xx with ``Retry-After`` up to 10 times;
transport resets/EOFs only for GET; one re-authentication after a 401) and fails with a typed ``kpy.errors``
error. ``-v=6`` logs each request like kubectl's round-tripper, ``-v=8`` adds headers (credentials masked) and bodies
(truncated like client-go: 1024 characters at -v=8, 10240 at -v=9, whole from -v=10; Secret values masked).
The server's ``Warning`` headers of every answer go to a handler (``kpy.rest.warnings``), never to stdout/stderr.
"""

from __future__ import annotations

import json as jsonlib

from kpy.rest.request import (
    MAX_RETRIES,
    Params,
    Response,
    default_retry_backoff,
    default_user_agent,
    query_pairs,
)
from kpy.rest.sending import EXTRA_LONG_THROTTLE, LONG_THROTTLE
from kpy.rest.streaming import Streaming
from kpy.rest.upgrading import Upgrading

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "EXTRA_LONG_THROTTLE",
    "LONG_THROTTLE",
    "MAX_RETRIES",
    "Params",
    "Response",
    "RestClient",
    "default_retry_backoff",
    "default_user_agent",
    "query_pairs",
]


class RestClient(Streaming, Upgrading):
    """One API server, one connection pool. Use as ``async with RestClient(config) as client``.

    In an event loop requests go over aiohttp. Driven without one (``kpy.rest.blocking.drive``, kpy's one-shot
    commands), the same coroutines send them over a blocking HTTP/1.1 connection and never suspend; a client
    that cannot do that (a proxy, exec-plugin credentials) raises ``NeedsEventLoop`` before its first request.
    """

    async def __aenter__(self) -> RestClient:
        self.blocking()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- public API -----------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        accept: str | None = "application/json",
        timeout: float | None = None,
        throttle: bool = True,
    ) -> Response:
        """One API call; raises ``kpy.errors.ApiError`` subclasses for answers >= 400, ``ConnectionFailed``
        when the server cannot be reached. ``json`` is encoded (Content-Type application/json by default)."""
        body = data
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            content_type = content_type or "application/json"
        answer = await self._send(
            method,
            path,
            params=params,
            body=body,
            content_type=content_type,
            accept=accept,
            timeout=timeout,
            stream=False,
            throttle=throttle,
        )
        if answer.raw is not None:
            answer.raw.release()
        return Response(answer.status, answer.headers, answer.payload, answer.reason)

    async def get_named(
        self, path: str, namespace: str | None, params: Params = None, accept: str = "application/json"
    ) -> Response:
        """GET one named object as kubectl does (cli-runtime ``resource.Info.Get``): after a 404 in a namespace
        other than ``default``, ask for the namespace, and if that is missing too, raise *its* NotFound
        (``namespaces "x" not found``) instead of the object's."""
        from kpy.errors import KpyError, NotFound

        try:
            return await self.request("GET", path, params=params, accept=accept)
        except NotFound as not_found:
            if namespace and namespace != "default":
                try:
                    await self.request("GET", f"/api/v1/namespaces/{namespace}")
                except NotFound as missing:
                    raise missing from None
                except KpyError:  # cannot tell (forbidden, unreachable): the object's own 404 stands
                    pass
            raise not_found from None

    async def get_json(
        self, path: str, params: Params = None, timeout: float | None = None, *, lean: bool = False
    ) -> dict[str, Any]:
        """GET a JSON object (``lean``: its ``managedFields`` lists left empty, see ``Response.json``)."""
        decoded = (await self.request("GET", path, params=params, timeout=timeout)).json(lean=lean)
        return decoded if isinstance(decoded, dict) else {}
