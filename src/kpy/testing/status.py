"""``metav1.Status`` bodies exactly as kube-apiserver writes them (k8s.io/apimachinery/pkg/api/errors).

Each helper returns ``(code, body)``; :class:`StatusError` carries one through the request handlers.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from kpy.gocompat.metav1 import status_body as status_body  # re-exported: the emulator builds errors here
from kpy.gocompat.metav1 import success_body

CONFLICT_SUFFIX = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
#: etcd3 store's answer to a list at a compacted resourceVersion (a watch says "too old resource version: N (M)")
LIST_EXPIRED = "The resourceVersion for the provided list is too old."
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


def qualified(resource: str, group: str) -> str:
    """``pods`` / ``leases.coordination.k8s.io`` (schema.GroupResource.String())."""
    return f"{resource}.{group}" if group else resource


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


def aggregate(messages: list[str]) -> str:
    """utilerrors.Aggregate's text: one message as is, several (duplicates dropped) as "[a, b]"."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def invalid(resource: str, group: str, kind: str, name: str, causes: list[dict[str, str]]) -> StatusError:
    """422 Invalid (errors.NewInvalid): ``Pod "x" is invalid: field: Required value``; a cause's message is the
    field error's body ("Required value", "Forbidden: ..."), the Status message aggregates "field: body"."""
    text = aggregate([f"{c['field']}: {c['message']}" for c in causes])
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


def forbidden_field(field: str, detail: str) -> dict[str, str]:
    """field.Forbidden as a Status cause."""
    return {"field": field, "reason": "FieldValueForbidden", "message": f"Forbidden: {detail}"}


def not_supported_field(field: str, value: str, supported: list[str]) -> dict[str, str]:
    """field.NotSupported as a Status cause (values quoted, in the order given)."""
    choices = ", ".join(go_quote(v) for v in supported)
    return {
        "field": field,
        "reason": "FieldValueNotSupported",
        "message": f"Unsupported value: {go_quote(value)}: supported values: {choices}",
    }


def invalid_list_options(causes: list[dict[str, str]]) -> StatusError:
    """422 for query parameters ValidateListOptions rejects: ``ListOptions.meta.k8s.io "" is invalid: ...``."""
    return invalid("", "meta.k8s.io", "ListOptions", "", causes)


def go_quote(text: str) -> str:
    """Go's %q of a string (strconv.Quote) for the printable text query parameters carry."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def invalid_resource_version(text: str) -> StatusError:
    """400 for an unparsable resourceVersion (APIObjectVersioner.ParseResourceVersion via the storage layer)."""
    return bad_request(f"invalid resource version: {parse_uint_error('resourceVersion', text)}")


def parse_uint_error(field: str, text: str) -> str:
    """The field error for a value strconv.ParseUint(text, 10, 64) rejects."""
    why = "value out of range" if text.isascii() and text.isdigit() else "invalid syntax"
    return f"{field}: Invalid value: {go_quote(text)}: strconv.ParseUint: parsing {go_quote(text)}: {why}"


def check_watch_options(match: str, send_initial_events: str | None, continue_token: str) -> None:
    """ValidateListOptions for a watch (WatchList on): sendInitialEvents needs resourceVersionMatch
    NotOlderThan, and resourceVersionMatch needs sendInitialEvents; 422 Invalid ListOptions otherwise."""
    field = "resourceVersionMatch"
    causes: list[dict[str, str]] = []
    if send_initial_events is not None and match != "NotOlderThan":
        causes.append(
            forbidden_field(field, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
        )
    if match:
        if send_initial_events is None:
            causes.append(
                forbidden_field(field, f"{field} is forbidden for watch unless sendInitialEvents is provided")
            )
        if match != "NotOlderThan":
            causes.append(not_supported_field(field, match, ["NotOlderThan"]))
        if continue_token:
            causes.append(forbidden_field(field, f"{field} is forbidden when continue is provided"))
    if causes:
        raise invalid_list_options(causes)


def pod_log_options_invalid(
    name: str, tail: int | None, limit: int | None, since: int | None, since_time: str
) -> None:
    """ValidatePodLogOptions: 422 Invalid ``PodLogOptions "NAME"`` (checked before the pod is looked up)."""
    causes: list[dict[str, str]] = []
    if tail is not None and tail < 0:
        causes.append(invalid_field("tailLines", tail, "must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        causes.append(invalid_field("limitBytes", limit, "must be greater than 0"))
    if since is not None and since_time:
        causes.append(forbidden_field("[]", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif since is not None and since < 1:
        causes.append(invalid_field("sinceSeconds", since, "must be greater than 0"))
    if causes:
        raise invalid("", "", "PodLogOptions", name, causes)


def invalid_field(field: str, value: int, detail: str) -> dict[str, str]:
    """field.Invalid with an integer value as a Status cause."""
    return {"field": field, "reason": "FieldValueInvalid", "message": f"Invalid value: {value}: {detail}"}


def check_watch_resource_version(text: str) -> None:
    """A watch's resourceVersion that does not parse fails before the stream starts: the storage layer's
    field error reaches the handler as a plain error, which becomes a 500 Status without a reason."""
    if text in ("", "0") or (text.isascii() and text.isdigit() and int(text) < 2**64):
        return
    body = status_body(500, "", parse_uint_error("resourceVersion", text))
    del body["reason"]
    raise StatusError(500, body)


def invalid_continue(detail: str) -> StatusError:
    """400 for a continue token storage.DecodeContinue rejects (``detail`` is its error)."""
    return bad_request(f"invalid continue token: {detail}")


_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def decode_continue_json(token: str) -> dict[str, Any]:
    """A continue token's JSON object, or the 400 kube-apiserver answers for it: Go's RawURLEncoding error
    (the offset of the first byte it cannot use) or encoding/json's, behind "continue key is not valid: "."""
    prefix = "continue key is not valid: "
    bad = next((i for i, ch in enumerate(token) if ch not in _B64URL), None)
    if bad is None and len(token) % 4 == 1:
        bad = len(token) - 1  # a lone character cannot complete a byte
    if bad is not None:
        raise invalid_continue(f"{prefix}illegal base64 data at input byte {bad}")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise invalid_continue(f"{prefix}unexpected end of JSON input")
    try:
        data = json.loads(text)
    except ValueError:
        if stripped[0] not in '{["-0123456789tfn':
            raise invalid_continue(
                f"{prefix}invalid character {go_char(stripped[0])} looking for beginning of value"
            ) from None
        raise invalid_continue(f"{prefix}unexpected end of JSON input") from None
    if not isinstance(data, dict):
        kind = "array" if isinstance(data, list) else "string" if isinstance(data, str) else "number"
        raise invalid_continue(
            f"{prefix}json: cannot unmarshal {kind} into Go value of type storage.continueToken"
        )
    return data


def go_char(ch: str) -> str:
    """encoding/json's quoteChar: 'x', or '\\'' for a quote, '"' for a double quote."""
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return f"'{ch}'"


def forbidden(
    user: str,
    verb: str,
    resource: str,
    group: str,
    *,
    name: str = "",
    namespace: str = "",
    subresource: str = "",
) -> StatusError:
    """403 as the RBAC authorizer's denial reaches the client (errors.NewForbidden with the authorizer's
    reason): ``pods "web" is forbidden: User "nobody" cannot get resource "pods" in API group "" in the
    namespace "default"``; "at the cluster scope" without a namespace."""
    what = f'{qualified(resource, group)} "{name}"' if name else qualified(resource, group)
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    full = f"{resource}/{subresource}" if subresource else resource
    message = (
        f'{what} is forbidden: User "{user}" cannot {verb} resource "{full}" in API group "{group}" {scope}'
    )
    return StatusError(403, status_body(403, "Forbidden", message, _details(name, group, resource)))


def forbidden_path(user: str, path: str, verb: str = "get") -> StatusError:
    """403 for a non-resource path (discovery, OpenAPI) the user may not read."""
    message = f'forbidden: User "{user}" cannot {verb} path "{path}"'
    return StatusError(403, status_body(403, "Forbidden", message, {}))


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
    return success_body(details)


def check_since_time(value: str) -> None:
    """400 for a ``sinceTime`` the apiserver's query conversion cannot parse."""
    from kpy.logs.stamps import since_time_error

    error = since_time_error(value)
    if error is not None:
        raise bad_request(error)
