"""``POST serviceaccounts/NAME/token`` (``kubectl create token``): see :mod:`kpy.testing.tokens`."""

from __future__ import annotations

from aiohttp import web

from kpy.testing import status
from kpy.testing.httpio import json_response, read_body
from kpy.testing.subresources.base import SubresourceCall
from kpy.testing.tokens import create_token


async def serviceaccount_token(call: SubresourceCall) -> web.StreamResponse:
    if call.method != "POST":
        raise status.method_not_allowed()
    body, _ = await read_body(call.request)
    return json_response(
        create_token(call.ctx.api, call.namespace, call.name, body, call.ctx.issued_tokens), 201
    )
