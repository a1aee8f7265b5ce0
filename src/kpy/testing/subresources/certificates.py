"""certificates.k8s.io CSRs and SelfSubjectReview over HTTP (the rules are :mod:`kpy.testing.certificates`
and :mod:`kpy.testing.userinfo`): ``POST certificatesigningrequests`` (the requestor's identity goes into
``spec``), ``PUT certificatesigningrequests/NAME/approval`` (approve/deny, then the signer's turn) and
``POST selfsubjectreviews`` and ``POST selfsubjectaccessreviews`` (:mod:`kpy.testing.accessreview`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kpy.testing import accessreview, certificates, csrsigner, rbac, status, userinfo
from kpy.testing.api import status_time
from kpy.testing.httpio import json_response, read_body, set_write_context
from kpy.testing.subresources.base import SubresourceCall


def _user() -> userinfo.UserInfo:
    return userinfo.CURRENT_INFO.get() or userinfo.ADMIN


async def _new_object(call: SubresourceCall) -> dict[str, Any]:
    """The object a PUT sends, or what a PATCH would make of the stored one (not written yet)."""
    if call.method == "PUT":
        body, _ = await read_body(call.request)
        return body if isinstance(body, dict) else {}
    if call.method == "PATCH":
        body, kind = await read_body(call.request, patch=True)
        patched, _ = call.ctx.api.patch(
            call.rt, "", call.name, kind, body, subresource="status", dry_run=True
        )
        return patched
    raise status.method_not_allowed()


async def csr_create(call: SubresourceCall) -> web.StreamResponse:
    body, _ = await read_body(call.request)
    set_write_context(call.request)
    api = call.ctx.api
    created = api.create(call.rt, "", certificates.prepare_create(body, _user()), dry_run=call.dry_run)
    if not call.dry_run:
        csrsigner.after_create(api, call.rt, call.ctx.signers, created)
    return json_response(created, 201)


async def csr_approval(call: SubresourceCall) -> web.StreamResponse:
    api, rt, name = call.ctx.api, call.rt, call.name
    if call.method == "GET":
        return json_response(api.get(rt, "", name))
    current = api.get(rt, "", name)
    new = await _new_object(call)
    signer = str((current.get("spec") or {}).get("signerName", ""))
    user = _user()
    names = (signer, f"{signer.split('/')[0]}/*")
    if not any(
        rbac.allows(call.ctx.store, user, "approve", certificates.GROUP, "signers", "", n) for n in names
    ):
        raise certificates.approval_forbidden(name, signer)
    rv = (new.get("metadata") or {}).get("resourceVersion")
    if call.method == "PUT" and rv and rv != current["metadata"].get("resourceVersion"):
        raise status.conflict(rt.resource, rt.group, name)  # the precondition goes before validation
    stored = certificates.validate_status_update(name, current, new.get("status"), approval=True)
    updated = dict(current)
    updated["status"] = {
        **stored,
        "conditions": certificates.with_defaults(stored.get("conditions") or [], status_time(call.ctx.store)),
    }
    set_write_context(call.request)
    result, _ = api.update(rt, "", name, updated, subresource="status", dry_run=call.dry_run)
    if not call.dry_run:
        csrsigner.after_approval(api, rt, call.ctx.signers, result, (call.ctx.ca_pem, call.ctx.ca_key_pem))
    return json_response(result)


async def self_subject_review(call: SubresourceCall) -> web.StreamResponse:
    body, _ = await read_body(call.request)
    return json_response(userinfo.self_subject_review(body, _user(), call.ctx.store.now()), 201)


async def csr_status(call: SubresourceCall) -> web.StreamResponse:
    """``/status``: what a signer writes (the certificate, a Failed condition), checked as upstream does."""
    api, rt, name = call.ctx.api, call.rt, call.name
    if call.method == "GET":
        return json_response(api.get(rt, "", name))
    current = api.get(rt, "", name)
    new = await _new_object(call)
    rv = (new.get("metadata") or {}).get("resourceVersion")
    if call.method == "PUT" and rv and rv != current["metadata"].get("resourceVersion"):
        raise status.conflict(rt.resource, rt.group, name)
    stored = certificates.validate_status_update(name, current, new.get("status"), approval=False)
    if "conditions" in stored:
        stored["conditions"] = certificates.with_defaults(stored["conditions"], status_time(call.ctx.store))
    set_write_context(call.request)
    result, _ = api.update(
        rt, "", name, {**current, "status": stored}, subresource="status", dry_run=call.dry_run
    )
    return json_response(result)


async def self_subject_access_review(call: SubresourceCall) -> web.StreamResponse:
    body, _ = await read_body(call.request)
    set_write_context(call.request)
    answer = accessreview.review(body, _user(), call.ctx.store, status_time(call.ctx.store))
    return json_response(answer, 201)


async def self_subject_rules_review(call: SubresourceCall) -> web.StreamResponse:
    body, _ = await read_body(call.request)
    return json_response(accessreview.rules_review(body, _user(), call.ctx.store), 201)
