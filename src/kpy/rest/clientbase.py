"""The ``RestClient``'s foundation: its configuration, TLS context, proxy, URLs, request headers and the
connection pools of both transports (aiohttp, and the blocking HTTP/1.1 connection of one-shot commands)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from kpy.flowcontrol import Backoff, TokenBucket
from kpy.flowcontrol.sleep import loop_running
from kpy.flowcontrol.sleep import sleep as adaptive_sleep
from kpy.rest.proxy import select_proxy
from kpy.rest.request import (
    MAX_RETRIES,
    Params,
    default_retry_backoff,
    default_user_agent,
    query_pairs,
    url_string,
)
from kpy.rest.warnings import WarningHandler

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    import aiohttp
    from multidict import CIMultiDict
    from yarl import URL

    from kpy.config.client_config import ClientConfig
    from kpy.rest.http1 import Connection


def _random() -> float:
    import random  # not at import time: one-shot commands never draw

    return random.random()


class ClientBase:
    """What every part of ``RestClient`` builds on (see ``kpy.rest.client``)."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        user_agent: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = adaptive_sleep,
        rand: Callable[[], float] = _random,
        max_retries: int = MAX_RETRIES,
        rate_limiter: TokenBucket | None = None,
        retry_backoff: Callable[[], Backoff] = default_retry_backoff,
        warning_handler: WarningHandler | None = None,
    ) -> None:
        self.config = config
        #: gets (code, agent, text) of every ``Warning`` response header; None = the process default
        #: (``kpy.rest.warnings.set_default_warning_handler``; logged at INFO until the CLI sets one)
        self.warning_handler = warning_handler
        self.user_agent = user_agent or default_user_agent()
        self.max_retries = max_retries
        self.rate_limiter = rate_limiter or TokenBucket(config.qps, config.burst, clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._retry_backoff = retry_backoff
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None
        self._cert: tuple[bytes, bytes] | None = None
        self._ssl_ready = False
        self._retired: list[aiohttp.ClientSession] = []
        self._proxy: str | None = None
        self._proxy_resolved = False
        self._blocking: bool | None = (
            None  #: decided at the first request: no event loop → blocking transport
        )
        self._connection: Connection | None = None
        parts = urlsplit(config.server)
        default_port = 443 if parts.scheme == "https" else 80
        self.host_port = f"{parts.hostname}:{parts.port or default_port}"
        self._host = parts.hostname or ""
        self._port = parts.port or default_port

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        sessions, self._retired = self._retired, []
        if self._session is not None:
            sessions.append(self._session)
            self._session = None
        for session in sessions:
            await session.close()

    def blocking(self) -> bool:
        """Whether this client sends over the blocking transport: it is used without a running event loop.
        Raises ``kpy.rest.blocking.NeedsEventLoop`` when that is so but the blocking transport cannot serve it."""
        if self._blocking is None:
            if loop_running():
                self._blocking = False
            else:
                from kpy.rest import blocking

                if not blocking.supports(self.config, self.proxy()):
                    raise blocking.NeedsEventLoop("a proxy or credential plugin needs the event loop")
                self._blocking = True
        return self._blocking

    # -- plumbing ---------------------------------------------------------------------------------------
    def url(self, path: str, params: Params = None) -> URL:
        from yarl import URL

        if not path.startswith("/"):
            path = "/" + path
        url = URL(self.config.server + path)
        pairs = query_pairs(params)
        return url.with_query(pairs) if pairs else url

    def proxy(self) -> str | None:
        if not self._proxy_resolved:
            self._proxy = select_proxy(self.config.server, self.config.proxy_url)
            self._proxy_resolved = True
        return self._proxy

    async def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for this server, rebuilt when an exec plugin hands out a new client certificate."""
        cert = await self.config.credentials.client_certificate()
        if not self._ssl_ready or cert != self._cert:
            self._ssl = self.config.ssl_context(cert) if cert else self.config.ssl_context()
            if self._ssl_ready and self._session is not None:
                # a new certificate: new connections; requests in flight finish on the old pool
                self._retired.append(self._session)
                self._session = None
            self._cert = cert
            self._ssl_ready = True
        return self._ssl

    async def _get_session(self) -> aiohttp.ClientSession:
        import aiohttp

        from kpy.rest.resend import no_silent_resend

        ctx = await self.ssl_context()
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=ctx if ctx is not None else True, limit=100, enable_cleanup_closed=True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(total=None),
                middlewares=(no_silent_resend,),
            )
        return self._session

    async def _get_connection(self) -> Connection:
        """The blocking transport's connection (a new one when the TLS context changed)."""
        ctx = await self.ssl_context()
        if self._connection is not None and self._connection.context is not ctx:
            self._connection.close()
            self._connection = None
        if self._connection is None:
            from kpy.rest.http1 import Connection

            origin = url_string(self.config.server, "/", [])[0]
            self._connection = Connection(
                self._host,
                self._port,
                context=ctx,
                server_hostname=self.config.tls_server_name or None,
                host_header=origin.partition("://")[2].partition("/")[0],
            )
        return self._connection

    async def header_items(
        self, accept: str | None = "application/json", content_type: str | None = None
    ) -> list[tuple[str, str]]:
        """Request headers in order: Accept, User-Agent, Content-Type, credentials, impersonation (each
        Impersonate-Group value its own header)."""
        out: list[tuple[str, str]] = []
        if accept:
            out.append(("Accept", accept))
        out.append(("User-Agent", self.user_agent))
        if content_type:
            out.append(("Content-Type", content_type))
        out.extend((await self.config.credentials.auth_headers()).items())
        for name, hv in self.config.impersonation_headers.items():
            out.extend((name, item) for item in ([hv] if isinstance(hv, str) else hv))
        return out

    async def headers(
        self, accept: str | None = "application/json", content_type: str | None = None
    ) -> CIMultiDict[str]:
        """``header_items`` as a case-insensitive multi-dict (aiohttp's and the WebSocket dialer's form)."""
        from multidict import CIMultiDict

        out: CIMultiDict[str] = CIMultiDict()
        for name, value in await self.header_items(accept, content_type):
            out.add(name, value)
        return out
