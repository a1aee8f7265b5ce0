"""JSON request bodies decoded as kube-apiserver decodes them, with its words when they are not what it wants.

What kube-apiserver 1.36 answers (checked by hand with the same bytes):

- create/update (``POST``/``PUT``): the serializer first reads ``apiVersion``/``kind`` with ``json.Unmarshal``
  into a two-field struct; when that fails the handler (``transformDecodeError``) says ``the object provided is
  unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: <Go's error>
  (<summary>)``, the summary being the first 30 bytes of the body (`` ...`` when cut; hex unless it starts with
  ``{``; ``<empty>``). ``null`` is an empty object.
- merge patch: ``error decoding patch: <Go's error>`` (a non-object: ``json: cannot unmarshal array into Go
  value of type map[string]interface {}``; ``null``: ``Invalid JSON Patch``); JSON patch: the same prefix, and
  a non-array is ``... of type []handlers.jsonPatchOp``; strategic merge patch: Go's error alone (``null`` is
  a patch that changes nothing). All 400 BadRequest.
- a Content-Type the handler does not read: 415 ``the body of the request was in an unknown format - accepted
  media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`` for
  create/update, ``415: Unsupported Media Type`` (details ``{}``) for a patch.
"""

from __future__ import annotations

from typing import Any

from kpy.gocompat import gojson
from kpy.gocompat.jsonscan import GoJSONError
from kpy.testing import status
from kpy.testing.status import StatusError

_TYPE_META = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
)
_MAP = "map[string]interface {}"
UNKNOWN_BODY_FORMAT = (
    "the body of the request was in an unknown format - accepted media types include: application/json, "
    "application/yaml, application/vnd.kubernetes.protobuf"
)


def unsupported_body() -> StatusError:
    """415 for a create/update body in a media type the handler does not read."""
    return StatusError(415, status.status_body(415, "UnsupportedMediaType", UNKNOWN_BODY_FORMAT))


def unsupported_patch() -> StatusError:
    """415 for a PATCH whose Content-Type is not a patch type (the route does not match: the bare text)."""
    return StatusError(
        415, status.status_body(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})
    )


def summarize(raw: bytes, limit: int = 30) -> str:
    """apiserver handlers' ``summarizeData``: the start of a body for an error message."""
    if not raw:
        return "<empty>"
    cut = raw[:limit]
    text = cut.decode("utf-8", "replace") if raw[:1] == b"{" else cut.hex()
    return text + " ..." if len(raw) > limit else text


def _loads(raw: bytes) -> Any:
    try:
        return gojson.loads(raw)
    except (GoJSONError, UnicodeDecodeError) as exc:
        raise _Undecodable(str(exc)) from None


class _Undecodable(Exception):
    pass


def object_body(raw: bytes, kind: str) -> Any:
    """A create/update body: an object (``null`` = ``{}``), or the 400 the apiserver gives for it."""
    try:
        value = _loads(raw)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _Undecodable(
                f"json: cannot unmarshal {gojson.go_type(value)} into Go value of type {_TYPE_META}"
            )
    except _Undecodable as exc:
        detail = f"couldn't get version/kind; json parse error: {exc}"
        if kind:
            detail = (
                f"the object provided is unrecognized (must be of type {kind}): {detail} ({summarize(raw)})"
            )
        raise status.bad_request(detail) from None
    return value


def patch_body(raw: bytes, patch_type: str) -> Any:
    """A JSON patch, merge patch or strategic merge patch body, or the 400 the apiserver gives for it."""
    prefix = "" if patch_type == "strategic" else "error decoding patch: "
    try:
        value = _loads(raw)
    except _Undecodable as exc:
        raise status.bad_request(f"{prefix}{exc}") from None
    if patch_type == "json":
        if value is not None and not isinstance(value, list):
            raise status.bad_request(
                f"{prefix}json: cannot unmarshal {gojson.go_type(value)} into Go value of type []handlers.jsonPatchOp"
            )
        for op in value or ():
            if op is not None and not isinstance(op, dict):
                raise status.bad_request(
                    f"{prefix}json: cannot unmarshal {gojson.go_type(op)} into Go value of type handlers.jsonPatchOp"
                )
        return value or []
    if value is None:
        if patch_type == "merge":
            raise status.bad_request("Invalid JSON Patch")
        return {}
    if not isinstance(value, dict):
        raise status.bad_request(
            f"{prefix}json: cannot unmarshal {gojson.go_type(value)} into Go value of type {_MAP}"
        )
    return value
