"""Reading requests and writing answers the way kube-apiserver's handlers do: compact JSON bodies ending with
a newline, the mux's "404 page not found", body decoding by Content-Type (JSON, YAML, protobuf, the patch
types), integer query parameters as Go's strconv reads them, and ``Accept`` negotiation (Table, aggregated
discovery). No state: the handlers in :mod:`kpy.testing.server` and :mod:`kpy.testing.subresources` use it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from kpy.testing import bodies, managedfields, status
from kpy.testing.status import StatusError

Obj = dict[str, Any]
#: query values the apiserver's query conversion reads as true
TRUE = ("1", "true", "True")
#: texts to send as ``Warning: 299 - "text"`` headers with the answer (a typed key from aiohttp 3.12 on)
WARNINGS_KEY: Any = web.RequestKey("kpy_warnings", list) if hasattr(web, "RequestKey") else "kpy_warnings"

_PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}


def json_response(
    obj: Any, code: int = 200, content_type: str = "application/json", *, newline: bool = True
) -> web.Response:
    """A JSON body as the apiserver's serializer writes it: compact, one line, ending with a newline (the
    OpenAPI handlers write json.Marshal's bytes: ``newline=False``); ``<``, ``>`` and ``&`` escaped as Go's
    encoder escapes them (``<`` as a backslash-u003c escape)."""
    text = json.dumps(obj, separators=(",", ":"))
    if "<" in text or ">" in text or "&" in text:  # only inside strings: JSON has no other place for them
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return web.Response(
        body=text.encode() + (b"\n" if newline else b""),
        status=code,
        headers={"Content-Type": content_type},
    )


def error_response(err: StatusError) -> web.Response:
    """The Status body of ``err`` with its code and headers (Retry-After ...)."""
    resp = json_response(err.body, err.code)
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


def page_not_found() -> web.Response:
    """What the apiserver's mux answers for paths no API group serves (not a Status)."""
    return web.Response(status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8")


def not_found_path() -> StatusError:
    return StatusError(
        404, status.status_body(404, "NotFound", "the server could not find the requested resource", {})
    )


def _accept_params(request: web.Request) -> list[dict[str, str]]:
    return [
        {p.split("=", 1)[0].strip(): p.split("=", 1)[1].strip() for p in part.split(";")[1:] if "=" in p}
        for part in request.headers.get("Accept", "").split(",")
    ]


def wants_table(request: web.Request) -> bool:
    """The client asked for a ``meta.k8s.io`` Table (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``)."""
    return any(
        params.get("as") == "Table"
        and params.get("g") == "meta.k8s.io"
        and params.get("v") in ("v1", "v1beta1")
        for params in _accept_params(request)
    )


def aggregated_accept(request: web.Request) -> str | None:
    """The aggregated discovery version the client accepts (v2 or v2beta1), None for legacy discovery."""
    for params in _accept_params(request):
        if (
            params.get("as") == "APIGroupDiscoveryList"
            and params.get("g") == "apidiscovery.k8s.io"
            and params.get("v") in ("v2", "v2beta1")
        ):
            return params["v"]
    return None


async def read_body(request: web.Request, *, patch: bool = False, kind: str = "") -> tuple[Any, str]:
    """The decoded request body and its kind: "json", "yaml", "protobuf", or for ``patch=True`` the patch type
    ("json", "merge", "strategic", "apply"). Undecodable bodies answer 400/415 as the apiserver does
    (:mod:`kpy.testing.bodies`); ``kind`` (the resource's kind) goes into a create/update's decoding error."""
    ctype = request.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
    raw = await request.read()
    if patch:
        if ctype not in _PATCH_TYPES:
            raise bodies.unsupported_patch()
        body_kind = _PATCH_TYPES[ctype]
        if body_kind != "apply":
            return bodies.patch_body(raw, body_kind), body_kind
    elif ctype == "application/vnd.kubernetes.protobuf":  # kubectl's typed clients (create cm/deployment ...)
        from kpy.testing.protobuf import ProtobufError, decode_object

        try:
            return decode_object(raw), "protobuf"
        except ProtobufError as exc:
            if exc.unsupported:
                message = f"the kpy emulator cannot read this protobuf body ({exc}); send JSON"
                raise StatusError(415, status.status_body(415, "UnsupportedMediaType", message, {})) from None
            raise status.bad_request(f"couldn't get version/kind; protobuf parse error: {exc}") from None
    elif ctype == "application/json":
        return bodies.object_body(raw, kind), "json"
    elif ctype == "application/yaml":
        body_kind = "yaml"
    else:
        raise bodies.unsupported_body()
    try:
        import yaml

        return yaml.safe_load(raw.decode() or "null"), body_kind
    except UnicodeDecodeError as exc:
        raise status.bad_request(f"couldn't get version/kind; yaml parse error: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        raise status.bad_request(f"error decoding YAML: {exc}") from None


def int_param(request: web.Request, name: str) -> int:
    """An integer query parameter as the apiserver's query conversion reads it (strconv.ParseInt, 64 bits)."""
    raw = request.query.get(name, "")
    if raw == "":
        return 0
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise status.bad_request(f"strconv.ParseInt: parsing {status.go_quote(raw)}: invalid syntax")
    value = int(raw)
    if not -(2**63) <= value < 2**63:
        raise status.bad_request(f"strconv.ParseInt: parsing {status.go_quote(raw)}: value out of range")
    return value


def set_write_context(request: web.Request, applied: dict[str, Any] | None = None) -> None:
    """Who is writing, for metadata.managedFields (this request's task only)."""
    manager = managedfields.manager_from(
        request.query.get("fieldManager", ""), request.headers.get("User-Agent", "")
    )
    operation = "Apply" if applied is not None else "Update"
    force = request.query.get("force") in TRUE
    managedfields.CURRENT.set(managedfields.WriteContext(manager, operation, applied, force))
