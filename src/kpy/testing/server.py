"""The emulator's HTTP layer: aiohttp routes for discovery, resources, watch, Table output, port-forward.

Request flow: middleware (request log, pause, latency, injected failures, authentication) -> ``dispatch``
parses the API path (``/api/v1/...``, ``/apis/G/V/...``, optional ``watch/`` segment) into a resource type,
namespace, name and subresource, then calls :class:`kpy.testing.api.Api`. Errors are Status bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kpy.testing import discovery, managedfields, scale, status
from kpy.testing.api import parse_selectors
from kpy.testing.resources import ResourceType
from kpy.testing.status import StatusError
from kpy.testing.tokens import create_token, token_user
from kpy.testing.watch import WatchRequest, serve_watch

if TYPE_CHECKING:
    from kpy.testing.emulator import Emulator

Obj = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: paths RBAC's system:public-info-viewer role opens to everyone, system:anonymous included
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
#: the user of requests that carry no credentials (they are authorized like a user without RBAC)
ANONYMOUS = "system:anonymous"
_TRUE = ("1", "true", "True")
#: the authenticated user of the request being handled (set by the middleware, in the handler's task)
_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("kpy_emulator_user", default=None)

# texts to send as ``Warning: 299 - "text"`` headers with the answer (a typed key from aiohttp 3.12 on)
WARNINGS_KEY: Any = web.RequestKey("kpy_warnings", list) if hasattr(web, "RequestKey") else "kpy_warnings"
ENDPOINTS_DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def format_warning(text: str) -> str:
    """``299 - "text"``, quotes and backslashes escaped (what the apiserver's warning recorder sends)."""
    return '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class RequestRecord:
    """One request the emulator saw (``status`` is None while it is still being served, e.g. a watch)."""

    method: str
    path: str
    query: dict[str, str]
    status: int | None = None
    user: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def watch(self) -> bool:
        return self.query.get("watch") in _TRUE or "/watch/" in self.path


def error_response(err: StatusError) -> web.Response:
    resp = _json(err.body, err.code)
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


def _redacted(headers: Any) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in headers.items()}


def build_app(em: Emulator) -> web.Application:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RequestRecord(
            request.method, request.path, dict(request.query), headers=_redacted(request.headers)
        )
        em.requests.append(record)
        try:
            await em.faults.wait_running()
            delay = em.faults.delay_for(request.path)
            if delay > 0:
                await asyncio.sleep(delay)
            user = authenticate(em, request) or ANONYMOUS  # anonymous auth: kube-apiserver's default
            record.user = user
            _USER.set(user)
            if user == ANONYMOUS and request.path not in PUBLIC_PATHS and not _is_resource_path(request.path):
                raise status.forbidden_path(user, request.path)
            forbidden = em.faults.forbidden(request.method, request.path, request.query)
            if forbidden is not None:
                raise forbidden
            rule = em.faults.take_failure(request.method, request.path)
            if rule is not None:
                raise status.fault(rule.status, rule.message, rule.retry_after)
            resp = await handler(request)
        except StatusError as err:
            resp = error_response(err)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except web.HTTPException as exc:
            resp = web.json_response(
                status.status_body(
                    exc.status,
                    "NotFound" if exc.status == 404 else "MethodNotAllowed",
                    "the server could not find the requested resource",
                    {},
                ),
                status=exc.status,
            )
        except Exception as exc:  # a bug in the emulator: answer like the apiserver's panic handler
            logging.getLogger(__name__).exception("emulator error on %s %s", request.method, request.path)
            resp = error_response(
                StatusError(
                    500,
                    status.status_body(
                        500, "InternalError", f"Internal error occurred: {type(exc).__name__}: {exc}"
                    ),
                )
            )
        record.status = resp.status
        return resp

    app = web.Application(middlewares=[middleware], client_max_size=64 << 20)

    async def add_warnings(request: web.Request, response: web.StreamResponse) -> None:
        for text in request.get(WARNINGS_KEY, ()):
            response.headers.add("Warning", format_warning(text))

    app.on_response_prepare.append(add_warnings)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await dispatch(em, request)

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def authenticate(em: Emulator, request: web.Request) -> str | None:
    """The user for a request (bearer token or CA-signed client certificate); bad token -> 401.

    Over plain HTTP (``Emulator(tls=False)``) the emulator plays an authenticating front like ``kubectl
    proxy``: clients send no credentials there (kubectl and kpy only send them over TLS), so every request
    is the admin user's.
    """
    if not em.tls:
        return "kpy-admin"
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = em.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None and scheme.lower() == "bearer":
            user = token_user(em.api, em.issued_tokens, token.strip())
        if user:
            return user
        raise status.unauthorized()
    transport = request.transport
    if transport is not None:
        cert = transport.get_extra_info("peercert")
        if cert:
            from kpy.testing.tls import client_common_name

            return client_common_name(cert)
    return None


def _wants_table(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    for part in accept.split(","):
        params = {
            p.split("=", 1)[0].strip(): p.split("=", 1)[1].strip() for p in part.split(";")[1:] if "=" in p
        }
        if (
            params.get("as") == "Table"
            and params.get("g") == "meta.k8s.io"
            and params.get("v") in ("v1", "v1beta1")
        ):
            return True
    return False


def _aggregated_accept(request: web.Request) -> str | None:
    for part in request.headers.get("Accept", "").split(","):
        params = {
            p.split("=", 1)[0].strip(): p.split("=", 1)[1].strip() for p in part.split(";")[1:] if "=" in p
        }
        if (
            params.get("as") == "APIGroupDiscoveryList"
            and params.get("g") == "apidiscovery.k8s.io"
            and params.get("v") in ("v2", "v2beta1")
        ):
            return params["v"]
    return None


def _json(
    obj: Any, code: int = 200, content_type: str = "application/json", *, newline: bool = True
) -> web.Response:
    """A JSON body as the apiserver's serializer writes it: compact, one line, ending with a newline (the
    OpenAPI handlers write json.Marshal's bytes: ``newline=False``)."""
    return web.Response(
        body=json.dumps(obj, separators=(",", ":")).encode() + (b"\n" if newline else b""),
        status=code,
        headers={"Content-Type": content_type},
    )


def _page_not_found() -> web.Response:
    """What the apiserver's mux answers for paths no API group serves (not a Status)."""
    return web.Response(status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8")


def _not_found_path() -> StatusError:
    return StatusError(
        404, status.status_body(404, "NotFound", "the server could not find the requested resource", {})
    )


async def dispatch(em: Emulator, request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    parts = [p for p in path.split("/") if p]
    if path == "/version":  # written with json.MarshalIndent, no trailing newline
        return web.Response(
            body=json.dumps(discovery.version_info(), indent=2).encode(),
            headers={"Content-Type": "application/json"},
        )
    if path == "/openapi/v2":
        served = discovery.openapi_v2(request.headers.get("Accept", ""))
        if served is None:
            return web.Response(status=406, headers={"Vary": "Accept"})
        body, content_type = served
        return web.Response(body=body, headers={"Content-Type": content_type, "Vary": "Accept"})
    if path in ("/healthz", "/livez", "/readyz"):
        return web.Response(text="ok")
    if path == "/api":
        agg = _aggregated_accept(request)
        if agg:
            return _json(
                discovery.aggregated(em.registry, True, agg),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList",
            )
        return _json(discovery.api_versions(f"{request.url.host}:{request.url.port}"))
    if path == "/apis":
        agg = _aggregated_accept(request)
        if agg:
            return _json(
                discovery.aggregated(em.registry, False, agg),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList",
            )
        return _json(discovery.api_group_list(em.registry))
    if parts[:2] == ["openapi", "v3"]:
        from kpy.testing import openapi

        if len(parts) == 2:
            return _json(openapi.root_document(em.registry), newline=False)
        gv = parts[2:]
        doc = (
            openapi.gv_document(em.registry, "", gv[1])
            if gv[:1] == ["api"] and len(gv) == 2
            else openapi.gv_document(em.registry, gv[1], gv[2])
            if gv[:1] == ["apis"] and len(gv) == 3
            else None
        )
        if doc is None:
            return web.Response(status=404)  # the OpenAPI v3 handler answers unknown paths with no body
        return _json(doc, newline=False)
    if parts[:1] == ["apis"] and len(parts) >= 2 and not em.registry.versions(parts[1]):
        return _page_not_found()
    if parts[:1] not in (["api"], ["apis"], ["version"]):
        return _page_not_found()
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) == 2:
        doc = discovery.api_group(em.registry, parts[1])
        if doc is None:
            raise _not_found_path()
        return _json(doc)
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_found_path()
    if not rest:
        doc = discovery.resource_list(em.registry, group, version)
        if doc is None:
            raise _not_found_path()
        return _json(doc)
    return await _resource_request(em, request, group, version, rest)


def _parse_resource_path(
    em: Emulator, group: str, version: str, rest: list[str]
) -> tuple[ResourceType, str | None, str, str, bool]:
    """(type, namespace or None for all, name, subresource, watch_segment) for the segments after G/V."""
    watch_segment = rest[0] == "watch"
    if watch_segment:
        rest = rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = em.registry.find(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise _not_found_path()
    rt = em.registry.find(group, version, rest[0])
    if rt is None:
        raise _not_found_path()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and sub not in rt.subresources:
        if rt.crd_name and name:  # the custom resource handler names the object for any unknown subresource
            raise status.not_found(rt.resource, rt.group, name)
        raise _not_found_path()
    if rt.namespaced and namespace is None and name:
        raise _not_found_path()
    return rt, namespace, name, sub, watch_segment


_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def _check_log_options(
    get: Callable[[ResourceType, str, str], Obj],
    request: web.Request,
    rt: ResourceType,
    namespace: str,
    name: str,
) -> tuple[Obj, str]:
    """The apiserver's checks of a pods/log request, in its order: query parsing (400), PodLogOptions
    validation (422), the pod (404), the container (400). The pod and the container to read."""
    q = request.query
    ints = {
        k: _int_param(request, k) if q.get(k, "") != "" else None
        for k in ("tailLines", "limitBytes", "sinceSeconds")
    }
    since_time = q.get("sinceTime", "")
    if since_time:
        status.check_since_time(since_time)
    status.pod_log_options_invalid(name, ints["tailLines"], ints["limitBytes"], ints["sinceSeconds"], since_time)
    pod = get(rt, namespace, name)
    container = q.get("container", "")
    spec = pod.get("spec") or {}
    # podutil.VisitContainers order: init containers, containers, ephemeral containers
    names = [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]
    if container and container not in names:
        raise status.bad_request(f"container {container} is not valid for pod {name}")
    if not container and len(spec.get("containers") or []) != 1:
        message = f"a container name must be specified for pod {name}"
        if spec.get("containers"):
            message += f", choose one of: [{' '.join(names)}]"
        raise status.bad_request(message)
    return pod, container or names[0]


def _is_resource_path(path: str) -> bool:
    """/api/V/... or /apis/G/V/... below the group version: authorized per resource, not per path."""
    parts = [p for p in path.split("/") if p]
    return (parts[:1] == ["api"] and len(parts) > 2) or (parts[:1] == ["apis"] and len(parts) > 3)


def _authorize(
    em: Emulator,
    request: web.Request,
    rt: ResourceType,
    namespace: str | None,
    name: str,
    sub: str,
    watch_segment: bool,
) -> None:
    """RBAC for users added with :meth:`Emulator.add_user`: they may do nothing (the admin, client
    certificates and plain HTTP may do everything)."""
    user = _USER.get()
    if user is None or user == "kpy-admin" or (user != ANONYMOUS and user not in em.tokens.values()):
        return
    method = request.method
    if method == "GET":
        verb = "watch" if watch_segment or request.query.get("watch") in _TRUE else "get" if name else "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    scope = name if rt.resource == "namespaces" and rt.group == "" and not namespace else (namespace or "")
    raise status.forbidden(user, verb, rt.resource, rt.group, name=name, namespace=scope, subresource=sub)


async def _read_body(request: web.Request, *, patch: bool = False) -> tuple[Any, str]:
    ctype = request.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
    raw = await request.read()
    if patch:
        kinds = {
            "application/json-patch+json": "json",
            "application/merge-patch+json": "merge",
            "application/strategic-merge-patch+json": "strategic",
            "application/apply-patch+yaml": "apply",
            "application/apply-patch+cbor": "apply",
        }
        if ctype not in kinds:
            raise StatusError(
                415,
                status.status_body(
                    415,
                    "UnsupportedMediaType",
                    f'the server does not support the media type "{ctype}" for this request',
                    {},
                ),
            )
        kind = kinds[ctype]
    elif ctype == "application/vnd.kubernetes.protobuf":  # kubectl's typed clients (create cm/deployment ...)
        from kpy.testing.protobuf import ProtobufError, decode_object

        try:
            return decode_object(raw), "protobuf"
        except ProtobufError as exc:
            if exc.unsupported:
                message = f"the kpy emulator cannot read this protobuf body ({exc}); send JSON"
                raise StatusError(415, status.status_body(415, "UnsupportedMediaType", message, {})) from None
            raise status.bad_request(f"couldn't get version/kind; protobuf parse error: {exc}") from None
    else:
        kind = "yaml" if ctype in ("application/yaml", "application/apply-patch+yaml") else "json"
    try:
        if kind in ("yaml", "apply"):
            import yaml

            return yaml.safe_load(raw.decode() or "null"), kind
        return json.loads(raw.decode() or "null"), kind
    except (ValueError, UnicodeDecodeError) as exc:
        what = "json parse error" if kind != "yaml" else "yaml parse error"
        raise status.bad_request(f"couldn't get version/kind; {what}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        raise status.bad_request(f"error decoding YAML: {exc}") from None


def _int_param(request: web.Request, name: str) -> int:
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


def _table(
    em: Emulator,
    request: web.Request,
    rt: ResourceType,
    objs: list[Obj],
    list_meta: Obj | None,
    no_headers: bool = False,
) -> Obj:
    from kpy.testing.tables import to_table

    include = request.query.get("includeObject", "Metadata") or "Metadata"
    return to_table(
        rt, objs, include_object=include, list_meta=list_meta, now=em.store.now(), no_headers=no_headers
    )


async def _resource_request(
    em: Emulator, request: web.Request, group: str, version: str, rest: list[str]
) -> web.StreamResponse:
    rt, namespace, name, sub, watch_segment = _parse_resource_path(em, group, version, rest)
    if em.endpoints_deprecated and (rt.group, rt.version, rt.resource) == ("", "v1", "endpoints"):
        request[WARNINGS_KEY] = [ENDPOINTS_DEPRECATED]  # every verb, errors too (the 1.33+ installer)
    method = request.method
    q = request.query
    _authorize(em, request, rt, namespace, name, sub, watch_segment)
    dry_run = q.get("dryRun") == "All"
    if sub == "portforward" and rt.resource == "pods" and namespace is not None and method in ("GET", "POST"):
        return await em.portforward(request, namespace, name)
    if sub == "log" and rt.resource == "pods" and namespace is not None and method == "GET":
        pod, container = _check_log_options(em.api.get, request, rt, namespace, name)
        return await em.logs.serve(request, pod, container)
    if sub == "token" and rt.resource == "serviceaccounts" and namespace is not None and method == "POST":
        body, _ = await _read_body(request)
        return _json(create_token(em.api, namespace, name, body, em.issued_tokens), 201)
    if method in ("POST", "PUT", "PATCH"):
        _set_write_context(request)
    if sub == "scale" and (rt.group, rt.resource) in scale.SCALABLE and namespace is not None:
        return await _scale_request(em, request, rt, namespace, name, dry_run)
    if sub not in ("", "status"):
        raise status.method_not_allowed()
    ns = namespace or ""
    table = _wants_table(request)
    if method == "GET" and (watch_segment or q.get("watch") in _TRUE):
        return await _watch(em, request, rt, namespace, name, table)
    if method == "GET" and name:
        obj = em.api.get(rt, ns, name)
        return _json(_table(em, request, rt, [obj], None) if table and not sub else obj)
    if method == "GET":
        _int_param(request, "timeoutSeconds")  # parsed (and rejected when garbage) for lists too
        result = em.api.list(
            rt,
            namespace,
            label_selector=q.get("labelSelector", ""),
            field_selector=q.get("fieldSelector", ""),
            limit=_int_param(request, "limit"),
            continue_token=q.get("continue", ""),
            resource_version=q.get("resourceVersion", ""),
            resource_version_match=q.get("resourceVersionMatch", ""),
        )
        if table:
            items = result["items"]
            if not rt.crd_name:
                items = [{"apiVersion": rt.api_version, "kind": rt.kind, **o} for o in items]
            return _json(_table(em, request, rt, items, result["metadata"]))
        return _json(result)
    if (method == "POST" and not name and namespace is not None) or (
        method == "POST" and not rt.namespaced and not name
    ):
        body, _ = await _read_body(request)
        return _json(em.api.create(rt, ns, body, dry_run=dry_run), 201)
    if method == "PUT" and name:
        body, _ = await _read_body(request)
        obj, created = em.api.update(rt, ns, name, body, subresource=sub, dry_run=dry_run)
        return _json(obj, 201 if created else 200)
    if method == "PATCH" and name:
        body, kind = await _read_body(request, patch=True)
        if kind == "apply" and not q.get("fieldManager"):
            raise status.bad_request(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                "is required for apply patch"
            )
        if kind == "apply":
            _set_write_context(request, applied=body if isinstance(body, dict) else None)
        obj, created = em.api.patch(
            rt, ns, name, kind, body, subresource=sub, dry_run=dry_run, force=q.get("force") in _TRUE
        )
        return _json(obj, 201 if created else 200)
    if method == "DELETE" and name:
        options: Obj | None = None
        raw = await request.read()
        if raw.strip():
            try:
                options = json.loads(raw)
            except ValueError as exc:
                raise status.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None
        return _json(
            em.api.delete(rt, ns, name, options if isinstance(options, dict) else None, dry_run=dry_run)
        )
    if method == "DELETE" and not sub and (namespace is not None or not rt.namespaced):
        if "deletecollection" not in rt.verbs:
            raise status.method_not_allowed()
        return _json(
            em.api.delete_collection(
                rt,
                namespace if rt.namespaced else None,
                label_selector=q.get("labelSelector", ""),
                field_selector=q.get("fieldSelector", ""),
                dry_run=dry_run,
            )
        )
    raise status.method_not_allowed()


def _set_write_context(request: web.Request, applied: dict[str, Any] | None = None) -> None:
    """Who is writing, for metadata.managedFields (this request's task only)."""
    manager = managedfields.manager_from(
        request.query.get("fieldManager", ""), request.headers.get("User-Agent", "")
    )
    operation = "Apply" if applied is not None else "Update"
    force = request.query.get("force") in _TRUE
    managedfields.CURRENT.set(managedfields.WriteContext(manager, operation, applied, force))


async def _scale_request(
    em: Emulator, request: web.Request, rt: ResourceType, namespace: str, name: str, dry_run: bool
) -> web.StreamResponse:
    if request.method == "GET":
        return _json(scale.get_scale(em.api, rt, namespace, name))
    if request.method == "PUT":
        body, _ = await _read_body(request)
        return _json(scale.write_scale(em.api, rt, namespace, name, body, dry_run=dry_run))
    if request.method == "PATCH":
        body, kind = await _read_body(request, patch=True)
        return _json(scale.patch_scale(em.api, rt, namespace, name, kind, body, dry_run=dry_run))
    raise status.method_not_allowed()


async def _watch(
    em: Emulator, request: web.Request, rt: ResourceType, namespace: str | None, name: str, table: bool
) -> web.StreamResponse:
    q = request.query
    field_sel = q.get("fieldSelector", "")
    if name:  # /watch/namespaces/NS/pods/NAME is a watch with metadata.name=NAME
        field_sel = f"metadata.name={name}" + (f",{field_sel}" if field_sel else "")
    labels, fields = parse_selectors(rt, q.get("labelSelector", ""), field_sel)
    status.check_watch_options(
        q.get("resourceVersionMatch", ""), q.get("sendInitialEvents"), q.get("continue", "")
    )
    status.check_watch_resource_version(q.get("resourceVersion", ""))
    timeout = float(_int_param(request, "timeoutSeconds") or em.watch_timeout)
    headers_sent = False

    def transform(obj: Obj) -> Obj:
        nonlocal headers_sent
        if not table:
            return obj
        out = _table(em, request, rt, [obj], None, no_headers=headers_sent)
        headers_sent = True
        return out

    req = WatchRequest(
        rt=rt,
        namespace=namespace,
        labels=labels,
        fields=fields,
        resource_version=q.get("resourceVersion", ""),
        bookmarks=q.get("allowWatchBookmarks") in _TRUE,
        timeout=timeout,
        send_initial_events=q.get("sendInitialEvents") in _TRUE,
        transform=transform,
    )
    resp = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    await resp.prepare(request)
    try:
        await serve_watch(em.api, req, resp.write, bookmark_interval=em.bookmark_interval)
    except ConnectionAbortedError:
        if request.transport is not None:
            request.transport.abort()
        return resp
    except ConnectionResetError:  # the client went away
        return resp
    with contextlib.suppress(ConnectionResetError):
        await resp.write_eof()
    return resp
