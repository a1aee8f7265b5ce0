"""Which exec transport: the WebSocket (``kpy.exec.session``) or, after any refused WebSocket upgrade, SPDY/3.1
(``kpy.exec.spdy``, imported only then: it loads the SPDY codec), as kubectl's FallbackExecutor does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from kpy.errors import ApiError
from kpy.exec import protocol as p
from kpy.exec.session import ExecRequest, ExecSession, Reader, Writer, open_exec
from kpy.streams.dial import DialedUpgrade

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.streams.dial import DialedWebSocket


def websocket_refused(exc: Exception) -> bool:
    """Whether a failed WebSocket exec upgrade is one kubectl retries over SPDY: any answer but 101 (client-go's
    WebSocket round tripper makes every bad handshake an UpgradeFailureError, and kubectl's FallbackExecutor
    falls back on those). An error that is about the pod or the user (404, 403) comes back from SPDY too, and
    that answer is the one reported, as kubectl does."""
    return isinstance(exc, ApiError)


async def open_exec_any(
    client: RestClient, request: ExecRequest, log: Callable[[str], None] = lambda _msg: None
) -> DialedWebSocket | DialedUpgrade:
    """The exec WebSocket (``open_exec``); when the server refuses WebSocket exec, SPDY (``log`` says so)."""
    try:
        return await open_exec(client, request)
    except ApiError as exc:
        if not websocket_refused(exc):
            raise
        log(f"exec: the server refused WebSocket exec ({exc.format()}); using SPDY/3.1")
        try:
            from kpy.exec.spdy import open_exec_spdy

            return await open_exec_spdy(client, request)
        except ApiError as again:
            if again.code == exc.code:  # the same refusal: the WebSocket's answer has kpy's explanation (403)
                raise exc from None
            raise


class Runner(Protocol):
    """What ``session_for`` returns: ``ExecSession`` or ``SpdyExecSession``."""

    def run(self) -> p.ExitResult: ...

    def resize(self, width: int, height: int) -> None: ...


def session_for(
    dialed: DialedWebSocket | DialedUpgrade,
    request: ExecRequest,
    *,
    stdin: Reader | None,
    stdout: Writer,
    stderr: Writer,
    warn: Callable[[str], None] = lambda _msg: None,
    write_behind: bool = True,
) -> Runner:
    """The session for what ``open_exec_any`` dialled: ``ExecSession`` for a WebSocket, ``SpdyExecSession``
    for SPDY. ``write_behind``: see ``ExecSession``."""
    if isinstance(dialed, DialedUpgrade):
        from kpy.exec.spdy import SpdyExecSession

        return SpdyExecSession(dialed, request, stdin=stdin, stdout=stdout, stderr=stderr, warn=warn)
    return ExecSession(
        dialed, stdin=stdin, stdout=stdout, stderr=stderr, warn=warn, write_behind=write_behind
    )
