"""Transport failures → kubectl's one-line messages, and which of them client-go retries.

kubectl (``cmdutil.StandardErrorMessage``) prints ``The connection to the server HOST:PORT was refused - did you
specify the right host or port?`` for refused connections and ``Unable to connect to the server: ...`` for every
other transport error. client-go retries transport errors only for GET, and only resets / EOFs
(``net.IsConnectionReset`` / ``net.IsProbableEOF``), never a refused connection.
"""

from __future__ import annotations

import errno

from kpy.errors import ConnectionFailed

#: kubectl applies --request-timeout as a context deadline on each request
TIMEOUT_MESSAGE = "context deadline exceeded"

_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def refused(host_port: str) -> ConnectionFailed:
    return ConnectionFailed(
        f"The connection to the server {host_port} was refused - did you specify the right host or port?",
        host_port,
    )


def unable(reason: str, host_port: str) -> ConnectionFailed:
    return ConnectionFailed(f"Unable to connect to the server: {reason}", host_port)


def timed_out(host_port: str) -> ConnectionFailed:
    return unable(TIMEOUT_MESSAGE, host_port)


def x509_reason(exc: BaseException, host: str) -> str:
    """Go's wording for a certificate that does not verify."""
    code = getattr(exc, "verify_code", None)
    message = str(getattr(exc, "verify_message", "") or exc)
    if (
        code in (2, 7, 18, 19, 20, 21)
        or "issuer" in message
        or "signature failure" in message
        or "self-signed" in message
        or "self signed" in message
    ):
        detail = "x509: certificate signed by unknown authority"
    elif code == 10 or "expired" in message or code == 9 or "not yet valid" in message:
        detail = "x509: certificate has expired or is not yet valid"
    elif code == 62 or "mismatch" in message.lower():
        detail = f"x509: certificate is not valid for {host}"
    else:
        detail = f"x509: {message}"
    return f"tls: failed to verify certificate: {detail}"


def is_name_mismatch(exc: BaseException) -> bool:
    """OpenSSL's "Hostname mismatch"/"IP address mismatch" (X509_V_ERR_HOSTNAME/IP_ADDRESS_MISMATCH)."""
    return (
        getattr(exc, "verify_code", None) in (62, 64)
        or "mismatch" in str(getattr(exc, "verify_message", "") or "").lower()
    )


def is_retryable_os_error(exc: BaseException) -> bool:
    """A reset / broken pipe / EOF (probably a transient drop), not a refusal or DNS failure."""
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError | EOFError):
        return True
    return isinstance(exc, OSError) and exc.errno in _RESET_ERRNOS


def is_refused(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionRefusedError):
        return True
    return isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED


def os_reason(exc: BaseException) -> str:
    """Go's words for a socket or TLS failure: ``EOF`` when the peer closed the connection (also during the TLS
    handshake, where OpenSSL says "UNEXPECTED_EOF_WHILE_READING"), else the errno text in lower case as Go
    spells it (``connection reset by peer``); never a Python or OpenSSL message."""
    import ssl

    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | EOFError):
        return "EOF"
    if isinstance(exc, ssl.SSLError):
        if "EOF" in str(exc).upper():
            return "EOF"
        reason = getattr(exc, "reason", None)
        return (
            f"remote error: tls: {str(reason).lower().replace('_', ' ')}"
            if reason
            else "tls: handshake failure"
        )
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if not text:
        return "EOF"
    return text[0].lower() + text[1:]
