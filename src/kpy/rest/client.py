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
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kpy.config.redact import redact_headers
from kpy.errors import ConnectionFailed
from kpy.flowcontrol import Backoff, TokenBucket
from kpy.flowcontrol.sleep import loop_running
from kpy.flowcontrol.sleep import sleep as adaptive_sleep
from kpy.rest import connerrors
from kpy.rest.logs import enabled, log, v
from kpy.rest.proxy import select_proxy
from kpy.rest.request import (
    MAX_RETRIES,
    Params,
    Response,
    default_retry_backoff,
    default_user_agent,
    log_body,
    query_pairs,
    url_string,
)
from kpy.rest.status import check_wait, error_from_response
from kpy.rest.warnings import WarningHandler, handle_warnings

if TYPE_CHECKING:
    import aiohttp
    from multidict import CIMultiDict
    from yarl import URL

    from kpy.config.client_config import ClientConfig
    from kpy.rest.http1 import Connection
    from kpy.streams.dial import DialedUpgrade, DialedWebSocket

__all__ = [
    "MAX_RETRIES",
    "Params",
    "Response",
    "RestClient",
    "default_retry_backoff",
    "default_user_agent",
    "query_pairs",
]


def _random() -> float:
    import random  # not at import time: one-shot commands never draw

    return random.random()


LONG_THROTTLE = 0.05  # client-go longThrottleLatency (logged at V(3))
EXTRA_LONG_THROTTLE = 1.0  # client-go extraLongThrottleLatency (logged at V(1))


@dataclass
class _Answer:
    """One attempt's answer: status line, headers, the body (empty while streaming) and aiohttp's response."""

    status: int
    reason: str
    headers: Mapping[str, str]
    payload: bytes
    raw: aiohttp.ClientResponse | None = None

    def all_headers(self, name: str) -> list[str]:
        getall = getattr(self.headers, "getall", None)
        return list(getall(name, [])) if getall is not None else []


class RestClient:
    """One API server, one connection pool. Use as ``async with RestClient(config) as client``.

    In an event loop requests go over aiohttp. Driven without one (``kpy.rest.blocking.drive``, kpy's one-shot
    commands), the same coroutines send them over a blocking HTTP/1.1 connection and never suspend; a client
    that cannot do that (a proxy, exec-plugin credentials) raises ``NeedsEventLoop`` before its first request.
    """

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

    async def __aenter__(self) -> RestClient:
        self.blocking()
        return self

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

    async def throttle(self, method: str, url: object) -> None:
        waited = await self.rate_limiter.wait()
        if waited > LONG_THROTTLE:
            level = 1 if waited > EXTRA_LONG_THROTTLE else 3
            log.log(
                v(level),
                "Waited for %.3fs due to client-side throttling, not priority and fairness, request: %s:%s",
                waited,
                method,
                url,
            )

    def _transport_error(self, exc: BaseException) -> ConnectionFailed:
        if self._blocking:
            from kpy.rest import blocking

            return blocking.failure(exc, self.host_port, self.config.tls_server_name or self._host)
        import aiohttp

        if isinstance(exc, TimeoutError):
            return connerrors.timed_out(self.host_port)
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return connerrors.unable(
                connerrors.x509_reason(exc.certificate_error, self.config.tls_server_name or self._host),
                self.host_port,
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return connerrors.unable(
                connerrors.x509_reason(exc, self.config.tls_server_name or self._host), self.host_port
            )
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return connerrors.unable(f"dial tcp: lookup {self._host}: no such host", self.host_port)
        if isinstance(exc, aiohttp.ClientConnectorError):
            if connerrors.is_refused(exc.os_error):
                return connerrors.refused(self.host_port)
            return connerrors.unable(
                f"dial tcp {self.host_port}: {exc.os_error.strerror or exc.os_error}", self.host_port
            )
        if connerrors.is_refused(exc):
            return connerrors.refused(self.host_port)
        if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | EOFError):
            return connerrors.unable("EOF", self.host_port)
        if isinstance(exc, OSError) and connerrors.is_retryable_os_error(exc):
            return connerrors.unable("connection reset by peer", self.host_port)
        return connerrors.unable(str(exc) or type(exc).__name__, self.host_port)

    async def _transport_failure(self, exc: BaseException) -> ConnectionFailed:
        """``_transport_error``, with Go's wording for a certificate that does not match the server name
        (the SANs and the name asked for; that needs the certificate, read again without the name check)."""
        cert_error: BaseException = exc
        if not self._blocking:
            import aiohttp

            if isinstance(exc, aiohttp.ClientConnectorCertificateError):
                cert_error = exc.certificate_error
        if isinstance(cert_error, ssl.SSLCertVerificationError) and connerrors.is_name_mismatch(cert_error):
            from kpy.rest import tlsnames

            name = self.config.tls_server_name or self._host
            cert = None
            if self._blocking:
                from kpy.rest.blocking import peer_certificate

                cert = peer_certificate(self._host, self._port, self._ssl, name)
            elif self.proxy() is None:
                cert = await tlsnames.peer_certificate(self._host, self._port, self._ssl, name)
            reason = f"tls: failed to verify certificate: {tlsnames.hostname_error(name, cert)}"
            return connerrors.unable(reason, self.host_port)
        return self._transport_error(exc)

    def _retryable_transport_error(self, method: str, exc: BaseException) -> bool:
        """client-go: only GET, only resets and (probable) EOFs."""
        if self._blocking:
            from kpy.rest import blocking

            return blocking.retryable(method.upper(), exc)
        import aiohttp

        if method.upper() != "GET" or isinstance(exc, aiohttp.ClientConnectorError | TimeoutError):
            return False
        if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
            return True
        return connerrors.is_retryable_os_error(exc)

    def _log_response(
        self,
        method: str,
        url: object,
        status: int | None,
        reason: str,
        started: float,
        request_headers: Mapping[str, str] | Iterable[tuple[str, str]],
        response_headers: Mapping[str, str] | None,
    ) -> None:
        if not enabled(6):
            return
        ms = int((time.monotonic() - started) * 1000)
        status_text = f"{status} {reason}" if status is not None else ""
        log.log(v(6), "%s %s %s in %d milliseconds", method, url, status_text, ms)
        if enabled(8):
            log.log(v(8), "Request Headers: %s", redact_headers(request_headers))
            if response_headers is not None:
                log.log(v(8), "Response Headers: %s", redact_headers(response_headers))

    # -- one attempt, per transport -----------------------------------------------------------------------
    async def _attempt_aiohttp(
        self,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        body: bytes | None,
        remaining: float | None,
        stream: bool,
    ) -> _Answer:
        import asyncio

        from multidict import CIMultiDict, CIMultiDictProxy

        session = await self._get_session()
        response: aiohttp.ClientResponse | None = None
        try:
            async with asyncio.timeout(remaining):
                response = await session.request(
                    method,
                    url,
                    data=body,
                    headers=CIMultiDict(headers),
                    proxy=self.proxy(),
                    server_hostname=self.config.tls_server_name,
                    allow_redirects=False,
                )
                payload = b"" if stream and response.status < 400 else await response.read()
        except BaseException as caught:
            if response is not None:
                response.close()
            from kpy.rest.resend import NotResent

            if isinstance(caught, NotResent):  # the drop itself, for _send's retry policy
                raise caught.error from caught
            raise
        return _Answer(
            response.status,
            response.reason or "",
            CIMultiDictProxy(CIMultiDict(response.headers)),
            payload,
            response,
        )

    async def _attempt_blocking(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        remaining: float | None,
    ) -> _Answer:
        connection = await self._get_connection()
        status, reason, response_headers, payload = connection.request(
            method, target, headers, body, remaining
        )
        return _Answer(status, reason, response_headers, payload)

    def _transport_exceptions(self) -> tuple[type[BaseException], ...]:
        if self._blocking:
            return (OSError, TimeoutError, EOFError)
        import aiohttp

        return (aiohttp.ClientError, OSError, TimeoutError, EOFError)

    # -- the request loop -----------------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params,
        body: bytes | None,
        content_type: str | None,
        accept: str | None,
        timeout: float | None,
        stream: bool,
        throttle: bool = True,
    ) -> _Answer:
        """Run the retry loop; return the answer (status < 400) with its body, or open (aiohttp) if ``stream``."""
        method = method.upper()
        blocking = self.blocking()
        if blocking and stream:
            from kpy.rest.blocking import NeedsEventLoop

            raise NeedsEventLoop("a streamed answer needs the event loop")
        target = ""
        url: object
        if blocking:
            url, target = url_string(self.config.server, path, query_pairs(params))
        else:
            url = self.url(path, params)
        if throttle:  # the first try is throttled before the timeout starts (client-go does the same)
            await self.throttle(method, url)
        limit = timeout if timeout is not None else self.config.request_timeout
        deadline = None if not limit else self._clock() + limit
        retries = 0
        reauthenticated = False
        backoff = self._retry_backoff()
        if enabled(8):
            log_body("Request Body", body or b"")
        transport_errors = self._transport_exceptions()
        while True:
            headers = await self.header_items(accept, content_type)
            started = time.monotonic()
            remaining = None if deadline is None else max(0.0, deadline - self._clock())
            if remaining == 0.0:  # expired before it could be sent: Go's client says only this
                raise ConnectionFailed(connerrors.TIMEOUT_MESSAGE, self.host_port)
            try:
                if blocking:
                    answer = await self._attempt_blocking(method, target, headers, body, remaining)
                else:
                    answer = await self._attempt_aiohttp(method, url, headers, body, remaining, stream)  # type: ignore[arg-type]
            except transport_errors as exc:
                self._log_response(method, url, None, "", started, headers, None)
                if retries < self.max_retries and self._retryable_transport_error(method, exc):
                    retries += 1
                    await self._retry_sleep(method, url, 1, backoff, deadline, None, f"error: {exc!r}")
                    continue
                raise (await self._transport_failure(exc)) from exc
            status = answer.status
            self._log_response(method, url, status, answer.reason, started, headers, answer.headers)
            handle_warnings(answer.all_headers("Warning"), self.warning_handler)
            if answer.payload and enabled(8):
                log_body("Response Body", answer.payload)
            if status < 400:
                return answer
            if answer.raw is not None:
                answer.raw.release()
            error = error_from_response(status, answer.headers, answer.payload, method)
            if status == 401 and not reauthenticated:
                reauthenticated = True
                self.config.credentials.invalidate()
                continue
            wait = check_wait(status, answer.headers)
            if wait is not None and retries < self.max_retries:
                retries += 1
                await self._retry_sleep(method, url, wait, backoff, deadline, error, str(status))
                continue
            raise error

    async def _retry_sleep(
        self,
        method: str,
        url: object,
        retry_after: int,
        backoff: Backoff,
        deadline: float | None,
        error: Exception | None,
        reason: str,
    ) -> None:
        delay = max(float(retry_after), backoff.step())
        if deadline is not None and self._clock() + delay > deadline:
            if error is not None:
                raise error
            raise connerrors.timed_out(self.host_port)
        log.log(
            v(4),
            "Got a Retry-After %ss response for %s %s (%s); retrying in %.2fs",
            retry_after,
            method,
            url,
            reason,
            delay,
        )
        await self._sleep(delay)
        await self.throttle(method, url)

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
        self, path: str, params: Params = None, timeout: float | None = None
    ) -> dict[str, Any]:
        decoded = (await self.request("GET", path, params=params, timeout=timeout)).json()
        return decoded if isinstance(decoded, dict) else {}

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

    async def dial_websocket(
        self,
        path: str,
        params: Params = None,
        subprotocols: Iterable[str] = (),
        *,
        throttle: bool = True,
    ) -> DialedWebSocket:
        """Upgrade ``path`` to a WebSocket with the same TLS, proxy, credentials, impersonation and User-Agent.

        The upgrade runs in a thread of its own (``kpy.streams.dial``) and the result is a *blocking* socket
        for the caller's threads to read and write (close it). Handshake rejections raise the typed API error
        from the answer's Status body (one re-authentication after a 401, as for requests); transport
        failures raise ``ConnectionFailed``. ``throttle=False`` skips the client-side rate limiter (for
        streams that are not API requests of their own, like one port-forward connection).
        """
        if self.blocking():
            from kpy.rest.blocking import NeedsEventLoop

            raise NeedsEventLoop("a WebSocket needs the event loop")

        from kpy.streams.dial import DialedWebSocket, UpgradeRefused, dial
        from kpy.streams.workers import run_in_thread

        url = self.url(path, params)
        ws_url = url.with_scheme("wss" if url.scheme == "https" else "ws")
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
                    str(ws_url),
                    list(headers.items()),
                    offered,
                    ssl_context=ctx,
                    server_hostname=self.config.tls_server_name or None,
                    proxy=proxy,
                    user_agent=self.user_agent,
                    timeout=self.config.request_timeout or None,
                )

            try:
                connection = await run_in_thread(upgrade, name="kpy-ws-dial", discard=DialedWebSocket.close)
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
        if self.blocking():
            from kpy.rest.blocking import NeedsEventLoop

            raise NeedsEventLoop("an upgraded connection needs the event loop")

        from kpy.streams.dial import DialedUpgrade, UpgradeRefused, dial_upgrade
        from kpy.streams.workers import run_in_thread

        url = self.url(path, params)
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
                    str(url),
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
