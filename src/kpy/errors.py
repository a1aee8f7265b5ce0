"""Typed errors shared by every part of kpy.

The library raises these; only the CLI (``kpy.cli.main``) turns them into one-line messages and exit codes.
Every error's ``str()`` is the line a kubectl user would expect to read (without the ``error: `` prefix, which
the CLI adds where kubectl does).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any


class KpyError(Exception):
    """Base of every error kpy raises on purpose. ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1
    #: kubectl prints most errors as ``error: MESSAGE``; server errors have their own prefix.
    prefix: str = "error: "

    def format(self) -> str:
        """The one line the CLI prints."""
        return f"{self.prefix}{self}"


class UsageError(KpyError):
    """Bad flags or arguments: the one usage-error type, exit code 1 for every command (kubectl's and cobra's).

    ``hint`` adds kubectl's second line once the CLI has set ``command_path`` (``kpy get``): ``"usage"`` is
    cobra's ``See 'kpy get --help' for usage.``, ``"examples"`` kubectl's ``See 'kpy get -h' for help and
    examples`` (``cmdutil.UsageErrorf``).
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
        self.command_path = ""

    def format(self) -> str:
        line = super().format()
        if not self.command_path or self.hint not in _USAGE_HINTS:
            return line
        return f"{line}\n{_USAGE_HINTS[self.hint].format(path=self.command_path)}"


_USAGE_HINTS = {
    "usage": "See '{path} --help' for usage.",
    "examples": "See '{path} -h' for help and examples",
}


class ConfigError(KpyError):
    """Malformed or missing kubeconfig, unknown context/cluster/user, unusable credentials."""


class TemplateError(KpyError):
    """A JSONPath / custom-columns template that does not parse or does not execute.

    ``position`` is the 0-based offset into ``template`` where parsing failed (None when unknown).
    """

    def __init__(self, message: str, template: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.position = position

    def format(self) -> str:
        """kubectl's line, then (for syntax errors) the template's line with a caret under the position."""
        line = super().format()
        if self.position is None or not self.template:
            return line
        start = self.template.rfind("\n", 0, self.position) + 1
        end = self.template.find("\n", self.position)
        text = self.template[start:] if end < 0 else self.template[start:end]
        pad = "".join("\t" if ch == "\t" else " " for ch in text[: self.position - start])
        return f"{line.rstrip(chr(10))}\n\t{text}\n\t{pad}^"


class ConnectionFailed(KpyError):
    """The server could not be reached (refused, DNS, timeout, TLS)."""

    prefix = ""

    def __init__(self, message: str, host: str = "") -> None:
        super().__init__(message)
        self.host = host


class ResponseError(KpyError):
    """The server answered with a body kpy cannot decode (not JSON, or JSON Go's decoder would refuse)."""


class ForwardError(KpyError):
    """Port-forwarding failed (listen failed, pod gone, error channel message)."""


class ElectionError(KpyError):
    """Leader election could not run (invalid timings, lease not writable)."""


class CertificateError(KpyError):
    """``kpy certs``: a CSR denied, failed or never issued, a name taken by someone else's CSR, a bad file."""


class ApiError(KpyError):
    """An error answered by the API server, carrying its ``Status`` body.

    ``str()`` is the Status message; ``format()`` is kubectl's ``Error from server (Reason): message``.
    """

    prefix = ""
    code: int = 0

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reason: str = "",
        status: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.reason = reason
        self.status: dict[str, Any] = status or {}
        self.retry_after = retry_after

    def format(self) -> str:
        if self.reason == "Unauthorized":  # kubectl's StandardErrorMessage special-cases this reason
            return f"error: You must be logged in to the server ({self})"
        if self.reason:
            return f"Error from server ({self.reason}): {self}"
        return f"Error from server: {self}"


class BadRequest(ApiError):
    code = 400


class Unauthorized(ApiError):
    code = 401


class Forbidden(ApiError):
    code = 403


class NotFound(ApiError):
    code = 404


class Conflict(ApiError):
    """409 with reason Conflict (stale resourceVersion)."""

    code = 409


class AlreadyExists(Conflict):
    """409 with reason AlreadyExists (create of an existing name)."""


class Gone(ApiError):
    """410: the requested resourceVersion has been compacted (watch/list must relist)."""

    code = 410


class Invalid(ApiError):
    code = 422


class TooManyRequests(ApiError):
    code = 429


class ServerError(ApiError):
    """5xx."""

    code = 500


_BY_REASON: dict[str, type[ApiError]] = {
    "BadRequest": BadRequest,
    "Unauthorized": Unauthorized,
    "Forbidden": Forbidden,
    "NotFound": NotFound,
    "Conflict": Conflict,
    "AlreadyExists": AlreadyExists,
    "Gone": Gone,
    "Expired": Gone,
    "Invalid": Invalid,
    "TooManyRequests": TooManyRequests,
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def api_error_from_status(
    code: int, status: dict[str, Any] | None, *, body_text: str = "", retry_after: float | None = None
) -> ApiError:
    """Build the typed error for an HTTP error answer (``status`` is the decoded Status body, if any)."""
    status = status if isinstance(status, dict) and status.get("kind") == "Status" else None
    reason = str(status.get("reason", "")) if status else ""
    message = str(status.get("message", "")) if status else ""
    if status and status.get("code"):
        code = int(status["code"])
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code) or (ServerError if code >= 500 else ApiError)
    if not message:
        # kubectl's wording when the body is not a Status (see client-go rest.Result / errors.NewGenericServerResponse)
        text = body_text.strip()
        message = text or _GENERIC.get(
            code, 'an error on the server ("unknown") has prevented the request from succeeding'
        )
        if not reason:
            reason = _GENERIC_REASON.get(code, "")
    return cls(message, code=code, reason=reason, status=status, retry_after=retry_after)


_GENERIC = {
    401: "the server has asked for the client to provide credentials",
    403: "forbidden",
    404: "the server could not find the requested resource",
    409: "the server reported a conflict",
    429: "the server has received too many requests and has asked us to try again later",
}
_GENERIC_REASON = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}
