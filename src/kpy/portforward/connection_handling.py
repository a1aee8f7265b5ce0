"""``PortForwarder``'s handling of one accepted connection: the stream to the pod (one v4 WebSocket, or a
stream on the shared SPDY connection: tunnelled or upgraded, in ``--protocol``'s order), the relay, and the
diagnosis of a dropped stream."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

from kpy.errors import ConnectionFailed as ConnectionFailed_
from kpy.errors import ForwardError, KpyError, NotFound
from kpy.portforward.events import (
    ConnectionAccepted,
    ConnectionFailed,
    HalfCloseUnsupported,
)
from kpy.portforward.forwarder_core import (
    _DESCRIPTIONS,
    _NAMES,
    _NO_STREAM,
    _ORDER,
    DIAGNOSE_TIMEOUT,
    ForwarderCore,
)
from kpy.portforward.multiplex import (
    SPDY_UPGRADE_HEADERS,
    TUNNEL_SUBPROTOCOL,
    Quiet,
    SpdyConnection,
    relay_local,
)
from kpy.portforward.resolve import (
    Resolved,
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
    pass


#: how long a new connection's first bytes are awaited on the event loop before its thread reads them
FIRST_WAIT = 0.05
#: how long a connection's client may send nothing before its thread goes back to the pool (the event loop
#: waits for its next bytes): a quiet keep-alive connection holds no thread
QUIET_AFTER = 1.0


async def _readable(sock: socket.socket, timeout: float | None) -> None:
    """Until ``sock`` has something to read (data, EOF, an error) or ``timeout`` seconds passed (None: no
    limit). Returns at once on an event loop without readiness callbacks."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = sock.fileno()
    try:
        loop.add_reader(fd, wake)
    except NotImplementedError:  # an event loop without readiness callbacks (Windows' proactor)
        return
    timer = loop.call_later(timeout, wake) if timeout is not None else None
    try:
        await ready
    finally:
        loop.remove_reader(fd)
        if timer is not None:
            timer.cancel()


class ConnectionHandling(ForwarderCore):
    """``_handle`` (one local connection) and what it needs."""

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
            if problem.side == "dropped" and message == STREAM_DROPPED:  # nothing said why: ask
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
        loop = asyncio.get_running_loop()

        def unanswered_eof() -> None:  # in the relay's thread
            if not self._half_close_told:
                self._half_close_told = True
                loop.call_soon_threadsafe(self._emit, HalfCloseUnsupported(local))

        return await relay(ws, conn, remote, peer, unanswered_eof)  # the relay closes both sockets

    async def _relay_multiplexed(
        self, mux: SpdyConnection, conn: socket.socket, remote: int, peer: str
    ) -> StreamProblem | None:
        """A stream pair on the shared SPDY connection for this local connection: opened right here when
        that cannot block (no thread between the accept and the first bytes to the pod), else in the thread."""
        # blocking from now on: the reader thread writes the pod's bytes to it as soon as the streams are open
        # (the reads here do not wait: MSG_DONTWAIT)
        conn.setblocking(True)
        try:
            opened = mux.open_now(conn, remote, peer)
        except OSError:
            conn.close()
            return StreamProblem("dropped", STREAM_DROPPED)
        cancelled = False
        if opened is not None:
            try:
                if opened.waiting_first:
                    # the client's first bytes usually follow its connect at once: send them from here too
                    await _readable(conn, FIRST_WAIT)
                    mux.send_first(opened)
                # The thread that reads the local client starts once it has more to read (data, its EOF, or
                # the socket shut down because the pod's side ended or the connection broke): waking a
                # thread costs the event loop ~0.1-0.3 ms while the new stream's answer is on its way, and an
                # idle connection holds no thread meanwhile (nor later: the thread comes back here once the
                # client has been quiet for QUIET_AFTER). Nothing waits on it: the pod's bytes reach the
                # local client from the connection's reader thread.
                await _readable(conn, None)
            except asyncio.CancelledError:
                cancelled = True

        forward = opened

        def run() -> (
            StreamProblem | Quiet | None
        ):  # in a thread: opening the streams may wait for the connection
            nonlocal forward
            if forward is None:
                try:
                    forward = mux.open(conn, remote, peer)
                except OSError:
                    conn.close()
                    return StreamProblem("dropped", STREAM_DROPPED)
            # once the client has gone quiet, its thread goes back to the pool (unless this is the end)
            return relay_local(mux, forward, quiet=None if cancelled else QUIET_AFTER)

        while True:
            done = run_in_thread(run, name="kpy-pf-up")
            try:
                if cancelled:  # while waiting for the client's bytes: end the relay as below
                    raise asyncio.CancelledError
                problem = await asyncio.shield(done)
            except asyncio.CancelledError:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(Exception):
                    if isinstance(await asyncio.wait_for(done, 10.0), Quiet):  # just before: end it now
                        cancelled = True
                        await asyncio.wait_for(run_in_thread(run, name="kpy-pf-up"), 10.0)
                raise
            if not isinstance(problem, Quiet):
                return problem
            try:
                await _readable(conn, None)
            except asyncio.CancelledError:
                cancelled = True

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
                    last = exc
                    if self.protocol != "auto":
                        raise
                    following = order[order.index(name) + 1 :]
                    if following:
                        log.log(
                            v(1),
                            "port-forward: the server refused %s (%s); trying %s",
                            _NAMES[name],
                            exc,
                            _NAMES[following[0]],
                        )
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
