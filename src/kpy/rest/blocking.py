"""One-shot commands without an event loop: ``drive`` runs a command's coroutine to completion synchronously,
and ``RestClient`` then sends its requests over the blocking ``kpy.rest.http1`` transport.

A plain ``kpy get`` makes one to three requests, one after the other. Its coroutines never need to suspend
when the transport blocks, so they can be driven with ``coroutine.send(None)`` and no asyncio at all: that is
what keeps aiohttp, asyncio and yarl (~0.3 s of CPU) out of the process. Everything above the transport is the
same code as in an event loop: throttling, retries (429/5xx with Retry-After, resets and EOFs of GETs, one
re-authentication after a 401), typed errors, ``-v`` logging, Warning headers.

What needs the event loop says so with ``NeedsEventLoop`` *before* any I/O (credentials from an exec plugin or
an auth provider, a proxy, a stream), and ``run`` then runs a fresh coroutine under ``asyncio.run``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Coroutine

from kpy.errors import ConnectionFailed
from kpy.rest import connerrors
from kpy.rest.http1 import BadResponse, ConnectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from kpy.config.client_config import ClientConfig

    T = TypeVar("T")


class NeedsEventLoop(Exception):
    """Raised (before any request) by a client driven without an event loop that cannot work without one."""


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion without an event loop. It must not suspend: code that needs a loop raises
    ``NeedsEventLoop`` before it does anything."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a coroutine driven without an event loop suspended")


def run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``drive(factory())``, or ``asyncio.run(factory())`` when it turns out to need an event loop."""
    try:
        return drive(factory())
    except NeedsEventLoop:
        import asyncio

        return asyncio.run(factory())


def supports(config: ClientConfig, proxy: str | None) -> bool:
    """Whether requests for ``config`` can go over the blocking transport: no proxy, and credentials that are
    at hand without running anything (none, a token, a token file, basic auth; client certificates from the
    kubeconfig are part of the TLS context)."""
    from kpy.config.credentials import (
        BasicCredentials,
        NoCredentials,
        TokenCredentials,
        TokenFileCredentials,
    )

    static = (NoCredentials, TokenCredentials, TokenFileCredentials, BasicCredentials)
    return proxy is None and isinstance(config.credentials, static)


def retryable(method: str, exc: BaseException) -> bool:
    """client-go: only GET, only resets and (probable) EOFs; never a failed connect or a timeout."""
    if method != "GET" or isinstance(exc, ConnectError | TimeoutError | ssl.SSLError):
        return False
    return connerrors.is_retryable_os_error(exc)


def failure(exc: BaseException, host_port: str, host: str) -> ConnectionFailed:
    """kubectl's one-line message for a transport failure of the blocking transport (the certificate name
    mismatch, which needs the certificate, is handled by ``RestClient``)."""
    if isinstance(exc, TimeoutError):
        return connerrors.timed_out(host_port)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return connerrors.unable(connerrors.x509_reason(exc, host), host_port)
    if isinstance(exc, ConnectError):
        os_error = exc.os_error
        if connerrors.is_refused(os_error):
            return connerrors.refused(host_port)
        import socket

        if isinstance(os_error, socket.gaierror):
            return connerrors.unable(f"dial tcp: lookup {host}: no such host", host_port)
        return connerrors.unable(f"dial tcp {host_port}: {connerrors.os_reason(os_error)}", host_port)
    if isinstance(exc, BadResponse):
        return connerrors.unable(f"net/http: HTTP/1.x transport connection broken: {exc}", host_port)
    if isinstance(exc, EOFError):
        return connerrors.unable("EOF", host_port)
    if isinstance(exc, OSError) and connerrors.is_retryable_os_error(exc):
        return connerrors.unable("connection reset by peer", host_port)
    if isinstance(exc, OSError):  # ssl.SSLError included: never OpenSSL's own words
        return connerrors.unable(connerrors.os_reason(exc), host_port)
    return connerrors.unable(str(exc) or type(exc).__name__, host_port)


def peer_certificate(
    host: str, port: int, context: ssl.SSLContext | None, server_name: str, timeout: float = 5.0
) -> dict[str, Any] | None:
    """``kpy.rest.tlsnames.peer_certificate`` over a blocking socket."""
    import socket

    from kpy.rest.tlsnames import probe_context

    probe = probe_context(context)
    if probe is None:
        return None
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            probe.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            cert = tls.getpeercert()
    except (OSError, ssl.SSLError):
        return None
    return cert if isinstance(cert, dict) else None
