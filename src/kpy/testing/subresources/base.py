"""The request a subresource handler receives: :class:`SubresourceCall`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from kpy.testing.context import ServerContext
from kpy.testing.resources import ResourceType


@dataclass(frozen=True)
class SubresourceCall:
    """One authenticated, authorized request for ``NAMESPACE/RESOURCE/NAME/SUBRESOURCE``."""

    ctx: ServerContext
    request: web.Request
    rt: ResourceType
    #: "" for cluster-scoped types
    namespace: str
    name: str
    subresource: str
    #: ``?dryRun=All``
    dry_run: bool

    @property
    def method(self) -> str:
        return self.request.method
