"""``RestClient``'s streamed GETs: a body line by line (watches) or as it arrives (container logs)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

from kpy.rest.request import (
    Params,
)
from kpy.rest.sending import Sender


class Streaming(Sender):
    """``stream_lines`` and ``stream_bytes`` of ``RestClient``."""

    async def stream_lines(
        self,
        path: str,
        params: Params = None,
        timeout: float | None = None,
        accept: str = "application/json",
        on_open: Callable[[], None] | None = None,
        header_timeout: float | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """GET ``path`` and yield its body line by line (watch streams), without the newline.

        ``header_timeout`` (default: ``request_timeout``) bounds the wait for the response headers; ``timeout``
        (None = none) bounds the whole stream. A dropped stream raises ``ConnectionFailed``; a clean end just stops. ``on_open`` is
        called once the server has answered (status < 400), before any line: the stream is established.
        """
        import asyncio

        import aiohttp

        answer = await self._send(
            "GET",
            path,
            params=params,
            body=None,
            content_type=None,
            accept=accept,
            timeout=header_timeout,
            stream=True,
        )
        response = answer.raw
        assert response is not None  # streamed answers come from aiohttp
        if on_open is not None:
            on_open()
        buffer = b""
        try:
            async with asyncio.timeout(timeout):
                async for chunk in response.content.iter_any():
                    buffer += chunk
                    while True:
                        index = buffer.find(b"\n")
                        if index < 0:
                            break
                        line, buffer = buffer[:index], buffer[index + 1 :]
                        if line.strip():
                            yield line
            if buffer.strip():
                yield buffer
        except TimeoutError:
            return
        except (aiohttp.ClientError, OSError, EOFError) as exc:
            raise self._transport_error(exc) from exc
        finally:
            response.close()

    async def stream_bytes(
        self,
        path: str,
        params: Params = None,
        accept: str = "*/*",
        header_timeout: float | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """GET ``path`` and yield its body as it arrives, byte for byte (container logs). A dropped stream raises
        ``ConnectionFailed``; a clean end just stops."""
        import aiohttp

        answer = await self._send(
            "GET",
            path,
            params=params,
            body=None,
            content_type=None,
            accept=accept,
            timeout=header_timeout,
            stream=True,
        )
        response = answer.raw
        assert response is not None  # streamed answers come from aiohttp
        try:
            async for chunk in response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, OSError, EOFError) as exc:
            raise self._transport_error(exc) from exc
        finally:
            response.close()
