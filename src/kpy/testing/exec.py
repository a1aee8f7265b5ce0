"""The kubelet's side of ``pods/NAME/exec`` over WebSocket, for the emulator.

Like the real kit's fakelet, every command runs as a *local process*: its working directory (and ``HOME``) is
the container's root directory under the emulator's state directory (``pods/NS/POD/CONTAINER``), ``PATH`` is
the host's, ``POD_NAME``/``POD_NAMESPACE``/``CONTAINER_NAME``/``HOSTNAME`` are set, and ``tty=true`` runs it
on a pseudo-terminal whose size follows the resize channel (0x0 until the first resize, as on the real kit).

What the client sees matches the real API server (v1.36, WebSocket to the API server): the subprotocol is the
server's best among those offered (``v5`` over ``v4``; none of ours → 403 with an empty body); the first
message is an empty one on stdout; stdout/stderr bytes follow; the Status on channel 3 (v5 bodies carry
``"metadata":{}``, v4 ones do not; a command that does not exist is an ``InternalError``); then a close frame.
Errors found before the upgrade (no such pod/container, several containers and none named) are Status
answers with the API server's words.

``ExecService`` (``Emulator.exec``) holds the knobs a test turns: ``protocols`` (e.g. ``(V4,)`` to refuse
v5), ``refuse`` (answer the upgrade with a Status), ``drops`` (per session: tear the connection down after
so many bytes of output, no close frame), ``stall_after`` (stop relaying after so many bytes); and
``sessions``, what was run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from kpy.exec import protocol as p
from kpy.testing import status

#: bytes read from the command's stdout/stderr at a time (one WebSocket message each at most)
READ_CHUNK = 256 * 1024
#: the command's stdin pipe (Linux's default is 64 KiB): a client's stdin message is written to it whole, so
#: that relaying a large message (kpy sends 256 KiB) does not stall on a full pipe with the rest buffered while
#: no more is read from the client. On a real node the kubelet's copy to the container's stdin runs apart from
#: the WebSocket's reader, and the message size makes no difference there (kube-apiserver v1.36 with the
#: realk8s kit: the same time for 64 KiB and 256 KiB messages).
STDIN_PIPE = 1 << 20
_TRUE = ("1", "true", "True")


#: how an exec upgraded to SPDY is served: (service, request, record, wanted streams, the container's root)
SpdyServer = Callable[
    ["ExecService", web.Request, "ExecRecord", dict[str, bool], Path], Awaitable[web.StreamResponse]
]


@dataclass
class ExecRecord:
    """One exec session as the emulator saw it."""

    namespace: str
    pod: str
    container: str
    command: list[str]
    subprotocol: str | None
    tty: bool
    stdin: bool
    resizes: list[tuple[int, int]] = field(default_factory=list)
    stdin_closed: bool = False
    exit_code: int | None = None
    #: "websocket", or "spdy" (an HTTP upgrade: kpy.testing.spdyexec)
    transport: str = "websocket"


class ExecService:
    """The emulator's exec endpoint: settings, fault injection, and running sessions."""

    def __init__(self, state_dir: Callable[[], Path | None], spdy_server: SpdyServer | None = None) -> None:
        self._state_dir = state_dir
        #: serves an exec upgraded to SPDY (``kpy.testing.spdyexec.serve_spdy_exec``, passed in by the emulator
        #: so that this module and that one do not import each other); None: SPDY upgrades are refused
        self.spdy_server = spdy_server
        #: subprotocols accepted, best first (``(V4,)``: a server without v5)
        self.protocols: tuple[str, ...] = p.SERVER_SUBPROTOCOLS
        #: answer every upgrade with this (code, reason, message) Status instead
        self.refuse: tuple[int, str, str] | None = None
        #: answer WebSocket upgrades (only) with this (code, reason, message) Status: a server or proxy
        #: without WebSocket exec, where clients fall back to SPDY
        self.websocket_refusal: tuple[int, str, str] | None = None
        #: one entry per coming session: drop the connection after this many output bytes (None: do not)
        self.drops: list[int | None] = []
        #: stop relaying (without closing) after this many output bytes
        self.stall_after: int | None = None
        self.sessions: list[ExecRecord] = []
        #: environment overrides for every command (e.g. a ``PATH`` without ``tar``, like a minimal image)
        self.env: dict[str, str] = {}
        self._procs: set[asyncio.subprocess.Process] = set()

    def root(self, namespace: str, pod: str, container: str) -> Path:
        """The container's root directory (created on demand): exec's working directory and ``HOME``."""
        base = self._state_dir()
        if base is None:
            raise RuntimeError("the emulator is not running")
        path = base / "pods" / namespace / pod / container
        path.mkdir(parents=True, exist_ok=True)
        return path

    async def close(self) -> None:
        for proc in list(self._procs):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    async def handle(
        self, request: web.Request, pod_obj: dict[str, Any], subresource: str
    ) -> web.StreamResponse:
        meta = pod_obj.get("metadata") or {}
        namespace, pod = str(meta.get("namespace", "")), str(meta.get("name", ""))
        q = request.query
        container = _container(pod_obj, q.get("container", ""))
        command = q.getall("command", [])
        want = {name: q.get(name, "") in _TRUE for name in ("stdin", "stdout", "stderr", "tty")}
        if not command:
            raise status.bad_request("you must specify at least 1 command")  # never reached from kubectl
        if not (want["stdin"] or want["stdout"] or want["stderr"]):
            raise status.bad_request("you must specify at least 1 of stdin, stdout, stderr")
        if want["tty"] and want["stderr"]:
            raise status.bad_request("stdout and stderr cannot both be requested with tty")  # kubelet's words
        if self.refuse is not None:
            code, reason, message = self.refuse
            raise status.StatusError(code, status.status_body(code, reason, message))
        if request.headers.get("Upgrade", "").lower().startswith("spdy/") and self.spdy_server is not None:
            record = ExecRecord(namespace, pod, container, list(command), None, want["tty"], want["stdin"])
            return await self.spdy_server(self, request, record, want, self.root(namespace, pod, container))
        if self.websocket_refusal is not None:
            code, reason, message = self.websocket_refusal
            raise status.StatusError(code, status.status_body(code, reason, message))
        offered = [
            x.strip() for v in request.headers.getall("Sec-WebSocket-Protocol", []) for x in v.split(",")
        ]
        offered = [x for x in offered if x]
        chosen = p.choose_subprotocol(offered, self.protocols) if offered else None
        if offered and chosen is None:
            return web.Response(status=403)
        ws = web.WebSocketResponse(protocols=(chosen,) if chosen else (), max_msg_size=0, autoping=True)
        if not ws.can_prepare(request).ok:
            raise status.bad_request("Upgrade request required")
        await ws.prepare(request)
        record = ExecRecord(namespace, pod, container, list(command), chosen, want["tty"], want["stdin"])
        self.sessions.append(record)
        drop = self.drops.pop(0) if self.drops else None
        session = _Session(self, request, ws, record, p.ServerChannels(chosen), want, drop, self.stall_after)
        try:
            await session.run(self.root(namespace, pod, container))
        finally:
            await ws.close()
        return ws


def _container(pod: dict[str, Any], name: str) -> str:
    meta = pod.get("metadata") or {}
    names = [str(c.get("name", "")) for c in (pod.get("spec") or {}).get("containers") or []]
    if name:
        init = [str(c.get("name", "")) for c in (pod.get("spec") or {}).get("initContainers") or []]
        if name not in names + init:
            raise status.bad_request(f"container {name} is not valid for pod {meta.get('name', '')}")
        return name
    if len(names) == 1:
        return names[0]
    if not names:
        raise status.bad_request(f"pod {meta.get('name', '')} does not have a host assigned")
    raise status.bad_request(
        f"a container name must be specified for pod {meta.get('name', '')}, choose one of: [{' '.join(names)}]"
    )


def _go_exit_error(returncode: int) -> tuple[int, str]:
    """(exit code, Go's ExitError text) for a finished process: a signal N is 128+N, as the runtime reports."""
    if returncode >= 0:
        return returncode, f"exit status {returncode}"
    sig = -returncode
    try:
        name = (signal.strsignal(sig) or f"signal {sig}").lower()
    except ValueError:
        name = f"signal {sig}"
    return 128 + sig, f"signal: {name}"


class _Session:
    def __init__(
        self,
        service: ExecService,
        request: web.Request,
        ws: web.WebSocketResponse,
        record: ExecRecord,
        channels: p.ServerChannels,
        want: dict[str, bool],
        drop: int | None,
        stall_after: int | None,
    ) -> None:
        self.service = service
        self.request = request
        self.ws = ws
        self.record = record
        self.channels = channels
        self.want = want
        self.drop = drop
        self.stall_after = stall_after
        self.sent = 0
        self.master: int | None = None
        self.stdin: asyncio.StreamWriter | None = None
        self.reader: asyncio.Task[None] | None = None
        self.stalled = False

    async def run(self, root: Path) -> None:
        await self.ws.send_bytes(bytes((p.STDOUT,)))  # the opening message the API server sends
        env = dict(os.environ)
        env.update(
            HOME=str(root),
            HOSTNAME=self.record.pod,
            POD_NAME=self.record.pod,
            POD_NAMESPACE=self.record.namespace,
            CONTAINER_NAME=self.record.container,
        )
        env.update(self.service.env)
        try:
            proc, outputs = await self._spawn(root, env)
        except OSError as exc:
            cmd = self.record.command[0] if self.record.command else ""
            detail = (
                f'exec: "{cmd}": executable file not found in $PATH'
                if isinstance(exc, FileNotFoundError) and "/" not in cmd
                else f"fork/exec {cmd}: {exc.strerror.lower() if exc.strerror else exc}"
            )
            await self.ws.send_bytes(
                self.channels.internal_error(f"error executing command in container: {detail}")
            )
            return
        self.service._procs.add(proc)
        reader = self.reader = asyncio.create_task(self._read_client(proc))
        try:
            pumps = [asyncio.create_task(self._pump(stream, ch)) for stream, ch in outputs]
            done = await self._until_dropped(asyncio.gather(*pumps), reader)
            if not done:
                return
            returncode = await proc.wait()
            code, go_error = _go_exit_error(returncode)
            message = self.channels.success() if code == 0 else self.channels.exit_code(code, go_error)
            self.record.exit_code = code
            await self.ws.send_bytes(message)
        finally:
            reader.cancel()
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            self.service._procs.discard(proc)
            if self.master is not None:
                os.close(self.master)

    async def _until_dropped(self, pumps: asyncio.Future[Any], reader: asyncio.Task[None]) -> bool:
        """Wait for the output to end; False when the client went away first (or a fault dropped it)."""
        await asyncio.wait({pumps, reader}, return_when=asyncio.FIRST_COMPLETED)
        if self.stalled:
            await pumps  # until the emulator stops
        if pumps.done():
            with contextlib.suppress(Exception):
                pumps.result()
            return not self.ws.closed
        pumps.cancel()
        with contextlib.suppress(BaseException):
            await pumps
        return False

    async def _spawn(
        self, root: Path, env: dict[str, str]
    ) -> tuple[asyncio.subprocess.Process, list[tuple[asyncio.StreamReader, int]]]:
        cmd = self.record.command
        if self.want["tty"]:
            master, slave = pty.openpty()
            env.setdefault("TERM", "xterm")
            try:
                proc = await asyncio.create_subprocess_exec(
                    *cmd, cwd=root, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
                )
            except OSError:
                os.close(master)
                raise
            finally:
                os.close(slave)
            self.master = master
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=READ_CHUNK)
            await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(master), "rb", 0)
            )
            return proc, [(reader, p.STDOUT)]
        pipe = asyncio.subprocess.PIPE
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=root,
            env=env,
            stdin=pipe if self.want["stdin"] else asyncio.subprocess.DEVNULL,
            stdout=pipe if self.want["stdout"] else asyncio.subprocess.DEVNULL,
            stderr=pipe if self.want["stderr"] else asyncio.subprocess.DEVNULL,
            limit=READ_CHUNK,
            start_new_session=True,
        )
        self.stdin = proc.stdin
        if proc.stdin is not None:
            # (above /proc/sys/fs/pipe-max-size the default stays; a command that is already gone closed it)
            with contextlib.suppress(OSError, ValueError):
                fcntl.fcntl(
                    proc.stdin.transport.get_extra_info("pipe").fileno(), fcntl.F_SETPIPE_SZ, STDIN_PIPE
                )
        outputs = []
        if proc.stdout is not None:
            outputs.append((proc.stdout, p.STDOUT))
        if proc.stderr is not None:
            outputs.append((proc.stderr, p.STDERR))
        return proc, outputs

    async def _pump(self, stream: asyncio.StreamReader, channel: int) -> None:
        while True:
            try:
                chunk = await stream.read(READ_CHUNK)
            except OSError:  # EIO: the pty's other side is closed
                return
            if not chunk:
                return
            if self.drop is not None and self.sent + len(chunk) >= self.drop:
                await self.ws.send_bytes(bytes((channel,)) + chunk[: max(0, self.drop - self.sent)])
                transport = self.request.transport
                if transport is not None:
                    transport.abort()  # a broken network path: no close frame, no Status
                raise ConnectionResetError("dropped by fault injection")
            if self.stall_after is not None and self.sent + len(chunk) >= self.stall_after:
                self.stalled = True
                if self.reader is not None:
                    self.reader.cancel()  # not even pongs: a dead path
                await asyncio.Event().wait()  # hangs until the client gives up
            self.sent += len(chunk)
            await self.ws.send_bytes(bytes((channel,)) + chunk)

    async def _read_client(self, proc: asyncio.subprocess.Process) -> None:
        async for msg in self.ws:
            if msg.type != WSMsgType.BINARY:
                continue
            event = self.channels.receive(msg.data)
            if isinstance(event, p.Stdin):
                await self._write_stdin(event.data)
            elif isinstance(event, p.StdinClosed):
                self.record.stdin_closed = True
                self._close_stdin()
            elif isinstance(event, p.Resize):
                self.record.resizes.append((event.width, event.height))
                if self.master is not None:
                    winsize = struct.pack("HHHH", event.height, event.width, 0, 0)
                    fcntl.ioctl(self.master, termios.TIOCSWINSZ, winsize)
        # the client closed the WebSocket or went away: the command's stdin ends (kubelet: the streams close)
        self._close_stdin()

    async def _write_stdin(self, data: bytes) -> None:
        if self.master is not None:
            await asyncio.get_running_loop().run_in_executor(None, _write_all, self.master, data)
        elif self.stdin is not None and not self.stdin.is_closing():
            with contextlib.suppress(ConnectionError):
                self.stdin.write(data)
                await self.stdin.drain()

    def _close_stdin(self) -> None:
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.write(self.master, b"\x04")  # ^D: end of input on a terminal
        elif self.stdin is not None:
            self.stdin.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
