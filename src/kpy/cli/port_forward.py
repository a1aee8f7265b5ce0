"""``kpy port-forward``: kubectl port-forward (SPDY tunnel, SPDY, or v4 WebSocket), with ``--reconnect`` and ``-o json``.

Output follows kubectl: ``Forwarding from 127.0.0.1:8080 -> 80`` per listener and ``Handling connection for
8080`` per connection on stdout; ``Unable to listen on port ...`` and per-connection errors on stderr. Ctrl-C
closes everything and exits 0; SIGTERM closes everything and exits 143 (kubectl dies of it: 128 + 15); a lost
pod, or a stream that fails on the pod's side, exits 1 with ``error: lost connection to pod`` (unless
``--reconnect``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TextIO

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, lazy_completer, option
from kpy.config.flags import ConnectionFlags
from kpy.dataclasslite import dataclass, replace

complete_json_output = lazy_completer("complete_json_output")
complete_port_forward_args = lazy_completer("complete_port_forward_args")

if TYPE_CHECKING:
    from kpy.rest import RestClient

EXAMPLES = """

Examples:

  # Listen on a random free local port (printed), forwarding to port 80 in pod web
  kpy port-forward pod/web :80

  # Listen on local port 18080, forwarding to the pod's container port named "http"
  kpy port-forward pod/web 18080:http

  # Forward to the targetPort of the service's port named "http", in a pod selected by the service
  kpy port-forward service/web :http

  # Forward to port 80 in a running pod of the deployment, on every IPv4 loopback address given
  kpy port-forward deployment/web :80 --address 127.0.0.1

  # Keep serving when the pod is replaced (re-resolve the service to a new ready pod)
  kpy port-forward --reconnect svc/web :80

  # For scripts: one JSON line per listener once ready
  kpy port-forward svc/web :80 -o json
"""

HELP = (
    "Forward one or more local ports to a pod. Use TYPE/NAME (pod, service, deployment, replicaset, "
    "statefulset, ...) to select a pod; the type defaults to pod. If several pods match, the most active one "
    "is used. The session ends when the pod goes away, unless --reconnect is given." + EXAMPLES
)


@dataclass(frozen=True)
class PortForwardOptions(ClientOptions):
    """``kpy port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...] [flags]``."""

    args: tuple[str, ...] = argument(
        metavar="TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]",
        multiple=True,
        complete=complete_port_forward_args,
    )
    address: tuple[str, ...] = option(
        "--address",
        default=(),
        multiple=True,
        help="Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a "
        "value. When localhost is supplied, kpy will try to bind on both 127.0.0.1 and ::1 and will fail if "
        "neither of these addresses are available to bind.",
        show_default="localhost",
    )
    pod_running_timeout: str = option(
        "--pod-running-timeout",
        default="1m0s",
        metavar="DURATION",
        help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is "
        "running",
    )
    reconnect: bool = flag(
        "--reconnect",
        help="When the pod goes away, resolve TYPE/NAME again (a new pod of the service or "
        "workload) and keep serving on the same local ports.",
    )
    protocol: str = option(
        "--protocol",
        default="auto",
        help="How to reach the kubelet: auto (the SPDY tunnel in a WebSocket, then SPDY over an HTTP "
        "upgrade, then v4), tunnel, spdy or v4 (one WebSocket per connection, no half-close). -v says "
        "which is used.",
    )
    output: str = option(
        "-o",
        "--output",
        default="",
        complete=complete_json_output,
        help="Output format: '' (kubectl's lines) or json (one line per listener).",
    )
    #: set by complete: --pod-running-timeout in seconds
    timeout: float = 0.0

    def validate(self) -> None:
        from kpy.errors import UsageError

        if self.output not in ("", "json"):
            raise UsageError(
                f'unable to match a printer suitable for the output format "{self.output}", allowed formats are: json'
            )
        if len(self.args) < 2:
            raise UsageError("TYPE/NAME and list of ports are required for port-forward", hint="examples")

    def complete(self, ctx: RunContext) -> PortForwardOptions:
        return replace(self, address=self.address or ("localhost",))

    async def run(self, ctx: RunContext) -> int:
        return await run_port_forward(self, ctx.client, protocol=self.protocol)


def register(app: Any) -> None:
    add_command(app, "port-forward", PortForwardOptions, help=HELP)


def parse_timeout(value: str) -> float:
    from kpy.errors import UsageError
    from kpy.gocompat.duration import parse_flag_seconds

    seconds = parse_flag_seconds("--pod-running-timeout", value)
    if seconds <= 0:
        raise UsageError("--pod-running-timeout must be higher than zero")
    return seconds


class Renderer:
    """Turns forwarder events into kubectl's lines (or JSON lines for listeners)."""

    def __init__(self, output: str, out: TextIO, err: TextIO, *, reconnect: bool = False) -> None:
        self.json = output == "json"
        self.out = out
        self.err = err
        self.reconnect = reconnect

    def _line(self, stream: TextIO, text: str) -> None:
        stream.write(text + "\n")
        stream.flush()

    def __call__(self, event: Any) -> None:
        from kpy.portforward import events as ev

        if isinstance(event, ev.ForwardingStarted):
            li = event.listener
            if self.json:
                import json

                self._line(
                    self.out,
                    json.dumps(
                        {
                            "address": li.address,
                            "localPort": li.local_port,
                            "remotePort": li.remote_port,
                            "url": f"http://{li.host_port}",
                            "namespace": event.namespace,
                            "pod": event.pod,
                        },
                        separators=(",", ":"),
                    ),
                )
            else:
                self._line(self.out, f"Forwarding from {li.host_port} -> {li.remote_port}")
        elif isinstance(event, ev.ConnectionAccepted):
            if not self.json:
                self._line(self.out, f"Handling connection for {event.local_port}")
        elif isinstance(event, ev.ListenFailed):
            self._line(self.err, f"Unable to listen on port {event.local_port}: {event.message}")
        elif isinstance(event, ev.ConnectionFailed):
            self._line(
                self.err,
                f"error: an error occurred forwarding {event.local_port} -> "
                f"{event.remote_port}: {event.message}",
            )
        elif isinstance(event, ev.PodLost):
            if not self.reconnect:
                return  # the command ends with kubectl's "error: lost connection to pod"
            self._line(
                self.err, f"Lost connection to pod {event.pod}: {event.reason}; resolving the target again"
            )
        elif isinstance(event, ev.Reconnected):
            ports = ", ".join(str(p) for p in event.remote_ports)
            self._line(self.err, f"Forwarding to pod {event.pod} (was {event.previous_pod}), ports {ports}")
        elif isinstance(event, ev.WatchProblem | ev.HalfCloseUnsupported):
            self._line(self.err, f"warning: {event.message}")


async def run_port_forward(
    options: PortForwardOptions,
    open_client: Callable[[ConnectionFlags], AbstractAsyncContextManager[RestClient]],
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    protocol: str = "auto",
) -> int:
    """Forward until Ctrl-C/SIGTERM or the pod goes away; ``open_client`` is the engine seam."""
    import asyncio
    import signal

    from kpy.portforward import PortForwarder

    timeout = parse_timeout(options.pod_running_timeout)
    render = Renderer(options.output, out or sys.stdout, err or sys.stderr, reconnect=options.reconnect)
    async with open_client(options.flags) as client:
        forwarder = PortForwarder(
            client,
            options.args[0],
            list(options.args[1:]),
            addresses=list(options.address),
            pod_running_timeout=timeout,
            reconnect=options.reconnect,
            on_event=render,
            protocol=protocol,
        )
        terminated: list[int] = []

        def on_signal(sig: int) -> None:
            terminated.append(sig)
            forwarder.stop()

        async with forwarder:
            # Everything so far (imports, configuration, the resolved target) lives until exit: keep the cyclic
            # GC from walking it again during connections (a full pass paused a new connection for ~30 ms).
            import gc

            gc.freeze()
            loop = asyncio.get_running_loop()
            installed = []
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, on_signal, sig)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):  # not the main thread / platform
                    pass
            try:
                await forwarder.wait()
            finally:
                for sig in installed:
                    loop.remove_signal_handler(sig)
    # kubectl stops cleanly on Ctrl-C (exit 0) and dies of SIGTERM (the shell's 128 + 15)
    return 128 + signal.SIGTERM if signal.SIGTERM in terminated else 0
