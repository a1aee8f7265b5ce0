"""``metav1.Status`` bodies exactly as kube-apiserver writes them (k8s.io/apimachinery/pkg/api/errors).

Each helper returns ``(code, body)``; :class:`StatusError` carries one through the request handlers.
"""

from __future__ import annotations

from typing import Any

CONFLICT_SUFFIX = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


def qualified(resource: str, group: str) -> str:
    """``pods`` / ``leases.coordination.k8s.io`` (schema.GroupResource.String())."""
    return f"{resource}.{group}" if group else resource


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def _details(name: str, group: str, resource: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return details


class StatusError(Exception):
    """An API error answered with a Status body (and optional extra headers, e.g. Retry-After)."""

    def __init__(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.code = code
        self.body = body
        self.headers = headers or {}


def not_found(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        404,
        status_body(
            404,
            "NotFound",
            f'{qualified(resource, group)} "{name}" not found',
            _details(name, group, resource),
        ),
    )


def already_exists(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        409,
        status_body(
            409,
            "AlreadyExists",
            f'{qualified(resource, group)} "{name}" already exists',
            _details(name, group, resource),
        ),
    )


def conflict(resource: str, group: str, name: str, why: str = CONFLICT_SUFFIX) -> StatusError:
    return StatusError(
        409,
        status_body(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
            _details(name, group, resource),
        ),
    )


def bad_request(message: str) -> StatusError:
    return StatusError(400, status_body(400, "BadRequest", message))


def invalid(resource: str, group: str, kind: str, name: str, causes: list[dict[str, str]]) -> StatusError:
    """422 Invalid: ``Pod "x" is invalid: field: Required value``."""
    texts = [f"{c['field']}: {c['message']}" for c in causes]
    text = texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"  # utilerrors.Aggregate's Error()
    message = (
        f'{kind}.{group} "{name}" is invalid: {text}' if group else f'{kind} "{name}" is invalid: {text}'
    )
    details: dict[str, Any] = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [
        {"reason": c.get("reason", "FieldValueRequired"), "message": c["message"], "field": c["field"]}
        for c in causes
    ]
    return StatusError(422, status_body(422, "Invalid", message, details))


def expired(message: str) -> StatusError:
    """410 Gone with reason Expired (NewResourceExpired)."""
    return StatusError(410, status_body(410, "Expired", message))


def unauthorized() -> StatusError:
    return StatusError(401, status_body(401, "Unauthorized", "Unauthorized"))


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> StatusError:
    return StatusError(405, status_body(405, "MethodNotAllowed", message, {}))


def unsupported_media_type(content_type: str) -> StatusError:
    return StatusError(
        415,
        status_body(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types "
            "include: application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml, application/strategic-merge-patch+json"
            if content_type == ""
            else "the body of the request was in an unknown format - accepted media "
            "types include: application/json, application/yaml",
        ),
    )


def fault(code: int, message: str, retry_after: int | None = None) -> StatusError:
    """An injected failure shaped like the apiserver's own: 429 TooManyRequests, 500/503 etc."""
    reasons = {
        400: "BadRequest",
        404: "NotFound",
        429: "TooManyRequests",
        500: "InternalError",
        503: "ServiceUnavailable",
        504: "Timeout",
        409: "Conflict",
        403: "Forbidden",
        401: "Unauthorized",
    }
    details: dict[str, Any] | None = None
    if retry_after is not None:
        details = {"retryAfterSeconds": retry_after}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return StatusError(code, status_body(code, reasons.get(code, "InternalError"), message, details), headers)


def success_delete(resource: str, group: str, name: str, uid: str) -> dict[str, Any]:
    """What DELETE returns for types whose registry does not return the deleted object."""
    details = _details(name, group, resource)
    details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
