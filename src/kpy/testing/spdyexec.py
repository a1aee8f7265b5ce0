"""The kubelet's side of ``pods/NAME/exec`` over SPDY/3.1 (an HTTP upgrade), for the emulator.

What kubectl falls back to when WebSocket exec is refused (``ExecService.websocket_refusal``). The upgrade
negotiates ``X-Stream-Protocol-Version`` (the kubelet's v4, v3, v2, v1; kpy and kubectl ask for v4); the
client then opens one stream per channel, named by its ``streamType`` header (``error``, ``stdin``,
``stdout``, ``stderr``, ``resize``), and each is answered with SYN_REPLY. Once every stream the query asked
for is open, the command runs like WebSocket exec's (a local process in the container's directory, a pty with
``tty``): stdin DATA goes to it and stdin's FIN closes its input; its output goes out as DATA on
stdout/stderr; at its end the Status JSON (v4's, as on WebSocket) is written on ``error``, every stream
ends with FIN and the connection is closed, as the kubelet does.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import struct
import termios
from pathlib import Path
from typing import Any

from aiohttp import web

from kpy.exec import protocol as p
from kpy.streams import spdy
from kpy.testing.exec import READ_CHUNK, ExecRecord, ExecService, _go_exit_error

#: the versions the kubelet's SPDY exec handler speaks, best first
SPDY_PROTOCOLS = (p.V4, p.V3, p.V2, p.V1)


class _Connection(asyncio.Protocol):
    """One upgraded connection (installed as the transport's protocol before the 101 is written)."""

    def __init__(self, transport: asyncio.Transport, owner: asyncio.BaseProtocol, wanted: set[str]) -> None:
        self.transport = transport
        self.owner = owner
        self.wanted = wanted
        self.decoder = spdy.Decoder()
        self.encoder = spdy.Encoder()
        self.streams: dict[str, int] = {}
        self.ready = asyncio.get_running_loop().create_future()  # every wanted stream is open
        self.done = asyncio.get_running_loop().create_future()  # the connection ended
        self.stdin_early: list[bytes] = []
        self.stdin_fin = False
        self.on_stdin: Any = None  # (data: bytes | None) -> None once the command runs
        self.on_resize: Any = None
        self._resize_buf = b""
        self.resizes: list[tuple[int, int]] = []

    def data_received(self, data: bytes) -> None:
        try:
            frames = self.decoder.feed(data)
        except spdy.SpdyError:
            self.send(self.encoder.encode(spdy.GoAway(0, spdy.GOAWAY_PROTOCOL_ERROR)))
            self.finish()
            return
        for frame in frames:
            if isinstance(frame, spdy.SynStream):
                kind = (spdy.header_value(frame.headers, "streamtype") or "").lower()
                self.streams[kind] = frame.stream_id
                self.send(self.encoder.encode(spdy.SynReply(frame.stream_id, [])))
                if self.wanted <= set(self.streams) and not self.ready.done():
                    self.ready.set_result(None)
            elif isinstance(frame, spdy.Data):
                if frame.stream_id == self.streams.get("stdin"):
                    self._stdin(bytes(frame.data) if len(frame.data) else None, frame.fin)
                elif frame.stream_id == self.streams.get("resize"):
                    self._resize(bytes(frame.data))
            elif isinstance(frame, spdy.Ping):
                self.send(self.encoder.encode(frame))
            elif isinstance(frame, spdy.GoAway):
                self.finish()

    def _stdin(self, data: bytes | None, fin: bool) -> None:
        if self.on_stdin is None:
            if data:
                self.stdin_early.append(data)
            self.stdin_fin = self.stdin_fin or fin
            return
        if data:
            self.on_stdin(data)
        if fin:
            self.on_stdin(None)

    def _resize(self, data: bytes) -> None:
        self._resize_buf += data
        *lines, self._resize_buf = self._resize_buf.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                size = json.loads(line)
                self.resizes.append((int(size["Width"]), int(size["Height"])))
                if self.on_resize is not None:
                    self.on_resize(*self.resizes[-1])

    def send(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def send_data(self, kind: str, data: bytes, *, fin: bool = False) -> None:
        stream_id = self.streams.get(kind)
        if stream_id is not None:
            self.send(spdy.data_header(stream_id, len(data), fin=fin) + data)

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def eof_received(self) -> bool:
        self.finish()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.connection_lost(exc)
        self.finish()


async def serve_spdy_exec(
    service: ExecService,
    request: web.Request,
    record: ExecRecord,
    want: dict[str, bool],
    root: Path,
) -> web.StreamResponse:
    """Serve one exec over SPDY (the request was validated by ``ExecService.handle``)."""
    offered = [
        x.strip() for v in request.headers.getall("X-Stream-Protocol-Version", []) for x in v.split(",")
    ]
    chosen = next((v for v in SPDY_PROTOCOLS if v in offered), None)
    if chosen is None:
        return web.Response(
            status=403,
            text=f"unable to upgrade: unable to negotiate protocol: client supports {offered}, server "
            f"accepts {list(SPDY_PROTOCOLS)}",
        )
    transport = request.transport
    if not isinstance(transport, asyncio.Transport):
        return web.Response(status=500)
    wanted = {"error"} | {k for k in ("stdin", "stdout", "stderr") if want[k]}
    if want["tty"]:
        wanted.add("resize")
    conn = _Connection(transport, transport.get_protocol(), wanted)
    transport.set_protocol(conn)
    headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1", "X-Stream-Protocol-Version": chosen}
    response = web.StreamResponse(status=101, headers=headers)
    await response.prepare(request)
    record.subprotocol = chosen
    record.transport = "spdy"
    service.sessions.append(record)
    try:
        await asyncio.wait({conn.ready, conn.done}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if conn.ready.done():
            await _run(service, conn, record, want, root)
    finally:
        transport.close()
    return response


async def _run(
    service: ExecService, conn: _Connection, record: ExecRecord, want: dict[str, bool], root: Path
) -> None:
    env = dict(os.environ)
    env.update(
        HOME=str(root),
        HOSTNAME=record.pod,
        POD_NAME=record.pod,
        POD_NAMESPACE=record.namespace,
        CONTAINER_NAME=record.container,
    )
    env.update(service.env)
    channels = p.ServerChannels(p.V4)
    master: int | None = None
    pipe = asyncio.subprocess.PIPE
    try:
        if want["tty"]:
            master, slave = pty.openpty()
            env.setdefault("TERM", "xterm")
            try:
                proc = await asyncio.create_subprocess_exec(
                    *record.command,
                    cwd=root,
                    env=env,
                    stdin=slave,
                    stdout=slave,
                    stderr=slave,
                    start_new_session=True,
                )
            finally:
                os.close(slave)
        else:
            proc = await asyncio.create_subprocess_exec(
                *record.command,
                cwd=root,
                env=env,
                stdin=pipe if want["stdin"] else asyncio.subprocess.DEVNULL,
                stdout=pipe if want["stdout"] else asyncio.subprocess.DEVNULL,
                stderr=pipe if want["stderr"] else asyncio.subprocess.DEVNULL,
                limit=READ_CHUNK,
                start_new_session=True,
            )
    except OSError as exc:
        if master is not None:
            os.close(master)
        cmd = record.command[0]
        detail = (
            f'exec: "{cmd}": executable file not found in $PATH'
            if isinstance(exc, FileNotFoundError) and "/" not in cmd
            else f"fork/exec {cmd}: {exc.strerror.lower() if exc.strerror else exc}"
        )
        conn.send_data(
            "error", channels.internal_error(f"error executing command in container: {detail}")[1:]
        )
        return
    service._procs.add(proc)
    outputs: list[tuple[asyncio.StreamReader, str]] = []
    loop = asyncio.get_running_loop()

    if master is not None:
        tty_fd = master

        def to_tty(data: bytes | None) -> None:
            with contextlib.suppress(OSError):
                os.write(tty_fd, data if data is not None else b"\x04")

        def resize(width: int, height: int) -> None:
            record.resizes.append((width, height))
            with contextlib.suppress(OSError):
                fcntl.ioctl(tty_fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

        conn.on_stdin, conn.on_resize = to_tty, resize
        for size in conn.resizes:
            resize(*size)
        reader = asyncio.StreamReader(limit=READ_CHUNK)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(master), "rb", 0)
        )
        outputs.append((reader, "stdout"))
    else:
        stdin = proc.stdin

        def to_pipe(data: bytes | None) -> None:
            if stdin is None or stdin.is_closing():
                return
            if data is None:
                record.stdin_closed = True
                stdin.close()
            else:
                with contextlib.suppress(ConnectionError):
                    stdin.write(data)

        conn.on_stdin = to_pipe
        if proc.stdout is not None:
            outputs.append((proc.stdout, "stdout"))
        if proc.stderr is not None:
            outputs.append((proc.stderr, "stderr"))
    for chunk in conn.stdin_early:
        conn.on_stdin(chunk)
    if conn.stdin_fin:
        conn.on_stdin(None)

    async def pump(stream: asyncio.StreamReader, kind: str) -> None:
        while True:
            try:
                chunk = await stream.read(READ_CHUNK)
            except OSError:  # EIO: the pty's other side is closed
                return
            if not chunk:
                return
            conn.send_data(kind, chunk)

    try:
        pumps = asyncio.gather(*(pump(stream, kind) for stream, kind in outputs))
        await asyncio.wait({pumps, conn.done}, return_when=asyncio.FIRST_COMPLETED)
        if not pumps.done():  # the client went away
            pumps.cancel()
            with contextlib.suppress(BaseException):
                await pumps
            return
        returncode = await proc.wait()
        code, go_error = _go_exit_error(returncode)
        record.exit_code = code
        status = channels.success() if code == 0 else channels.exit_code(code, go_error)
        conn.send_data("error", status[1:], fin=True)
        for kind in ("stdout", "stderr"):
            conn.send_data(kind, b"", fin=True)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        service._procs.discard(proc)
        if master is not None:
            os.close(master)
