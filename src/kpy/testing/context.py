"""What the emulator's HTTP layer needs from the emulator: :class:`ServerContext`, a structural interface that
:class:`kpy.testing.Emulator` satisfies. The handlers in :mod:`kpy.testing.server`,
:mod:`kpy.testing.authn` and :mod:`kpy.testing.subresources` see only this, not the whole ``Emulator``
(and do not import it: no import cycle between the emulator and its server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from kpy.testing.api import Api
    from kpy.testing.csrsigner import Signers
    from kpy.testing.exec import ExecService
    from kpy.testing.faults import Faults
    from kpy.testing.podlogs import PodLogs
    from kpy.testing.requestlog import RequestLog
    from kpy.testing.resources import ResourceRegistry
    from kpy.testing.store import Store
    from kpy.testing.tokens import IssuedToken


class ServerContext(Protocol):
    """The state a request handler reads: types, objects, users, fault switches, per-pod fixtures."""

    registry: ResourceRegistry
    api: Api
    store: Store
    faults: Faults
    requests: RequestLog
    #: serving HTTPS (else plain HTTP, where every request is the admin's)
    tls: bool
    #: bearer token -> user name
    tokens: dict[str, str]
    #: tokens issued through serviceaccounts/NAME/token
    issued_tokens: dict[str, IssuedToken]
    #: container logs, served by pods/NAME/log as the kubelet does
    logs: PodLogs
    endpoints_deprecated: bool
    #: the CSR signers (which issue, deny, never answer) and the CA they issue from (PEM)
    signers: Signers
    ca_pem: bytes
    ca_key_pem: bytes
    watch_timeout: float
    bookmark_interval: float
    #: pods/NAME/exec (the kubelet side)
    exec: ExecService

    async def portforward(self, request: web.Request, namespace: str, pod: str) -> web.StreamResponse:
        """Serve ``pods/NAME/portforward`` (the pod exists; the kubelet side)."""
        ...
