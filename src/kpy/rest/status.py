"""Pure decisions about HTTP answers: typed errors from bodies, and when client-go would retry.

* ``error_from_response``: a ``Status`` body becomes its typed error; any other body gets the message
  client-go's ``errors.NewGenericServerResponse`` would give (what kubectl prints).
* ``check_wait``: client-go ``checkWait``: only 429 and 5xx answers carrying an integer ``Retry-After`` are
  retried, after that many seconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from kpy.errors import ApiError, api_error_from_status

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

#: client-go ``maxUnstructuredResponseTextBytes``: non-Status bodies are cut to this before being quoted
MAX_UNSTRUCTURED_TEXT = 2048

_FIXED: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "the server has asked for the client to provide credentials"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be "
        "processing the request",
    ),
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts too."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, val in headers.items():
        if key.lower() == lower:
            return val
    return None


def retry_after_seconds(headers: Mapping[str, str]) -> int | None:
    """The ``Retry-After`` header as whole seconds (HTTP dates and junk are ignored, like client-go)."""
    raw = header(headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or not (raw.isdigit() or (raw[0] in "+-" and raw[1:].isdigit())):
        return None
    seconds = int(raw)
    return max(0, seconds)


def check_wait(status: int, headers: Mapping[str, str]) -> int | None:
    """Seconds to wait before retrying, or None when client-go would not retry this answer."""
    if status != 429 and status < 500:
        return None
    return retry_after_seconds(headers)


def _decode_status(body: bytes) -> dict[str, Any] | None:
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        return decoded
    return None


def generic_status(code: int, method: str, server_message: str) -> dict[str, Any]:
    """The ``Status`` client-go synthesizes for a non-Status error body (``NewGenericServerResponse``)."""
    reason, message = (
        "",
        f"the server responded with the status code {code} but did not return more information",
    )
    if code in _FIXED:
        reason, message = _FIXED[code]
    elif code == 409:
        reason = "AlreadyExists" if method.upper() == "POST" else "Conflict"
        message = "the server reported a conflict"
    elif code == 403:
        reason, message = "Forbidden", server_message
    elif code == 406:
        reason = "NotAcceptable"
        message = (
            server_message
            if server_message and server_message != "unknown"
            else "the server was unable to respond with a content type that the client supports"
        )
    elif code == 415:
        reason, message = "UnsupportedMediaType", server_message
    elif code >= 500:
        reason = "InternalError"
        message = (
            f"an error on the server ({json.dumps(server_message)}) has prevented the request from succeeding"
        )
    from kpy.gocompat.metav1 import status_body  # datetime loads with the first error, not with kpy

    return status_body(code, reason, message)


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, method: str = "GET"
) -> ApiError:
    """The typed error for an answer with status >= 400."""
    retry_after = retry_after_seconds(headers)
    decoded = _decode_status(body)
    if decoded is None:
        content_type = (header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        text = "unknown"
        if content_type.startswith("text/"):
            text = body[:MAX_UNSTRUCTURED_TEXT].decode("utf-8", "replace").strip()
        decoded = generic_status(status, method, text)
        if retry_after is not None:
            decoded["details"] = {"retryAfterSeconds": retry_after}
        return api_error_from_status(status, decoded, retry_after=retry_after)
    if retry_after is None:
        details = decoded.get("details")
        if isinstance(details, dict) and isinstance(details.get("retryAfterSeconds"), int):
            retry_after = int(details["retryAfterSeconds"])
    return api_error_from_status(status, decoded, retry_after=retry_after)
