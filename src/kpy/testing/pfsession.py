"""A port-forward session of the emulator (whatever protocol the client came with) and the pod backend type.

Shared by the v4 WebSocket side (``portforward``) and the SPDY side (``spdyforward``) without either importing
the other's module.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

#: where a pod's container port is served: port → (host, port), or None when nothing listens there
Backend = Callable[[int], "tuple[str, int] | None"]


class PortForwardSession:
    """One upgraded port-forward WebSocket. ``abort()`` drops it mid-stream (no close frame)."""

    def __init__(self, namespace: str, pod: str, ports: list[int]) -> None:
        self.namespace = namespace
        self.pod = pod
        self.ports = list(ports)
        self.aborted: str | None = None
        #: how the client came: "v4" (WebSocket channels), "spdy" (HTTP upgrade) or "tunnel" (SPDY in WebSocket)
        self.protocol = "v4"
        self._transport: asyncio.Transport | None = None
        self._done = asyncio.Event()
        self._stop: Callable[[], None] | None = None
        self._error_writer: Callable[[str], Any] | None = None
        self._go_away: Callable[[int], None] | None = None

    def __repr__(self) -> str:
        return f"PortForwardSession({self.namespace}/{self.pod} ports={self.ports})"

    async def abort(self, reason: str = "") -> None:
        """Drop the WebSocket like a broken network path would: TCP torn down, no close frame.

        With a ``reason`` the session first writes it on every port's error channel (what a kubelet does when
        the container goes away), then drops. Returns once the session has cleaned up.
        """
        if self._done.is_set():
            return
        self.aborted = reason or "aborted"
        if reason and self._error_writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._error_writer(reason), 1.0)
        if self._transport is not None:
            self._transport.abort()
        if self._stop is not None:
            self._stop()
        await self._cleaned_up()

    async def go_away(self, status: int) -> None:
        """End a SPDY session (tunnel or upgrade) the way spdystream does: GOAWAY with ``status`` (an
        ``kpy.streams.spdy.GOAWAY_*`` code), then close. Returns once the session has cleaned up."""
        if self._go_away is None:
            raise RuntimeError(f"a {self.protocol} session has no GOAWAY")
        if not self._done.is_set():
            self._go_away(status)
        await self._cleaned_up()

    async def _cleaned_up(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._done.wait(), 5.0)

    @property
    def done(self) -> bool:
        return self._done.is_set()
