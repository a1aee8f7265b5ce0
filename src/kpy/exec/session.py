"""One remote command over one WebSocket: the local streams ↔ the channels, in threads.

``open_exec`` upgrades ``pods/NAME/exec`` with the REST client's TLS, credentials and proxy (offering v5 then
v4); ``ExecSession.run`` then moves bytes on the blocking socket (``kpy.rest.wsdial``): the calling thread
reads the server's frames and writes stdout/stderr (so a slow local reader slows the server down), one thread
copies stdin to channel 0 and sends the close signal at EOF, and one control thread sends pings every
``ping_interval`` (client-go: 5 s, so that idle proxies keep the connection) and resizes. The frames are the
``websockets`` sans-I/O protocol's (binary messages only); the channel protocol is ``kpy.exec.protocol``.

Nothing is decoded: bytes go from the server to the local streams as they arrived. A connection that ends
without the server's Status and close frame is an error (``StreamLost``), never a silent success.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpy.errors import Forbidden, KpyError
from kpy.exec import protocol as p

if TYPE_CHECKING:
    from websockets.client import ClientProtocol

    from kpy.rest import RestClient
    from kpy.rest.wsdial import DialedWebSocket, TLSStream

#: bytes read from local stdin at a time (one message each)
STDIN_CHUNK = 256 * 1024
#: bytes read from the socket at a time
RECV_CHUNK = 256 * 1024
#: client-go's ping period on exec WebSockets
PING_INTERVAL = 5.0
#: no bytes at all from the server for this long (pongs included) ends the session (client-go: 12 pings + 1 s)
IDLE_TIMEOUT = 61.0

V4_WARNING = (
    "the server granted only v4.channel.k8s.io (it is older than 1.30 or has WebSocket exec turned off): "
    "kpy cannot close the command's stdin there, so a command that reads to the end of its input will not end"
)


class StreamLost(KpyError):
    """The connection ended before the server reported how the command ended."""


@dataclass(frozen=True)
class ExecRequest:
    """What to run where (the query of ``pods/NAME/exec``)."""

    namespace: str
    pod: str
    container: str
    command: Sequence[str]
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False

    def path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/exec"

    def params(self) -> list[tuple[str, str]]:
        """The query as kubectl sends it (``stderr`` is off with a terminal: the pty merges it)."""
        query = [("command", c) for c in self.command]
        if self.container:
            query.append(("container", self.container))
        for name, on in (
            ("stdin", self.stdin),
            ("stdout", self.stdout),
            ("stderr", self.stderr and not self.tty),
            ("tty", self.tty),
        ):
            if on:
                query.append((name, "true"))
        return query


async def open_exec(
    client: RestClient, request: ExecRequest, subprotocols: Sequence[str] = p.CLIENT_SUBPROTOCOLS
) -> DialedWebSocket:
    """Upgrade to the exec WebSocket. A 403 gets RBAC's explanation (the 1.35+ ``create`` verb)."""
    try:
        return await client.dial_websocket(request.path(), request.params(), subprotocols, throttle=False)
    except Forbidden as exc:
        if exc.status:  # RBAC's own words name the verb and resource
            raise
        raise Forbidden(
            f'pods "{request.pod}" is forbidden: the server refused the exec upgrade (403): exec needs the '
            '"create" verb on "pods/exec" (from Kubernetes 1.35 also over WebSocket), or the server supports '
            f"none of {', '.join(subprotocols)}",
            code=403,
            reason="Forbidden",
        ) from exc


Reader = Callable[[int], bytes]
Writer = Callable[[bytes], None]


class ExecSession:
    """Drive one upgraded exec WebSocket to its end (blocking; see the module docstring)."""

    def __init__(
        self,
        dialed: DialedWebSocket,
        *,
        stdin: Reader | None,
        stdout: Writer,
        stderr: Writer,
        warn: Callable[[str], None] = lambda _msg: None,
        ping_interval: float = PING_INTERVAL,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.dialed = dialed
        self.sock: socket.socket | TLSStream = dialed.sock
        self.proto: ClientProtocol = dialed.protocol
        self.channels = p.ClientChannels(dialed.subprotocol)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.warn = warn
        self.ping_interval = ping_interval
        self.idle_timeout = idle_timeout
        self._proto_lock = threading.Lock()  # the websockets state (no I/O under it)
        self._send_lock = threading.Lock()  # the socket's sending side
        self._wake = threading.Event()
        self._done = threading.Event()
        self._pending_resize: tuple[int, int] | None = None
        self._control_out: list[bytes] = []
        self._last_received = time.monotonic()
        self.stdin_bytes = 0
        self.stdin_closed = False
        self.closed_cleanly = False

    # -- sending --------------------------------------------------------------------------------------
    def _send_message(self, message: bytes) -> None:
        with self._proto_lock:
            self.proto.send_binary(message)
            data = self.proto.data_to_send()
        self._send_raw(data)

    def _send_raw(self, data: list[bytes]) -> None:
        if not data:
            return
        with self._send_lock:
            self.sock.sendall(b"".join(data))

    def resize(self, width: int, height: int) -> None:
        """Send a terminal size (from any thread, a signal handler included: the control thread sends it)."""
        self._pending_resize = (width, height)
        self._wake.set()

    def _control(self) -> None:
        next_ping = time.monotonic() + self.ping_interval
        while not self._done.is_set():
            self._wake.wait(max(0.0, next_ping - time.monotonic()))
            self._wake.clear()
            if self._done.is_set():
                return
            try:
                with self._proto_lock:
                    out, self._control_out = self._control_out, []
                self._send_raw(out)
                if (size := self._pending_resize) is not None:
                    self._pending_resize = None
                    self._send_message(p.resize_message(*size))
                now = time.monotonic()
                if now - self._last_received > self.idle_timeout:
                    self._abort()
                    return
                if now >= next_ping:
                    next_ping = now + self.ping_interval
                    with self._proto_lock:
                        self.proto.send_ping(b"")
                        data = self.proto.data_to_send()
                    self._send_raw(data)
            except OSError:
                return

    def _pump_stdin(self) -> None:
        assert self.stdin is not None
        try:
            while not self._done.is_set():
                chunk = self.stdin(STDIN_CHUNK)
                if not chunk:
                    break
                self.stdin_bytes += len(chunk)
                self._send_message(p.data_message(p.STDIN, chunk))
            else:
                return
            if self.channels.can_close_stdin:
                self._send_message(p.close_message(p.STDIN))
                self.stdin_closed = True
        except OSError:
            return  # the connection is gone: the reader reports it
        except Exception:
            self._abort()  # the local source failed: end the session rather than hang
            raise

    def _abort(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    # -- receiving ------------------------------------------------------------------------------------
    def run(self) -> p.ExitResult:
        """Relay until the server closes; the command's outcome. Raises ``StreamLost`` for a dropped stream."""
        from websockets.frames import Frame, Opcode

        if self.stdin is not None and not self.channels.can_close_stdin:
            self.warn(V4_WARNING)
        threads = [threading.Thread(target=self._control, name="kpy-exec-control", daemon=True)]
        if self.stdin is not None:
            threads.append(threading.Thread(target=self._pump_stdin, name="kpy-exec-stdin", daemon=True))
        for thread in threads:
            thread.start()
        message = bytearray()
        pending: bytes = self.dialed.leftover
        buf = bytearray(RECV_CHUNK)
        view = memoryview(buf)
        try:
            while True:
                if pending:
                    data: bytes | memoryview = pending
                    pending = b""
                else:
                    try:
                        n = self.sock.recv_into(view)
                    except OSError:
                        n = 0
                    data = view[:n]
                self._last_received = time.monotonic()
                with self._proto_lock:
                    if len(data):
                        self.proto.receive_data(bytes(data))
                    else:
                        self.proto.receive_eof()
                    events = self.proto.events_received()
                    control = self.proto.data_to_send()
                    if any(control):
                        self._control_out.extend(control)  # pongs, our close: the control thread sends them
                if any(control):
                    self._wake.set()
                for frame in events:
                    if not isinstance(frame, Frame):
                        continue
                    if frame.opcode in (Opcode.BINARY, Opcode.CONT, Opcode.TEXT):
                        message += frame.data
                        if not frame.fin:
                            continue
                        event = self.channels.receive(message)
                        message = bytearray()
                        if isinstance(event, p.Output):
                            (self.stdout if event.channel == p.STDOUT else self.stderr)(event.data)
                        elif isinstance(event, p.ProtocolViolation):
                            raise StreamLost(f"exec stream protocol error: {event.message}")
                    elif frame.opcode == Opcode.CLOSE:
                        self.closed_cleanly = True
                if self.closed_cleanly or not len(data):
                    break
        finally:
            self._done.set()
            self._wake.set()
            if self.closed_cleanly:
                with contextlib.suppress(OSError):  # our close frame, if not sent yet
                    self._send_raw([*self._control_out, *self.proto.data_to_send()])
            self.dialed.close()
        if not self.channels.status_received:
            if self.closed_cleanly:
                raise StreamLost("the server closed the stream without reporting how the command ended")
            raise StreamLost("the connection to the server was lost before the command ended")
        return self.channels.result()
