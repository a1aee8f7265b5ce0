"""exec over SPDY/3.1 (``v4.channel.k8s.io`` after an HTTP upgrade), for servers that refuse WebSocket exec.

client-go's ``tools/remotecommand`` falls back to this when the WebSocket upgrade fails (OpenShift can turn
WebSocket exec off; API servers before 1.30 do not translate it); ``kpy.exec.fallback`` decides when and
imports this module only then. The request is the WebSocket one's (same
query), upgraded with ``Upgrade: SPDY/3.1`` and ``X-Stream-Protocol-Version: v4.channel.k8s.io``. The client
then opens one stream per channel, each named by its ``streamType`` header, in client-go's order: ``error``,
``stdin`` (with stdin), ``stdout``, ``stderr`` (not with a terminal: the pty merges it), ``resize`` (with a
terminal). Bytes are the streams' DATA; stdin's end is a FIN on its stream (so, unlike v4 over WebSocket, the
command does see the end of its input); a terminal size is one JSON object per line on ``resize``; the outcome
is the Status JSON on ``error`` (client-go's ``errorDecoderV4``; the same decoding as WebSocket exec).

Threads, like ``kpy.exec.session``: the calling thread reads frames and writes stdout/stderr, one thread copies
stdin, resizes are sent by the thread that asks for them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kpy.exec import protocol as p
from kpy.exec.session import STDIN_CHUNK, ExecRequest, Reader, StdinFailed, StreamLost, Writer
from kpy.streams import spdy

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.streams.dial import DialedUpgrade
    from kpy.streams.tls import TLSStream

#: the one exec protocol kpy asks for over SPDY (every kubelet since 1.4 speaks it)
SPDY_EXEC_PROTOCOL = p.V4
RECV_CHUNK = 256 * 1024


def exec_upgrade_headers() -> list[tuple[str, str]]:
    return [
        ("Connection", "Upgrade"),
        ("Upgrade", "SPDY/3.1"),
        ("X-Stream-Protocol-Version", SPDY_EXEC_PROTOCOL),
    ]


async def open_exec_spdy(client: RestClient, request: ExecRequest) -> DialedUpgrade:
    """Upgrade ``pods/NAME/exec`` to SPDY/3.1 (``POST``, as kubectl does)."""
    return await client.dial_upgrade(request.path(), request.params(), exec_upgrade_headers(), throttle=False)


class SpdyExecSession:
    """Drive one upgraded SPDY exec connection to its end (blocking). Same surface as ``ExecSession``."""

    def __init__(
        self,
        dialed: DialedUpgrade,
        request: ExecRequest,
        *,
        stdin: Reader | None,
        stdout: Writer,
        stderr: Writer,
        warn: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.dialed = dialed
        self.sock: socket.socket | TLSStream = dialed.sock
        self.request = request
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.warn = warn
        self._lock = threading.Lock()  # the encoder's compression context and frame order on the wire
        self._encoder = spdy.Encoder()
        self._streams: dict[str, int] = {}
        self._pending_resize: tuple[int, int] | None = None
        self._done = threading.Event()
        self._error = bytearray()
        self._error_done = False
        self.stdin_bytes = 0
        self.stdin_closed = False
        self.stdin_error: BaseException | None = None
        self.closed_cleanly = False
        self.goaway = ""  # the status text of an error GOAWAY from the server

    # -- sending --------------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data)

    def _open_streams(self) -> None:
        kinds = ["error"]
        if self.stdin is not None:
            kinds.append("stdin")
        if self.request.stdout:
            kinds.append("stdout")
        if self.request.stderr and not self.request.tty:
            kinds.append("stderr")
        if self.request.tty:
            kinds.append("resize")
        with self._lock:
            frames = []
            for index, kind in enumerate(kinds):
                stream_id = 1 + 2 * index
                self._streams[kind] = stream_id
                frames.append(self._encoder.encode(spdy.SynStream(stream_id, [("streamtype", kind)])))
            self.sock.sendall(b"".join(frames))

    def resize(self, width: int, height: int) -> None:
        """Send a terminal size (one JSON line on the resize stream); kept for later before the streams open."""
        stream_id = self._streams.get("resize")
        if stream_id is None:
            self._pending_resize = (width, height)
            return
        body = (json.dumps({"Width": width, "Height": height}) + "\n").encode()
        with contextlib.suppress(OSError):
            self._send(spdy.data_header(stream_id, len(body)) + body)

    def _pump_stdin(self) -> None:
        assert self.stdin is not None
        stream_id = self._streams["stdin"]
        while not self._done.is_set():
            try:
                chunk = self.stdin(STDIN_CHUNK)
            except Exception as exc:  # the local source failed: end the session rather than hang
                self.stdin_error = exc
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return
            try:
                self._send(spdy.data_header(stream_id, len(chunk), fin=not chunk) + chunk)
            except OSError:
                return
            if not chunk:
                self.stdin_closed = True  # a FIN: the command sees the end of its input
                return
            self.stdin_bytes += len(chunk)

    # -- receiving ------------------------------------------------------------------------------------
    def run(self) -> p.ExitResult:
        """Relay until the server ends the session; the command's outcome (``StreamLost`` when it ends
        without reporting one)."""
        try:
            self._open_streams()
        except OSError as exc:
            self.dialed.close()
            raise StreamLost(
                f"the connection to the server was lost before the command started: {exc}"
            ) from None
        if (size := self._pending_resize) is not None:
            self._pending_resize = None
            self.resize(*size)
        if self.stdin is not None:
            threading.Thread(target=self._pump_stdin, name="kpy-exec-stdin", daemon=True).start()
        by_id = {stream_id: kind for kind, stream_id in self._streams.items()}
        open_outputs = {self._streams[k] for k in ("stdout", "stderr") if k in self._streams}
        decoder = spdy.Decoder()
        data: bytes | memoryview = self.dialed.leftover
        buf = bytearray(RECV_CHUNK)
        view = memoryview(buf)
        try:
            while not (self._error_done and not open_outputs):
                if not data:
                    try:
                        n = self.sock.recv_into(view)
                    except OSError:
                        n = 0
                    if not n:
                        break
                    data = view[:n]
                try:
                    frames = decoder.feed(data)
                except spdy.SpdyError as exc:
                    raise StreamLost(f"exec stream protocol error: {exc}") from None
                data = b""
                for frame in frames:
                    if isinstance(frame, spdy.Data):
                        kind = by_id.get(frame.stream_id)
                        if kind == "error":
                            self._error += frame.data
                            self._error_done = self._error_done or frame.fin
                        elif kind in ("stdout", "stderr"):
                            if len(frame.data):
                                (self.stdout if kind == "stdout" else self.stderr)(frame.data)
                            if frame.fin:
                                open_outputs.discard(frame.stream_id)
                    elif isinstance(frame, spdy.RstStream) or (
                        isinstance(frame, spdy.SynReply) and frame.fin
                    ):
                        open_outputs.discard(frame.stream_id)
                        if by_id.get(frame.stream_id) == "error":
                            self._error_done = True
                    elif isinstance(frame, spdy.Ping):
                        with contextlib.suppress(OSError):
                            self._send(self._encode(frame))
                    elif isinstance(frame, spdy.GoAway):
                        # OK: the kubelet's normal end (spdystream's Close); an error status means the
                        # command's outcome may never come: not a success unless the Status already arrived
                        self.goaway = spdy.goaway_text(frame.status)
                        open_outputs.clear()
                        self._error_done = True
            else:
                self.closed_cleanly = not self.goaway
        finally:
            self._done.set()
            self.dialed.close()
        if self.stdin_error is not None:
            raise StdinFailed(f"reading the local input failed: {self.stdin_error}") from self.stdin_error
        if not self._error:
            if self.closed_cleanly and self._error_done:
                return p.ExitResult(0)  # an empty error stream is success (errorDecoderV4)
            if self.goaway:
                raise StreamLost(
                    f"the server ended the connection (GOAWAY: {self.goaway}) before the command ended"
                )
            raise StreamLost("the connection to the server was lost before the command ended")
        return p.decode_status(bytes(self._error))

    def _encode(self, frame: spdy.Frame) -> bytes:
        with self._lock:
            return self._encoder.encode(frame)
