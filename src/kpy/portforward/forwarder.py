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
import errno
import os
import socket

from kpy.errors import ForwardError, KpyError
from kpy.portforward.connection_handling import ConnectionHandling
from kpy.portforward.events import (
    ForwardingStarted,
    Listener,
    ListenFailed,
    PodLost,
    Reconnected,
    WatchProblem,
    join_host_port,
)
from kpy.portforward.forwarder_core import DIAGNOSE_TIMEOUT, PROTOCOLS, EventHandler
from kpy.portforward.resolve import (
    ForwardedPort,
    ListenAddress,
    Resolved,
    resolve,
)


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


class PortForwarder(ConnectionHandling):
    """Forward local ports to a pod (or the pod behind a service/workload) of the API server ``client`` talks to.

    ``target``: ``pod/NAME``, ``NAME``, ``svc/NAME``, ``deploy/NAME``, ``rs/``, ``sts/``, ...; ``ports``:
    ``8080:80``, ``80``, ``:80`` (random local port), ``8080:http`` (named). ``on_event`` receives the
    ``kpy.portforward.events`` a CLI prints. Argument errors raise ``UsageError`` right away.
    """

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

    # -- listeners ----------------------------------------------------------------------------------------
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

    # -- pod loss --------------------------------------------------------------------------------------
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


__all__ = ["DIAGNOSE_TIMEOUT", "PROTOCOLS", "EventHandler", "PortForwarder", "bind_socket"]
