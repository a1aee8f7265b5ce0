"""``PortForwarder``'s state: its arguments, the listeners and connections it keeps, events, failure and the
wait for a ready pod (see ``kpy.portforward.forwarder``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kpy.errors import KpyError, UsageError
from kpy.portforward.events import (
    ForwardEvent,
    Listener,
)
from kpy.portforward.multiplex import TUNNEL_SUBPROTOCOL, SpdyConnection
from kpy.portforward.protocol import SUBPROTOCOLS
from kpy.portforward.resolve import (
    ForwardedPort,
    Resolved,
    Target,
    parse_addresses,
    parse_target,
    validate_port_syntax,
)
from kpy.portforward.stream import (
    StreamProblem,
)

if TYPE_CHECKING:
    from kpy.rest import RestClient
EventHandler = Callable[[ForwardEvent], None]
#: ``--protocol``: auto tries the WebSocket tunnel, then SPDY over an HTTP upgrade, then v4 (kubectl's order)
PROTOCOLS = ("auto", "tunnel", "spdy", "v4")
_ORDER = {"auto": ["tunnel", "spdy", "v4"], "tunnel": ["tunnel"], "spdy": ["spdy"], "v4": ["v4"]}
_DESCRIPTIONS = {
    "tunnel": f"SPDY/3.1 tunnelled in a WebSocket ({TUNNEL_SUBPROTOCOL}), one connection for all",
    "spdy": "SPDY/3.1 over an HTTP upgrade, one connection for all",
    "v4": "WebSocket v4.channel.k8s.io, one connection per local connection (no half-close)",
}
_NAMES = {"tunnel": "the SPDY tunnel", "spdy": "SPDY over an HTTP upgrade", "v4": "v4"}
_NO_STREAM = StreamProblem("local", "")  # the v4 stream could not be opened (already reported)
#: how long the API server may take to answer whether a pod whose stream dropped still exists
DIAGNOSE_TIMEOUT = 10.0


class ForwarderCore:
    """What the parts of ``PortForwarder`` share."""

    def __init__(
        self,
        client: RestClient,
        target: str | Target,
        ports: Sequence[str],
        *,
        namespace: str | None = None,
        addresses: Sequence[str] = ("localhost",),
        pod_running_timeout: float = 60.0,
        reconnect: bool = False,
        on_event: EventHandler | None = None,
        watch_pod: bool = True,
        subprotocols: Sequence[str] = SUBPROTOCOLS,
        protocol: str = "auto",
    ) -> None:
        self.client = client
        self.target = parse_target(target) if isinstance(target, str) else target
        self.specs = validate_port_syntax(list(ports))
        self.addresses = parse_addresses(list(addresses))
        self.namespace = namespace or client.config.namespace
        self.pod_running_timeout = pod_running_timeout
        self.reconnect = reconnect
        self.watch_pod = watch_pod
        self.subprotocols = tuple(subprotocols)
        if protocol not in PROTOCOLS:
            raise UsageError(
                f'invalid argument "{protocol}" for "--protocol" flag: must be one of {", ".join(PROTOCOLS)}'
            )
        self.protocol = protocol
        #: the protocol in use once the first connection was made: "tunnel", "spdy" or "v4"
        self.protocol_in_use: str | None = None
        self._mux: SpdyConnection | None = None
        self._mux_pod = ""
        self._dial_lock = asyncio.Lock()
        self._on_event = on_event
        self.listeners: list[Listener] = []
        self.resolved: Resolved | None = None
        self._ports: list[ForwardedPort] = []
        self._listening: list[socket.socket] = []
        self._acceptors: list[asyncio.Task[None]] = []
        self._connections: set[asyncio.Task[Any]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._losses: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._pod_ready = asyncio.Event()
        self._done = asyncio.Event()
        self._failure: KpyError | None = None
        self._closed = False
        #: connections handled so far (for tests and -v output)
        self.connections_handled = 0
        self._half_close_told = False

    # -- public ----------------------------------------------------------------------------------------
    @property
    def pod(self) -> str:
        return self.resolved.pod if self.resolved else ""

    @property
    def ports(self) -> list[ForwardedPort]:
        """The numeric pairs, with bound local ports filled in."""
        return list(self._ports)

    def _emit(self, event: ForwardEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    async def _wait_pod_ready(self) -> bool:
        if self._pod_ready.is_set():
            return True
        ready = asyncio.ensure_future(self._pod_ready.wait())
        done = asyncio.ensure_future(self._done.wait())
        try:
            await asyncio.wait({ready, done}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            done.cancel()
        return self._pod_ready.is_set() and not self._done.is_set()

    # -- pod loss --------------------------------------------------------------------------------------
    def _fail(self, exc: KpyError) -> None:
        if self._failure is None:
            self._failure = exc
        self._done.set()
