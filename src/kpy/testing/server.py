"""The emulator's HTTP layer: aiohttp routes for discovery, resources, watch, Table output and subresources.

Request flow: middleware (request log, pause, latency, authentication, injected failures) -> ``dispatch``
parses the API path (``/api/v1/...``, ``/apis/G/V/...``, optional ``watch/`` segment) into a resource type,
namespace, name and subresource, then calls :class:`kpy.testing.api.Api` (or a handler of
:mod:`kpy.testing.subresources`). Errors are Status bodies. Handlers see a
:class:`~kpy.testing.context.ServerContext`, not the ``Emulator``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kpy.rest.warnings import format_warning_header
from kpy.testing import discovery, fieldcheck, status
from kpy.testing.authn import ANONYMOUS, CURRENT_USER, PUBLIC_PATHS, authenticate, authorize, is_resource_path
from kpy.testing.context import ServerContext
from kpy.testing.defaults import create_warnings
from kpy.testing.httpio import (
    TRUE,
    WARNINGS_KEY,
    aggregated_accept,
    error_response,
    int_param,
    json_response,
    not_found_path,
    page_not_found,
    read_body,
    set_write_context,
    wants_table,
)
from kpy.testing.listing import parse_selectors
from kpy.testing.requestlog import RequestRecord
from kpy.testing.resources import ResourceType
from kpy.testing.status import StatusError
from kpy.testing.subresources import SubresourceCall, create_handler_for, handler_for
from kpy.testing.watch import WatchRequest, serve_watch

Obj = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ENDPOINTS_DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def _redacted(headers: Any) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in headers.items()}


def build_app(ctx: ServerContext) -> web.Application:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RequestRecord(
            request.method, request.path, dict(request.query), headers=_redacted(request.headers)
        )
        ctx.requests.append(record)
        try:
            await ctx.faults.wait_running()
            delay = ctx.faults.delay_for(request.path)
            if delay > 0:
                await asyncio.sleep(delay)
            user = authenticate(ctx, request) or ANONYMOUS  # anonymous auth: kube-apiserver's default
            record.user = user
            CURRENT_USER.set(user)
            if user == ANONYMOUS and request.path not in PUBLIC_PATHS and not is_resource_path(request.path):
                raise status.forbidden_path(user, request.path)
            forbidden = ctx.faults.forbidden(request.method, request.path, request.query)
            if forbidden is not None:
                raise forbidden
            rule = ctx.faults.take_failure(request.method, request.path)
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
        return compress(request, resp)

    app = web.Application(middlewares=[middleware], client_max_size=64 << 20)

    async def add_warnings(request: web.Request, response: web.StreamResponse) -> None:
        for text in request.get(WARNINGS_KEY, ()):
            response.headers.add("Warning", format_warning_header(text))

    app.on_response_prepare.append(add_warnings)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await dispatch(ctx, request)

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def dispatch(ctx: ServerContext, request: web.Request) -> web.StreamResponse:
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
        agg = aggregated_accept(request)
        if agg:
            return json_response(
                discovery.aggregated(ctx.registry, True, agg),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList",
            )
        return json_response(discovery.api_versions(f"{request.url.host}:{request.url.port}"))
    if path == "/apis":
        agg = aggregated_accept(request)
        if agg:
            return json_response(
                discovery.aggregated(ctx.registry, False, agg),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList",
            )
        return json_response(discovery.api_group_list(ctx.registry))
    if parts[:2] == ["openapi", "v3"]:
        from kpy.testing import openapi

        if len(parts) == 2:
            return json_response(openapi.root_document(ctx.registry), newline=False)
        gv = parts[2:]
        doc = (
            openapi.gv_document(ctx.registry, "", gv[1])
            if gv[:1] == ["api"] and len(gv) == 2
            else openapi.gv_document(ctx.registry, gv[1], gv[2])
            if gv[:1] == ["apis"] and len(gv) == 3
            else None
        )
        if doc is None:
            return web.Response(status=404)  # the OpenAPI v3 handler answers unknown paths with no body
        return json_response(doc, newline=False)
    if parts[:1] == ["apis"] and len(parts) >= 2 and not ctx.registry.versions(parts[1]):
        return page_not_found()
    if parts[:1] not in (["api"], ["apis"], ["version"]):
        return page_not_found()
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) == 2:
        doc = discovery.api_group(ctx.registry, parts[1])
        if doc is None:
            raise not_found_path()
        return json_response(doc)
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found_path()
    if not rest:
        doc = discovery.resource_list(ctx.registry, group, version)
        if doc is None:
            raise not_found_path()
        return json_response(doc)
    return await _resource_request(ctx, request, group, version, rest)


def _parse_resource_path(
    ctx: ServerContext, group: str, version: str, rest: list[str]
) -> tuple[ResourceType, str | None, str, str, bool]:
    """(type, namespace or None for all, name, subresource, watch_segment) for the segments after G/V."""
    watch_segment = rest[0] == "watch"
    if watch_segment:
        rest = rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = ctx.registry.find(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise not_found_path()
    rt = ctx.registry.find(group, version, rest[0])
    if rt is None:
        raise not_found_path()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and sub not in rt.subresources:
        if rt.crd_name and name:  # the custom resource handler names the object for any unknown subresource
            raise status.not_found(rt.resource, rt.group, name)
        raise not_found_path()
    if rt.namespaced and namespace is None and name:
        raise not_found_path()
    return rt, namespace, name, sub, watch_segment


def _table(
    ctx: ServerContext,
    request: web.Request,
    rt: ResourceType,
    objs: list[Obj],
    list_meta: Obj | None,
    no_headers: bool = False,
) -> Obj:
    from kpy.testing.tables import to_table

    include = request.query.get("includeObject", "Metadata") or "Metadata"
    return to_table(
        rt, objs, include_object=include, list_meta=list_meta, now=ctx.store.now(), no_headers=no_headers
    )


async def _resource_request(
    ctx: ServerContext, request: web.Request, group: str, version: str, rest: list[str]
) -> web.StreamResponse:
    rt, namespace, name, sub, watch_segment = _parse_resource_path(ctx, group, version, rest)
    if ctx.endpoints_deprecated and (rt.group, rt.version, rt.resource) == ("", "v1", "endpoints"):
        request[WARNINGS_KEY] = [ENDPOINTS_DEPRECATED]  # every verb, errors too (the 1.33+ installer)
    method = request.method
    q = request.query
    authorize(ctx, request, rt, namespace, name, sub, watch_segment)
    dry_run = q.get("dryRun") == "All"
    handler = handler_for(rt.group, rt.resource, sub) if sub else None
    if handler is not None:
        return await handler(SubresourceCall(ctx, request, rt, namespace or "", name, sub, dry_run))
    creator = create_handler_for(rt.group, rt.resource) if method == "POST" and not name else None
    if creator is not None:
        return await creator(SubresourceCall(ctx, request, rt, namespace or "", name, sub, dry_run))
    if method in ("POST", "PUT", "PATCH"):
        set_write_context(request)
    if sub not in ("", "status"):
        raise status.method_not_allowed()
    ns = namespace or ""
    table = wants_table(request)
    if method == "GET" and (watch_segment or q.get("watch") in TRUE):
        return await _watch(ctx, request, rt, namespace, name, table)
    if method == "GET" and name:
        obj = ctx.api.get(rt, ns, name)
        return json_response(_table(ctx, request, rt, [obj], None) if table and not sub else obj)
    if method == "GET":
        int_param(request, "timeoutSeconds")  # parsed (and rejected when garbage) for lists too
        result = ctx.api.list(
            rt,
            namespace,
            label_selector=q.get("labelSelector", ""),
            field_selector=q.get("fieldSelector", ""),
            limit=int_param(request, "limit"),
            continue_token=q.get("continue", ""),
            resource_version=q.get("resourceVersion", ""),
            resource_version_match=q.get("resourceVersionMatch", ""),
        )
        if table:
            items = result["items"]
            if not rt.crd_name:
                items = [{"apiVersion": rt.api_version, "kind": rt.kind, **o} for o in items]
            return json_response(_table(ctx, request, rt, items, result["metadata"]))
        return json_response(result)
    if (method == "POST" and not name and namespace is not None) or (
        method == "POST" and not rt.namespaced and not name
    ):
        fieldcheck.check_mode(q.get("fieldValidation", ""), "CreateOptions")
        body, _ = await read_body(request, kind=rt.kind)
        body = fieldcheck.screen(rt, body, q.get("fieldValidation", ""), _warnings(request))
        result = ctx.api.create(rt, ns, body, dry_run=dry_run)
        _warnings(request).extend(create_warnings(rt, body))
        return json_response(result, 201)
    if method == "PUT" and name:
        fieldcheck.check_mode(q.get("fieldValidation", ""), "UpdateOptions")
        body, _ = await read_body(request, kind=rt.kind)
        body = fieldcheck.screen(rt, body, q.get("fieldValidation", ""), _warnings(request))
        obj, created = ctx.api.update(rt, ns, name, body, subresource=sub, dry_run=dry_run)
        return json_response(obj, 201 if created else 200)
    if method == "PATCH" and name:
        body, kind = await read_body(request, patch=True)
        if kind == "apply" and not q.get("fieldManager"):
            raise status.bad_request(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                "is required for apply patch"
            )
        if kind == "apply":
            set_write_context(request, applied=body if isinstance(body, dict) else None)
        obj, created = ctx.api.patch(
            rt, ns, name, kind, body, subresource=sub, dry_run=dry_run, force=q.get("force") in TRUE
        )
        return json_response(obj, 201 if created else 200)
    if method == "DELETE" and name:
        options: Obj | None = None
        raw = await request.read()
        if raw.strip():
            try:
                options = json.loads(raw)
            except ValueError as exc:
                raise status.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None
        return json_response(
            ctx.api.delete(rt, ns, name, options if isinstance(options, dict) else None, dry_run=dry_run)
        )
    if method == "DELETE" and not sub and (namespace is not None or not rt.namespaced):
        if "deletecollection" not in rt.verbs:
            raise status.method_not_allowed()
        return json_response(
            ctx.api.delete_collection(
                rt,
                namespace if rt.namespaced else None,
                label_selector=q.get("labelSelector", ""),
                field_selector=q.get("fieldSelector", ""),
                dry_run=dry_run,
            )
        )
    raise status.method_not_allowed()


def _warnings(request: web.Request) -> list[str]:
    """The request's list of ``Warning`` header texts (created on first use)."""
    found: list[str] | None = request.get(WARNINGS_KEY)
    if found is None:
        found = []
        request[WARNINGS_KEY] = found
    return found


async def _watch(
    ctx: ServerContext, request: web.Request, rt: ResourceType, namespace: str | None, name: str, table: bool
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
    timeout = float(int_param(request, "timeoutSeconds") or ctx.watch_timeout)
    headers_sent = False

    def transform(obj: Obj) -> Obj:
        nonlocal headers_sent
        if not table:
            return obj
        out = _table(ctx, request, rt, [obj], None, no_headers=headers_sent)
        headers_sent = True
        return out

    req = WatchRequest(
        rt=rt,
        namespace=namespace,
        labels=labels,
        fields=fields,
        resource_version=q.get("resourceVersion", ""),
        bookmarks=q.get("allowWatchBookmarks") in TRUE,
        timeout=timeout,
        send_initial_events=q.get("sendInitialEvents") in TRUE,
        transform=transform,
    )
    resp = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    await resp.prepare(request)
    try:
        await serve_watch(ctx.api, req, resp.write, bookmark_interval=ctx.bookmark_interval)
    except ConnectionAbortedError:
        if request.transport is not None:
            request.transport.abort()
        return resp
    except ConnectionResetError:  # the client went away
        return resp
    with contextlib.suppress(ConnectionResetError):
        await resp.write_eof()
    return resp


#: kube-apiserver gzips a response larger than this (its first write, in practice the whole body) when the
#: client asks for gzip (responsewriters: defaultGzipThresholdBytes), at level 1
GZIP_THRESHOLD = 128 * 1024


def compress(request: web.Request, resp: web.StreamResponse) -> web.StreamResponse:
    """A whole response body over ``GZIP_THRESHOLD`` bytes gzipped, with ``Vary: Accept-Encoding``, when the
    request's Accept-Encoding lists the token ``gzip`` as such (APIResponseCompression, on by default; a
    ``gzip;q=0.5`` is not that token, and watches, logs and upgrades are streams: never compressed)."""
    if not isinstance(resp, web.Response):  # a stream
        return resp
    body = resp.body
    if not isinstance(body, bytes) or len(body) <= GZIP_THRESHOLD:
        return resp
    if not any(token.strip() == "gzip" for token in request.headers.get("Accept-Encoding", "").split(",")):
        return resp
    resp.body = gzip.compress(body, compresslevel=1, mtime=0)
    resp.headers["Content-Encoding"] = "gzip"
    resp.headers.add("Vary", "Accept-Encoding")
    return resp
