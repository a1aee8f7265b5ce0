"""aiohttp's silent re-send of dropped requests, turned off (imported with aiohttp, by the event-loop transport).

aiohttp re-sends idempotent verbs (PUT/DELETE too) once when a kept-alive connection turns out dropped;
client-go re-sends only GETs, after a pause. Keep one policy, kpy's (``RestClient._send``): a client middleware
(public since aiohttp 3.12) hands the drop on as an error aiohttp does not retry; ``_send`` unwraps it.
"""

from __future__ import annotations

import aiohttp


class NotResent(aiohttp.ClientError):
    """A dropped connection, carried past aiohttp's own silent re-send (``error`` is what happened)."""

    def __init__(self, error: aiohttp.ClientError) -> None:
        super().__init__(str(error))
        self.error = error


async def no_silent_resend(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # not a dropped connection: aiohttp never retries these
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise NotResent(exc) from exc
