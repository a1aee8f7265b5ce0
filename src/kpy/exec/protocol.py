"""The remote-command channel protocol (``v5.channel.k8s.io``, ``v4.channel.k8s.io``), sans I/O.

One WebSocket message carries one channel's bytes: the first byte is the channel, the rest is data. Channels:
stdin 0 (client → server), stdout 1, stderr 2, error 3 (server → client: a ``metav1.Status`` once the command
ended), resize 4 (client → server: ``{"Width":W,"Height":H}``). ``v5`` adds the close signal, the two-byte
message ``[255, channel]``, with which the client half-closes stdin (so ``wc -c`` sees EOF).

``ClientChannels`` turns the server's messages into events and the final Status into an ``ExitResult`` the way
client-go's ``errorDecoderV4`` does; ``ServerChannels`` is the kubelet's side (used by the emulator). Neither
does I/O nor raises half-way through a stream: a malformed message becomes a ``ProtocolViolation`` event.
Upstream: client-go ``tools/remotecommand`` (websocket.go, v4.go, v5.go), apimachinery ``util/httpstream/wsstream``,
kubelet ``cri-streaming/remotecommand``.
"""

from __future__ import annotations

import json
from typing import Any

from kpy.dataclasslite import dataclass

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
#: the v5 close signal's channel byte: ``[CLOSE, channel]`` half-closes ``channel``
CLOSE = 255

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V3 = "v3.channel.k8s.io"
V2 = "v2.channel.k8s.io"
V1 = "channel.k8s.io"
#: what kpy offers, in order of preference (client-go offers v5 only over WebSocket, then falls back to SPDY;
#: kpy offers v4 too, so that servers without v5 still work, without closing stdin)
CLIENT_SUBPROTOCOLS = (V5, V4)
#: what the kubelet / API server accept, best first (the server picks the best one the client offers)
SERVER_SUBPROTOCOLS = (V5, V4, V3, V2, V1)

NON_ZERO_EXIT_CODE = "NonZeroExitCode"
EXIT_CODE_CAUSE = "ExitCode"


def data_message(channel: int, data: bytes | bytearray | memoryview) -> bytes:
    """One message of ``data`` on ``channel``."""
    return bytes((channel,)) + bytes(data)


def close_message(channel: int = STDIN) -> bytes:
    """The v5 close signal for ``channel``."""
    return bytes((CLOSE, channel))


def resize_message(width: int, height: int) -> bytes:
    """A terminal size on the resize channel (Go's ``TerminalSize`` JSON: ``Width`` then ``Height``)."""
    return bytes((RESIZE,)) + json.dumps({"Width": width, "Height": height}, separators=(",", ":")).encode()


def supports_close(subprotocol: str | None) -> bool:
    """Whether the negotiated protocol can half-close stdin."""
    return subprotocol == V5


def choose_subprotocol(offered: list[str], supported: tuple[str, ...] = SERVER_SUBPROTOCOLS) -> str | None:
    """The server's choice: its most preferred protocol that the client offered (what the API server does:
    a client offering ``v4, v5`` gets v5)."""
    for protocol in supported:
        if protocol in offered:
            return protocol
    return None


# --- client side ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """Bytes for stdout (channel 1) or stderr (channel 2)."""

    channel: int
    data: bytes


@dataclass(frozen=True)
class ProtocolViolation:
    """A message the protocol does not allow; the owner ends the session with this message."""

    message: str


@dataclass(frozen=True)
class ExitResult:
    """How the remote command ended: ``code`` (0 = success) and, for failures that are not an exit code
    (the command could not start, the container is gone, ...), the server's ``message``."""

    code: int
    message: str | None = None

    @property
    def exited(self) -> bool:
        """The command ran and ended with ``code`` (as opposed to an error before or around it)."""
        return self.message is None


Event = Output | ProtocolViolation


class ClientChannels:
    """The client's view of one session: feed it each binary message from the server."""

    def __init__(self, subprotocol: str | None) -> None:
        self.subprotocol = subprotocol
        self._error = bytearray()
        self.violation: str | None = None

    @property
    def can_close_stdin(self) -> bool:
        return supports_close(self.subprotocol)

    def receive(self, message: bytes | bytearray | memoryview) -> Event | None:
        """The event for one message, or None (an empty message, status bytes, or a close signal)."""
        if len(message) == 0:
            return None
        channel = message[0]
        if channel in (STDOUT, STDERR):
            if len(message) == 1:
                return None  # the server's opening message on a channel
            return Output(channel, bytes(message[1:]))
        if channel == ERROR:
            self._error += message[1:]
            return None
        if channel == CLOSE and self.can_close_stdin and len(message) == 2:
            return None  # the server closed one of its streams; the close of the WebSocket ends them all
        self.violation = f"unexpected message on channel {channel} ({len(message)} bytes)"
        return ProtocolViolation(self.violation)

    @property
    def status_received(self) -> bool:
        return bool(self._error)

    def result(self) -> ExitResult:
        """The outcome once the server has closed the WebSocket (client-go's ``errorDecoderV4``)."""
        if not self._error:
            return ExitResult(0)
        return decode_status(bytes(self._error))


def decode_status(raw: bytes) -> ExitResult:
    """A Status from the error channel as client-go reads it: Success → 0; NonZeroExitCode → its ExitCode cause;
    any other failure → code 1 with the server's message."""
    try:
        status = json.loads(raw)
    except ValueError as exc:
        return ExitResult(1, f"error stream protocol error: {exc} in {raw.decode(errors='replace')!r}")
    if not isinstance(status, dict):
        return ExitResult(1, "error stream protocol error: unknown error")
    state = status.get("status")
    if state == "Success":
        return ExitResult(0)
    if state != "Failure":
        return ExitResult(1, "error stream protocol error: unknown error")
    if status.get("reason") == NON_ZERO_EXIT_CODE:
        details = status.get("details")
        if not isinstance(details, dict):
            return ExitResult(1, "error stream protocol error: details must be set")
        for cause in details.get("causes") or []:
            if not isinstance(cause, dict) or cause.get("reason") != EXIT_CODE_CAUSE:
                continue
            text = str(cause.get("message", ""))
            if not text.isdigit() or int(text) > 255:
                return ExitResult(1, f'error stream protocol error: invalid exit code value "{text}"')
            return ExitResult(int(text))
        return ExitResult(1, f"error stream protocol error: no {EXIT_CODE_CAUSE} cause given")
    return ExitResult(1, str(status.get("message", "")))


# --- server side (the kubelet's half, for the emulator) ---------------------------------------------------


@dataclass(frozen=True)
class Stdin:
    """Bytes for the command's stdin (channel 0)."""

    data: bytes


@dataclass(frozen=True)
class StdinClosed:
    """The client closed stdin (v5's close signal for channel 0)."""


@dataclass(frozen=True)
class Resize:
    """A terminal size (channel 4)."""

    width: int
    height: int


ServerEvent = Stdin | StdinClosed | Resize | ProtocolViolation


class ServerChannels:
    """The kubelet's view of one session: client messages in, events out; Status messages to send."""

    def __init__(self, subprotocol: str | None) -> None:
        self.subprotocol = subprotocol
        self.stdin_closed = False

    def receive(self, message: bytes | bytearray | memoryview) -> ServerEvent | None:
        if len(message) == 0:
            return None
        channel = message[0]
        if channel == STDIN:
            if self.stdin_closed:
                return None  # wsstream drops data for a closed channel
            return Stdin(bytes(message[1:])) if len(message) > 1 else None
        if channel == RESIZE:
            try:
                size = json.loads(bytes(message[1:]))
                return Resize(int(size["Width"]), int(size["Height"]))
            except (ValueError, KeyError, TypeError):
                return ProtocolViolation(f"invalid resize message {bytes(message[1:])!r}")
        if channel == CLOSE and supports_close(self.subprotocol):
            if len(message) != 2:
                return ProtocolViolation("close signal must be two bytes")
            if message[1] == STDIN and not self.stdin_closed:
                self.stdin_closed = True
                return StdinClosed()
            return None
        return ProtocolViolation(f"unexpected message on channel {channel}")

    def _status(self, body: dict[str, Any]) -> bytes:
        if self.subprotocol == V5:
            body = {"metadata": {}, **body}  # the API server's translator serializes the typed Status
        return bytes((ERROR,)) + json.dumps(body, separators=(",", ":")).encode()

    def success(self) -> bytes:
        return self._status({"status": "Success"})

    def exit_code(self, code: int, go_error: str) -> bytes:
        """The NonZeroExitCode Status. ``go_error`` is the runtime's error text (``exit status 3``,
        ``signal: killed``); through the v5 translator it reads ``command terminated with exit code N``."""
        text = f"command terminated with exit code {code}" if self.subprotocol == V5 else go_error
        return self._status(
            {
                "status": "Failure",
                "message": f"command terminated with non-zero exit code: {text}",
                "reason": NON_ZERO_EXIT_CODE,
                "details": {"causes": [{"reason": EXIT_CODE_CAUSE, "message": str(code)}]},
            }
        )

    def internal_error(self, detail: str) -> bytes:
        """A failure to run the command at all (``exec: "x": executable file not found in $PATH``)."""
        inner = f"Internal error occurred: {detail}"
        if self.subprotocol == V5:
            return self._status(
                {
                    "status": "Failure",
                    "message": f"Internal error occurred: {inner}",
                    "reason": "InternalError",
                    "details": {"causes": [{"message": inner}]},
                    "code": 500,
                }
            )
        return self._status({"status": "Failure", "message": inner, "reason": "InternalError", "code": 500})
