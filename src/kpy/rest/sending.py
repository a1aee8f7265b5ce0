"""``RestClient``'s request loop: throttling, one attempt per transport, client-go's retries (429/5xx with
``Retry-After``, resets/EOFs for GET, one re-authentication after a 401), transport errors in Go's words and
the ``-v`` request log."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Mapping

from kpy.config.redact import redact_headers
from kpy.dataclasslite import dataclass
from kpy.errors import ConnectionFailed
from kpy.flowcontrol import Backoff
from kpy.rest import connerrors
from kpy.rest.clientbase import ClientBase
from kpy.rest.logs import enabled, log, v
from kpy.rest.request import (
    Params,
    log_body,
    query_pairs,
    url_string,
)
from kpy.rest.status import check_wait, error_from_response
from kpy.rest.warnings import handle_warnings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    import aiohttp
    from yarl import URL


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


class Sender(ClientBase):
    """Sends requests with retries and throttling (``_send``); the public methods are on ``RestClient``."""

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
                f"dial tcp {self.host_port}: {connerrors.os_reason(exc.os_error)}", self.host_port
            )
        if connerrors.is_refused(exc):
            return connerrors.refused(self.host_port)
        if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | EOFError):
            return connerrors.unable("EOF", self.host_port)
        if isinstance(exc, OSError) and connerrors.is_retryable_os_error(exc):
            return connerrors.unable("connection reset by peer", self.host_port)
        if isinstance(exc, OSError):  # ssl.SSLError included: never OpenSSL's own words
            return connerrors.unable(connerrors.os_reason(exc), self.host_port)
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
