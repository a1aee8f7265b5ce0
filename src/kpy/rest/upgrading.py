"""``RestClient``'s upgraded connections: WebSocket and other protocol upgrades dialed in a worker thread,
and a large body copied from a blocking socket."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable, Sequence

from kpy.rest.request import Params, query_pairs, url_string
from kpy.rest.sending import Sender
from kpy.rest.status import error_from_response
from kpy.rest.warnings import handle_warnings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from multidict import CIMultiDict

    from kpy.streams.dial import DialedUpgrade, DialedWebSocket


class Upgrading(Sender):
    """``dial_websocket``, ``dial_upgrade`` and ``copy_body`` of ``RestClient``."""

    def _upgrade_url(self, path: str, params: Params) -> str:
        """The full URL, quoted as yarl quotes it (without loading yarl when there is no event loop)."""
        if self.blocking():
            return url_string(self.config.server, path, query_pairs(params))[0]
        return str(self.url(path, params))

    async def dial_websocket(
        self,
        path: str,
        params: Params = None,
        subprotocols: Iterable[str] = (),
        *,
        throttle: bool = True,
    ) -> DialedWebSocket:
        """Upgrade ``path`` to a WebSocket with the same TLS, proxy, credentials, impersonation and User-Agent.

        The upgrade runs in a thread of its own (``kpy.streams.dial``; in the calling thread when the client is
        driven without an event loop) and the result is a *blocking* socket
        for the caller's threads to read and write (close it). Handshake rejections raise the typed API error
        from the answer's Status body (one re-authentication after a 401, as for requests); transport
        failures raise ``ConnectionFailed``. ``throttle=False`` skips the client-side rate limiter (for
        streams that are not API requests of their own, like one port-forward connection).
        """
        from kpy.streams.dial import DialedWebSocket, UpgradeRefused, dial

        url = self._upgrade_url(path, params)
        if throttle:
            await self.throttle("GET", url)
        proxy = self.proxy()
        offered = list(subprotocols)
        reauthenticated = False
        while True:
            ctx = await self.ssl_context()
            headers = await self.headers(accept=None)
            headers.popall("User-Agent", None)
            started = time.monotonic()

            def upgrade(
                ctx: ssl.SSLContext | None = ctx, headers: CIMultiDict[str] = headers
            ) -> DialedWebSocket:
                return dial(
                    url,  # https:// (dial speaks wss:// to it)
                    list(headers.items()),
                    offered,
                    ssl_context=ctx,
                    server_hostname=self.config.tls_server_name or None,
                    proxy=proxy,
                    user_agent=self.user_agent,
                    timeout=self.config.request_timeout or None,
                )

            try:
                # without an event loop (a one-shot command: ``kpy exec``) the dial blocks the calling thread
                if self.blocking():
                    connection = upgrade()
                else:
                    from kpy.streams.workers import run_in_thread  # (asyncio)

                    connection = await run_in_thread(
                        upgrade, name="kpy-ws-dial", discard=DialedWebSocket.close
                    )
            except UpgradeRefused as exc:
                self._log_response("GET", url, exc.status, exc.reason, started, headers, exc.headers)
                handle_warnings([v for k, v in exc.headers.items() if k == "warning"], self.warning_handler)
                if exc.status == 401 and not reauthenticated:
                    reauthenticated = True
                    self.config.credentials.invalidate()
                    continue
                raise error_from_response(exc.status, exc.headers, exc.body, "GET") from None
            except (OSError, TimeoutError, EOFError) as exc:
                raise (await self._transport_failure(exc)) from exc
            self._log_response("GET", url, 101, "Switching Protocols", started, headers, None)
            return connection

    async def dial_upgrade(
        self,
        path: str,
        params: Params,
        upgrade_headers: Sequence[tuple[str, str]],
        *,
        method: str = "POST",
        throttle: bool = True,
        expect: int = 101,
    ) -> DialedUpgrade:
        """Upgrade ``path`` to another protocol (``upgrade_headers``: ``Connection: Upgrade``, ``Upgrade:
        SPDY/3.1``...) with the client's TLS, proxy and credentials, like ``dial_websocket``: a blocking socket
        for threads; a refusal raises the typed API error from its Status, a transport failure
        ``ConnectionFailed``."""
        from kpy.streams.dial import DialedUpgrade, UpgradeRefused, dial_upgrade

        url = self._upgrade_url(path, params)
        if throttle:
            await self.throttle(method, url)
        proxy = self.proxy()
        reauthenticated = False
        while True:
            ctx = await self.ssl_context()
            headers = await self.headers(accept=None)
            headers.popall("User-Agent", None)
            for name, value in upgrade_headers:
                headers[name] = value
            started = time.monotonic()

            def upgrade(
                ctx: ssl.SSLContext | None = ctx, headers: CIMultiDict[str] = headers
            ) -> DialedUpgrade:
                return dial_upgrade(
                    url,
                    list(headers.items()),
                    method=method,
                    ssl_context=ctx,
                    server_hostname=self.config.tls_server_name or None,
                    proxy=proxy,
                    user_agent=self.user_agent,
                    timeout=self.config.request_timeout or None,
                    expect=expect,
                )

            try:
                if self.blocking():
                    connection = upgrade()
                else:
                    from kpy.streams.workers import run_in_thread

                    connection = await run_in_thread(upgrade, name="kpy-upgrade", discard=DialedUpgrade.close)
            except UpgradeRefused as exc:
                self._log_response(method, url, exc.status, exc.reason, started, headers, exc.headers)
                warnings = [v for k, v in exc.headers.items() if k == "warning"]
                handle_warnings(warnings, self.warning_handler)
                if exc.status == 401 and not reauthenticated:
                    reauthenticated = True
                    self.config.credentials.invalidate()
                    continue
                raise error_from_response(exc.status, exc.headers, exc.body, method) from None
            except (OSError, TimeoutError, EOFError) as exc:
                raise (await self._transport_failure(exc)) from exc
            reason = "OK" if expect == 200 else "Switching Protocols"
            answer = connection.headers if expect != 101 else None
            self._log_response(method, url, expect, reason, started, headers, answer)
            return connection

    async def copy_body(
        self, path: str, params: Params, write: Callable[[memoryview], object], accept: str = "*/*"
    ) -> None:
        """GET ``path`` and hand its body to ``write`` as it arrives, from a blocking socket in a worker thread
        (``write`` runs there and gets views of a reused buffer). For one large body copied as it is (``kpy
        logs POD``): no asyncio stream reader in between. Errors as ``stream_bytes``: the typed API error from
        a refusal's Status, ``ConnectionFailed`` for a dropped connection; what ``write`` raises (a closed
        stdout) comes through as it is."""
        if self.blocking():
            from kpy.rest.blocking import NeedsEventLoop

            raise NeedsEventLoop("copying a body needs the event loop")
        from kpy.streams.httpbody import ReadFailed, copy_body
        from kpy.streams.workers import run_in_thread

        conn = await self.dial_upgrade(path, params, [("Accept", accept)], method="GET", expect=200)
        try:
            await run_in_thread(
                lambda: copy_body(conn.sock, conn.headers, conn.leftover, write), name="kpy-body"
            )
        except ReadFailed as exc:
            raise (await self._transport_failure(exc.cause)) from exc.cause
        finally:
            conn.close()  # also ends the thread's read if this task was cancelled
