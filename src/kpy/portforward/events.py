"""What a running ``PortForwarder`` reports. The library never prints; the CLI renders these like kubectl."""

from __future__ import annotations

from dataclasses import dataclass


def join_host_port(host: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Listener:
    """A bound local socket forwarding to ``remote_port`` of the pod."""

    address: str
    local_port: int
    remote_port: int

    @property
    def host_port(self) -> str:
        return join_host_port(self.address, self.local_port)


@dataclass(frozen=True)
class ForwardingStarted:
    """kubectl: ``Forwarding from 127.0.0.1:8080 -> 80``."""

    listener: Listener
    namespace: str
    pod: str


@dataclass(frozen=True)
class ListenFailed:
    """kubectl (stderr): ``Unable to listen on port 8080: ...``."""

    local_port: int
    message: str


@dataclass(frozen=True)
class ConnectionAccepted:
    """kubectl: ``Handling connection for 8080``."""

    local_port: int


@dataclass(frozen=True)
class ConnectionFailed:
    """One forwarded connection ended with an error (the listener keeps serving).

    kpy prints ``error: an error occurred forwarding 8080 -> 80: MESSAGE``.
    """

    local_port: int
    remote_port: int
    message: str


@dataclass(frozen=True)
class PodLost:
    """The pod went away (deleted, or no longer running). Without reconnect the forwarder then fails."""

    namespace: str
    pod: str
    reason: str


@dataclass(frozen=True)
class Reconnected:
    """``--reconnect``: the target was resolved again; new connections go to ``pod``."""

    namespace: str
    previous_pod: str
    pod: str
    remote_ports: tuple[int, ...]


@dataclass(frozen=True)
class WatchProblem:
    """The pod could not be watched; forwarding continues but pod loss is only noticed on new connections."""

    message: str


@dataclass(frozen=True)
class HalfCloseUnsupported:
    """``--protocol v4``: a local client ended its sending side before any answer came. v4 has no half-close,
    so the stream ends there and the pod's answer may be missing. Reported once per forwarder."""

    local_port: int

    @property
    def message(self) -> str:
        return (
            f"a client of port {self.local_port} closed its sending side and may get no answer: "
            "v4.channel.k8s.io has no half-close (use --protocol auto, tunnel or spdy)"
        )


ForwardEvent = (
    ForwardingStarted
    | ListenFailed
    | ConnectionAccepted
    | ConnectionFailed
    | PodLost
    | Reconnected
    | WatchProblem
    | HalfCloseUnsupported
)
