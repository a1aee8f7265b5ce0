"""``PortForwarder``: local listeners, one WebSocket per accepted connection, pod-loss detection, reconnect.

Follows client-go ``tools/portforward`` for what users see: listeners are bound per port on every address
(``localhost`` = 127.0.0.1 and ::1, where one of the two is enough), port 0 binds a free port that the other
addresses then reuse, a port that cannot be bound is reported and skipped, and no bound port at all is an
error. A connection that fails is reported and closed. When the failure is on the pod's side (the kubelet's
error channel: nothing listens on the port; a stream dropped by the kubelet) or the pod goes away, the forwarder
fails with kubectl's ``lost connection to pod``, as kubectl does; with ``reconnect=True`` it keeps serving (and
resolves the target again when the pod is gone). A local client that resets its connection is reported as that
and the forwarder goes on, as kubectl does. A dropped stream is diagnosed by asking the API server about the
pod, so the message says whether the API server, the kubelet side or the pod's deletion was the cause.

Usage::

    async with PortForwarder(client, "svc/web", ["8080:http"]) as fw:
        print(fw.listeners)
        await fw.wait()          # until fw.stop(), or raises ForwardError when the pod is lost
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kpy.errors import ConnectionFailed as ConnectionFailed_
from kpy.errors import ForwardError, KpyError, NotFound, UsageError
from kpy.portforward.events import (
    ConnectionAccepted,
    ConnectionFailed,
    ForwardEvent,
    ForwardingStarted,
    Listener,
    ListenFailed,
    PodLost,
    Reconnected,
    WatchProblem,
    join_host_port,
)
from kpy.portforward.multiplex import SPDY_UPGRADE_HEADERS, TUNNEL_SUBPROTOCOL, SpdyConnection, relay_local
from kpy.portforward.protocol import SUBPROTOCOLS
from kpy.portforward.resolve import (
    ForwardedPort,
    ListenAddress,
    Resolved,
    Target,
    parse_addresses,
    parse_target,
    resolve,
    validate_port_syntax,
)
from kpy.portforward.stream import (
    STREAM_DROPPED,
    StreamProblem,
    open_stream,
    portforward_path,
    relay,
)
from kpy.rest.logs import log, v
from kpy.streams.workers import run_in_thread

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
_NO_STREAM = StreamProblem("local", "")  # the v4 stream could not be opened (already reported)
#: how long the API server may take to answer whether a pod whose stream dropped still exists
DIAGNOSE_TIMEOUT = 10.0


def _go_errno_text(exc: OSError) -> str:
    text = os.strerror(exc.errno) if exc.errno else str(exc)
    return text[:1].lower() + text[1:]


def bind_socket(address: ListenAddress, port: int, backlog: int = socket.SOMAXCONN) -> socket.socket:
    """A listening socket like Go's ``net.Listen`` (SO_REUSEADDR; IPv6 sockets are v6-only).

    Raises ``OSError`` whose message is client-go's ``unable to create listener: Error listen ...``.
    """
    family = socket.AF_INET if address.family == "tcp4" else socket.AF_INET6
    where = f"listen {address.family} {join_host_port(address.address, port)}"
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(
            exc.errno, f"unable to create listener: Error {where}: socket: {_go_errno_text(exc)}"
        ) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address.address, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise OSError(
            exc.errno or errno.EINVAL,
            f"unable to create listener: Error {where}: bind: {_go_errno_text(exc)}",
        ) from exc
    return sock


class PortForwarder:
    """Forward local ports to a pod (or the pod behind a service/workload) of the API server ``client`` talks to.

    ``target``: ``pod/NAME``, ``NAME``, ``svc/NAME``, ``deploy/NAME``, ``rs/``, ``sts/``, ...; ``ports``:
    ``8080:80``, ``80``, ``:80`` (random local port), ``8080:http`` (named). ``on_event`` receives the
    ``kpy.portforward.events`` a CLI prints. Argument errors raise ``UsageError`` right away.
    """

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

    # -- public ----------------------------------------------------------------------------------------
    @property
    def pod(self) -> str:
        return self.resolved.pod if self.resolved else ""

    @property
    def ports(self) -> list[ForwardedPort]:
        """The numeric pairs, with bound local ports filled in."""
        return list(self._ports)

    async def __aenter__(self) -> PortForwarder:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Resolve the pod, bind the listeners, start watching the pod. Raises if no port could be bound."""
        self.resolved = await resolve(
            self.client, self.namespace, self.target, self.specs, pod_running_timeout=self.pod_running_timeout
        )
        self._ports = list(self.resolved.ports)
        try:
            await self._bind_all()
        except BaseException:
            await self.close()
            raise
        self._pod_ready.set()
        self._supervisor = asyncio.ensure_future(self._supervise())

    def stop(self) -> None:
        """Ask the forwarder to finish (safe from a signal handler); ``wait()`` then returns normally."""
        self._done.set()

    async def wait(self) -> None:
        """Until ``stop()``/``close()``; raises ``ForwardError`` (e.g. ``lost connection to pod``) on failure."""
        await self._done.wait()
        if self._failure is not None:
            raise self._failure

    async def close(self) -> None:
        """Stop listening, end open connections and the pod watch. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._done.set()
        for acceptor in self._acceptors:
            acceptor.cancel()
        tasks = [
            t
            for t in (self._supervisor, *self._acceptors, *self._connections)
            if t is not None and t is not asyncio.current_task()
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sock in self._listening:
            sock.close()
        self._listening.clear()
        if self._mux is not None:
            self._mux.close()
            self._mux = None
        self._acceptors.clear()

    # -- listeners -------------------------------------------------------------------------------------
    def _emit(self, event: ForwardEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    async def _bind_all(self) -> None:
        assert self.resolved is not None
        any_bound = False
        for index, port in enumerate(self._ports):
            errors: list[str] = []
            failures: dict[str, int] = {}
            successes: dict[str, int] = {}
            for address in self.addresses:
                try:
                    sock = bind_socket(address, port.local)
                except OSError as exc:
                    errors.append(exc.strerror or str(exc))
                    failures[address.failure_mode] = failures.get(address.failure_mode, 0) + 1
                    continue
                successes[address.failure_mode] = successes.get(address.failure_mode, 0) + 1
                bound = sock.getsockname()[1]
                port = self._ports[index] = ForwardedPort(bound, port.remote)
                listener = Listener(address.address, bound, port.remote)
                self.listeners.append(listener)
                self._listening.append(sock)
                self._acceptors.append(asyncio.ensure_future(self._accept_loop(sock, index)))
                self._emit(ForwardingStarted(listener, self.namespace, self.resolved.pod))
            failed = (successes.get("all", 0) == 0 and failures.get("all", 0) > 0) or failures.get(
                "any", 0
            ) > 0
            if failed:
                self._emit(
                    ListenFailed(
                        port.local,
                        f"Listeners failed to create with the following errors: [{' '.join(errors)}]",
                    )
                )
            if successes:
                any_bound = True
        if not any_bound:
            pairs = " ".join(f"{{{p.local} {p.remote}}}" for p in self._ports)
            raise ForwardError(f"unable to listen on any of the requested ports: [{pairs}]")

    async def _accept_loop(self, sock: socket.socket, index: int) -> None:
        """Accept connections on one listener until closed; each gets its own task (and relay threads)."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, peer = await loop.sock_accept(sock)
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # out of descriptors or memory: like Go's accept loop, back off instead of spinning
                    self._emit(
                        WatchProblem(f"error accepting connection on port {self._ports[index].local}: {exc}")
                    )
                    await asyncio.sleep(0.1)
                    continue
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    continue
                raise
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = asyncio.ensure_future(
                self._handle(conn, index, join_host_port(str(peer[0]), int(peer[1])))
            )
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    # -- one connection --------------------------------------------------------------------------------
    async def _handle(self, conn: socket.socket, index: int, peer: str | None = None) -> None:
        local = self._ports[index].local
        self.connections_handled += 1
        self._emit(ConnectionAccepted(local))
        handed_over = False
        try:
            if not await self._wait_pod_ready():
                return
            resolved = self.resolved
            assert resolved is not None
            remote = self._ports[index].remote
            try:
                if self.protocol == "v4" and self.protocol_in_use is None:
                    self.protocol_in_use = "v4"
                    log.log(v(1), "port-forward: using %s", _DESCRIPTIONS["v4"])
                mux = await self._multiplexed(resolved) if self.protocol != "v4" else None
            except NotFound as exc:
                self._emit(ConnectionFailed(local, remote, str(exc)))
                self._losses.put_nowait((resolved.pod, str(exc)))
                return
            except KpyError as exc:
                self._emit(ConnectionFailed(local, remote, str(exc)))
                return
            if mux is not None:
                handed_over = True
                problem = await self._relay_multiplexed(mux, conn, remote, peer or "")
            else:
                handed_over = True
                problem = await self._relay_v4(conn, index, remote, peer, resolved)
                if problem is _NO_STREAM:
                    return
            if problem is None:
                return
            message = problem.message
            if problem.side == "dropped":
                message = await self._diagnose_drop(resolved)
            self._emit(ConnectionFailed(local, remote, message))
            if problem.side != "local" and not self.reconnect:
                # kubectl: a stream that fails on the pod's side ends the whole session
                self._fail(ForwardError("lost connection to pod"))
        finally:
            if not handed_over:
                conn.close()

    async def _relay_v4(
        self, conn: socket.socket, index: int, remote: int, peer: str | None, resolved: Resolved
    ) -> StreamProblem | None:
        """One WebSocket for this connection (v4.channel.k8s.io)."""
        local = self._ports[index].local
        try:
            try:
                ws = await open_stream(
                    self.client, resolved.namespace, resolved.pod, [remote], self.subprotocols
                )
            except NotFound as exc:
                self._emit(ConnectionFailed(local, remote, str(exc)))
                self._losses.put_nowait((resolved.pod, str(exc)))
                conn.close()
                return _NO_STREAM
            except KpyError as exc:
                self._emit(ConnectionFailed(local, remote, str(exc)))
                conn.close()
                return _NO_STREAM
        except BaseException:
            conn.close()
            raise
        return await relay(ws, conn, remote, peer)  # the relay closes both sockets

    async def _relay_multiplexed(
        self, mux: SpdyConnection, conn: socket.socket, remote: int, peer: str
    ) -> StreamProblem | None:
        """A stream pair on the shared SPDY connection for this local connection."""
        conn.setblocking(True)

        def run() -> StreamProblem | None:  # in a thread: opening the streams may wait for the connection
            try:
                forward = mux.open(conn, remote, peer)
            except OSError:
                conn.close()
                return StreamProblem("dropped", STREAM_DROPPED)
            return relay_local(mux, forward)

        done = run_in_thread(run, name="kpy-pf-up")
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(done, 10.0)
            raise

    async def _multiplexed(self, resolved: Resolved) -> SpdyConnection | None:
        """The SPDY connection every local connection shares (dialled on first need, and again after it
        broke or the pod changed); None when v4 is the protocol to use."""
        async with self._dial_lock:
            if self.protocol_in_use == "v4":
                return None
            mux = self._mux
            if mux is not None and not mux.closed.is_set() and self._mux_pod == resolved.pod:
                return mux
            if mux is not None:
                mux.close()
                self._mux = None
            order = [self.protocol_in_use] if self.protocol_in_use else _ORDER[self.protocol]
            last: KpyError | None = None
            for name in order:
                try:
                    mux = await self._dial(name, resolved)
                except NotFound:
                    raise
                except KpyError as exc:  # the server does not speak it: try the next one
                    log.log(v(4), "port-forward: %s refused: %s", name, exc)
                    last = exc
                    if self.protocol != "auto":
                        raise
                    continue
                if self.protocol_in_use != name:
                    log.log(v(1), "port-forward: using %s", _DESCRIPTIONS[name])
                self.protocol_in_use = name
                self._mux, self._mux_pod = mux, resolved.pod
                return mux
            assert last is not None
            raise last

    async def _dial(self, name: str, resolved: Resolved) -> SpdyConnection | None:
        path = portforward_path(resolved.namespace, resolved.pod)
        if name == "v4":
            return None
        if name == "tunnel":
            try:
                ws = await self.client.dial_websocket(path, None, [TUNNEL_SUBPROTOCOL], throttle=False)
            except ConnectionFailed_ as exc:
                raise ConnectionFailed_(f"error upgrading connection: {exc}", exc.host) from exc
            if ws.subprotocol != TUNNEL_SUBPROTOCOL:
                ws.close()
                raise ForwardError(f"the server did not accept the {TUNNEL_SUBPROTOCOL} subprotocol")
            return SpdyConnection(ws.sock, ws.leftover, tunnel=True)
        try:
            up = await self.client.dial_upgrade(path, None, SPDY_UPGRADE_HEADERS, throttle=False)
        except ConnectionFailed_ as exc:
            raise ConnectionFailed_(f"error upgrading connection: {exc}", exc.host) from exc
        return SpdyConnection(up.sock, up.leftover, tunnel=False)

    async def _diagnose_drop(self, resolved: Resolved) -> str:
        """A stream dropped without a close frame: ask the API server about the pod, to say whose side failed."""
        from kpy.errors import ConnectionFailed as Unreachable

        try:
            await self.client.request(
                "GET",
                f"/api/v1/namespaces/{resolved.namespace}/pods/{resolved.pod}",
                timeout=DIAGNOSE_TIMEOUT,
            )
        except NotFound as exc:
            self._losses.put_nowait((resolved.pod, str(exc)))
            return f"{STREAM_DROPPED}: {exc}"
        except Unreachable as exc:
            return f"{STREAM_DROPPED}, and the API server cannot be reached: {exc}"
        except KpyError as exc:
            return f"{STREAM_DROPPED} ({exc.format()})"
        return f"{STREAM_DROPPED} by the pod's side (the kubelet or its node); the API server is reachable"

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

    async def _supervise(self) -> None:
        while not self._done.is_set():
            resolved = self.resolved
            assert resolved is not None
            watcher = asyncio.ensure_future(self._watch(resolved)) if self.watch_pod else None
            try:
                while True:
                    pod, reason = await self._losses.get()
                    if pod == resolved.pod:
                        break
            finally:
                if watcher is not None:
                    watcher.cancel()
                    await asyncio.gather(watcher, return_exceptions=True)
            self._emit(PodLost(resolved.namespace, resolved.pod, reason))
            if not self.reconnect:
                self._fail(ForwardError("lost connection to pod"))
                return
            self._pod_ready.clear()
            try:
                fresh = await resolve(
                    self.client,
                    self.namespace,
                    self.target,
                    self.specs,
                    pod_running_timeout=self.pod_running_timeout,
                    wait_for_pod_target=True,
                )
            except KpyError as exc:
                self._fail(exc)
                return
            self._ports = [
                ForwardedPort(old.local, new.remote)
                for old, new in zip(self._ports, fresh.ports, strict=True)
            ]
            self.listeners = [
                Listener(li.address, li.local_port, self._remote_for(li.local_port)) for li in self.listeners
            ]
            self.resolved = fresh
            self._emit(
                Reconnected(fresh.namespace, resolved.pod, fresh.pod, tuple(p.remote for p in self._ports))
            )
            self._pod_ready.set()

    def _remote_for(self, local: int) -> int:
        for port in self._ports:
            if port.local == local:
                return port.remote
        return 0

    async def _watch(self, resolved: Resolved) -> None:
        """Report (via the loss queue) when the forwarded pod is deleted, replaced or finished."""
        from kpy.rest.discovery_docs import ResourceInfo
        from kpy.rest.watch import Reflector

        info = ResourceInfo(group="", version="v1", resource="pods", kind="Pod", namespaced=True)
        seen = False
        try:
            async for event in Reflector(
                self.client, info, resolved.namespace, field_selector=f"metadata.name={resolved.pod}"
            ):
                reason = ""
                if event.type == "SYNCED":
                    if not seen:
                        reason = f'pods "{resolved.pod}" not found'
                elif event.type == "DELETED":
                    reason = f'pod "{resolved.pod}" was deleted'
                else:
                    seen = True
                    meta = event.object.get("metadata") or {}
                    phase = (event.object.get("status") or {}).get("phase", "")
                    if resolved.pod_uid and meta.get("uid") and meta.get("uid") != resolved.pod_uid:
                        reason = f'pod "{resolved.pod}" was replaced'
                    elif phase in ("Succeeded", "Failed"):
                        reason = f'pod "{resolved.pod}" is no longer running (phase {phase})'
                if reason:
                    self._losses.put_nowait((resolved.pod, reason))
                    return
        except KpyError as exc:
            self._emit(WatchProblem(f"cannot watch pod {resolved.pod}: {exc}"))


__all__ = ["PortForwarder", "bind_socket"]
