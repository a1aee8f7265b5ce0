"""One remote command over one WebSocket: the local streams ↔ the channels, in threads.

``open_exec`` upgrades ``pods/NAME/exec`` with the REST client's TLS, credentials and proxy (offering v5 then
v4); ``ExecSession.run`` then moves bytes on the blocking socket (``kpy.streams``): the calling thread
receives and decrypts the server's frames while a write-behind thread (``kpy.streams.writebehind``, 4 receive
buffers of 256 KiB) writes stdout/stderr in order, so that the two use two cores and a slow local reader still
slows the server down (``write_behind=False``: the calling thread writes too, as ``kpy cp`` does); one thread
copies stdin to channel 0 and sends the close signal at EOF, and one control thread sends pings every
``ping_interval`` (client-go: 5 s, so that idle proxies keep the connection), pongs and resizes. Frames are
``kpy.streams.websocket``'s (binary messages only); the channel protocol is ``kpy.exec.protocol``.

Nothing is decoded: bytes go from the server to the local streams as they arrived. A connection that ends
without the server's Status and close frame is an error (``StreamLost``), never a silent success.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kpy.dataclasslite import dataclass
from kpy.errors import Forbidden, KpyError
from kpy.exec import protocol as p
from kpy.streams import websocket as ws
from kpy.streams.writebehind import Inline, WriteBehind

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.streams.dial import DialedWebSocket
    from kpy.streams.tls import TLSStream

#: bytes read from local stdin at a time (one message each)
STDIN_CHUNK = 256 * 1024
#: bytes read from the socket at a time
RECV_CHUNK = 256 * 1024
#: receive buffers in flight between the receiving and the writing thread (memory: RECV_CHUNK each)
RECV_BUFFERS = 4
#: the largest message accepted from the server (its messages are at most a read buffer of output)
MAX_MESSAGE = 32 << 20
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


class StdinFailed(KpyError):
    """Reading what goes to the command's stdin failed locally; the session was ended."""


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
        message = str((exc.status or {}).get("message", ""))
        if message and message != "unknown":  # RBAC's own words name the verb and resource
            raise
        raise Forbidden(
            f'pods "{request.pod}" is forbidden: the server refused the exec upgrade (403): exec needs the '
            '"create" verb on "pods/exec" (from Kubernetes 1.35 also over WebSocket), or the server supports '
            f"none of {', '.join(subprotocols)}",
            code=403,
            reason="Forbidden",
        ) from exc


Reader = Callable[[int], bytes]
#: receives output as it arrives, in order, in the session's write-behind thread: a view that is valid only
#: during the call (copy it to keep it); what it raises ends the session and ``run`` raises it
Writer = Callable[[bytes | memoryview], None]


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
        write_behind: bool = True,
    ) -> None:
        self.dialed = dialed
        #: write the output in a thread of its own (False: in the receiving thread, one buffer)
        self.write_behind = write_behind
        self.sock: socket.socket | TLSStream = dialed.sock
        if not isinstance(self.sock, socket.socket):
            self.sock.set_write_size(STDIN_CHUNK + 16)  # one system call per stdin message
        # stdout/stderr messages are handed out as they arrive (no assembling); Status and the rest whole
        self.reader = ws.MessageReader(
            client=True, max_message=MAX_MESSAGE, stream=lambda _op, first: first[0] in (p.STDOUT, p.STDERR)
        )
        self._chunk_channel = p.STDOUT
        self.channels = p.ClientChannels(dialed.subprotocol)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.warn = warn
        self.ping_interval = ping_interval
        self.idle_timeout = idle_timeout
        self._control_lock = threading.Lock()  # _control_out (no I/O under it)
        self._send_lock = threading.Lock()  # the socket's sending side
        self._wake = threading.Event()
        self._done = threading.Event()
        self._pending_resize: tuple[int, int] | None = None
        self._control_out: list[bytes] = []
        self._last_received = time.monotonic()
        self.stdin_bytes = 0
        self.stdin_closed = False
        #: why reading local stdin failed (the session was ended because of it)
        self.stdin_error: BaseException | None = None
        self.closed_cleanly = False

    # -- sending --------------------------------------------------------------------------------------
    def _send_message(self, message: bytes | bytearray | memoryview) -> None:
        key = os.urandom(4)
        header = ws.frame_header(ws.OP_BINARY, len(message), masked=True) + key
        self._send_raw([header, ws.apply_mask(message, key)])

    def _send_stdin(self, chunk: bytes) -> None:
        """One stdin message without joining the channel byte and the data first: the channel byte goes
        masked at the end of the header, the data masked with the key rotated past it (one pass over it)."""
        key = os.urandom(4)
        head = ws.frame_header(ws.OP_BINARY, len(chunk) + 1, masked=True) + key + bytes((p.STDIN ^ key[0],))
        self._send_raw([head, ws.apply_mask(chunk, key[1:] + key[:1])])

    def _send_raw(self, parts: list[bytes]) -> None:
        if not parts:
            return
        with self._send_lock:
            if isinstance(self.sock, socket.socket):
                self.sock.sendall(b"".join(parts))
            else:
                self.sock.send_parts(parts)

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
                with self._control_lock:
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
                    self._send_raw([ws.encode_frame(ws.OP_PING, b"", mask=os.urandom(4))])
            except OSError:
                return

    def _pump_stdin(self) -> None:
        assert self.stdin is not None
        while not self._done.is_set():
            try:
                chunk = self.stdin(STDIN_CHUNK)
            except Exception as exc:  # the local source failed: end the session rather than hang
                self.stdin_error = exc
                self._abort()
                return
            try:
                if not chunk:
                    if self.channels.can_close_stdin:
                        self._send_message(p.close_message(p.STDIN))
                        self.stdin_closed = True
                    return
                self.stdin_bytes += len(chunk)
                self._send_stdin(chunk)
            except OSError:
                return  # the connection is gone: the reader reports it

    def _abort(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    # -- receiving ------------------------------------------------------------------------------------
    def run(self) -> p.ExitResult:
        """Relay until the server closes; the command's outcome. Raises ``StreamLost`` for a dropped stream."""
        if self.stdin is not None and not self.channels.can_close_stdin:
            self.warn(V4_WARNING)
        if (size := self._pending_resize) is not None:  # the initial size goes before any stdin
            self._pending_resize = None
            with contextlib.suppress(OSError):
                self._send_message(p.resize_message(*size))
        threads = [threading.Thread(target=self._control, name="kpy-exec-control", daemon=True)]
        if self.stdin is not None:
            threads.append(threading.Thread(target=self._pump_stdin, name="kpy-exec-stdin", daemon=True))
        for thread in threads:
            thread.start()
        pending: bytes = self.dialed.leftover
        # receiving (this thread) and writing the output (the write-behind's) overlap; bounded buffers
        behind: WriteBehind | Inline = (
            WriteBehind(RECV_CHUNK, RECV_BUFFERS, name="kpy-exec-output")
            if self.write_behind
            else Inline(RECV_CHUNK)
        )
        put = behind.put
        close_reply: bytes | None = None
        try:
            while close_reply is None:
                view: memoryview | None = None
                if pending:
                    data: bytes | memoryview = pending
                    pending = b""
                else:
                    view = behind.take()
                    try:
                        n = self.sock.recv_into(view)
                    except OSError:
                        n = 0
                    if not n:
                        behind.release(view)
                        break
                    data = view[:n]
                self._last_received = time.monotonic()
                try:
                    events = self.reader.feed(data)
                except ws.ProtocolError as exc:
                    raise StreamLost(f"exec stream protocol error: {exc}") from None
                for event in events:
                    if isinstance(event, ws.Chunk):
                        data = event.data
                        if event.first:
                            self._chunk_channel = data[0]
                            data = data[1:]
                        if len(data):
                            put(self.stdout if self._chunk_channel == p.STDOUT else self.stderr, data)
                    elif isinstance(event, ws.Message):
                        out = self.channels.receive(event.data)
                        if isinstance(out, p.Output):
                            put(self.stdout if out.channel == p.STDOUT else self.stderr, out.data)
                        elif isinstance(out, p.ProtocolViolation):
                            raise StreamLost(f"exec stream protocol error: {out.message}")
                    elif isinstance(event, ws.Ping):
                        with self._control_lock:
                            self._control_out.append(
                                ws.encode_frame(ws.OP_PONG, event.payload, mask=os.urandom(4))
                            )
                        self._wake.set()
                    elif isinstance(event, ws.Close):
                        self.closed_cleanly = True
                        payload = ws.close_payload(event.code) if event.code != ws.CLOSE_NO_STATUS else b""
                        close_reply = ws.encode_frame(ws.OP_CLOSE, payload, mask=os.urandom(4))
                del events, data
                behind.release(view)
        except BaseException as exc:
            if not isinstance(exc, Exception):  # Ctrl-C: no waiting for a stuck output to take the rest
                behind.abandon()
            raise
        finally:
            self._done.set()
            self._wake.set()
            if close_reply is not None:
                with contextlib.suppress(OSError):
                    self._send_raw([close_reply])
            self.dialed.close()
            behind.close()  # everything received is written (or the writer's error is raised)
        if self.stdin_error is not None:
            raise StdinFailed(f"reading the local input failed: {self.stdin_error}") from self.stdin_error
        if not self.channels.status_received:
            if self.closed_cleanly:
                raise StreamLost("the server closed the stream without reporting how the command ended")
            raise StreamLost("the connection to the server was lost before the command ended")
        return self.channels.result()
