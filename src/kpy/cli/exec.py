"""``kpy exec``: kubectl exec over the v5 WebSocket protocol (v4 when the server has no v5), bytes end to end.

Behaviour follows kubectl 1.32: ``TYPE/NAME`` selects a pod as kubectl does, the default container comes from
the ``kubectl.kubernetes.io/default-container`` annotation (else the first, with ``Defaulted container ...``
on stderr), ``-i`` copies stdin and, at its end, closes the command's stdin (v5), ``-t`` with ``-i`` on a
terminal puts it in raw mode (restored however kpy ends) and sends its size and every change, and the exit
status is the remote command's (``command terminated with exit code N`` on stderr, exit N). The SPDY
fallback kubectl has for servers without WebSocket exec is not implemented.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, lazy_completer, option
from kpy.dataclasslite import dataclass, field, replace

complete_port_forward_args = lazy_completer("complete_port_forward_args")

EXAMPLES = """

Examples:

  # Get output from running the 'date' command from pod web, using the first container by default
  kpy exec web -- date

  # Count the bytes of stdin in the pod: stdin is closed at its end, so wc ends
  printf abc | kpy exec -i web -- wc -c

  # Run a command in container web of pod web, with stdin and a terminal (raw mode, resized with yours)
  kpy exec -i -t web -c web -- sh -c 'echo interactive'

  # Run a command in the most active pod of the deployment web
  kpy exec deploy/web -- sh -c 'echo $POD_NAME'

  # The exit status is the command's (here 42, with "command terminated with exit code 42" on stderr)
  kpy exec web -- sh -c 'exit 0'
"""

HELP = (
    "Execute a command in a container. TYPE/NAME (pod, deployment, service, statefulset, replicaset, job "
    "...) selects a pod as kubectl does; the type defaults to pod." + EXAMPLES
)

NO_TTY = "Unable to use a TTY - input is not a terminal or the right kind of file"


@dataclass(frozen=True)
class ExecOptions(ClientOptions):
    """``kpy exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]``."""

    args: tuple[str, ...] = argument(
        metavar="(POD | TYPE/NAME)", multiple=True, complete=complete_port_forward_args
    )
    container: str = option(
        "-c",
        "--container",
        default="",
        help="Container name. If omitted, use the kubectl.kubernetes.io/"
        "default-container annotation for selecting the container to be attached or the first container in the "
        "pod will be chosen",
    )
    stdin: bool = flag("-i", "--stdin", help="Pass stdin to the container")
    tty: bool = flag("-t", "--tty", help="Stdin is a TTY")
    quiet: bool = flag("-q", "--quiet", help="Only print output from the remote session")
    pod_running_timeout: str = option(
        "--pod-running-timeout",
        default="1m0s",
        help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running",
    )
    #: the words after ``--`` (None: there was no ``--``)
    command: tuple[str, ...] | None = None
    #: set by complete
    timeout_seconds: float = field(default=60.0)

    def complete(self, ctx: RunContext) -> ExecOptions:
        from kpy.cli.port_forward import parse_timeout

        return replace(self, timeout_seconds=parse_timeout(self.pod_running_timeout))

    def validate(self) -> None:
        from kpy.errors import UsageError

        if self.command is None and len(self.args) > 1:
            raise UsageError(
                "exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead",
                hint="examples",
            )
        if not self.args:
            raise UsageError("pod, type/name or --filename must be specified")
        if len(self.args) > 1:
            raise UsageError(f"unexpected arguments before '--': {' '.join(self.args[1:])}", hint="examples")
        if not self.command:
            raise UsageError("you must specify at least one command for the container")

    def one_shot(self) -> bool:
        """A pod's name needs no event loop (``kpy.rest.blocking``: no asyncio or aiohttp to import, ~0.2 s
        of start-up); a workload (``deploy/web``) waits for a running pod with a watch, on the event loop."""
        return True

    async def run(self, ctx: RunContext) -> int:
        return await run_exec(self, ctx)


async def run_exec(options: ExecOptions, ctx: RunContext) -> int:
    """Resolve the pod, run the command, return its exit status (kubectl's messages on stderr)."""
    import signal

    from kpy.exec.fallback import open_exec_any, session_for
    from kpy.exec.session import ExecRequest
    from kpy.exec.target import default_container, resolve_pod
    from kpy.exec.tty import RawTerminal, terminal_size
    from kpy.rest.logs import log, v

    assert options.command is not None
    err = sys.stderr
    stdin_fd, stdout_fd = sys.stdin.fileno() if options.stdin else -1, sys.stdout.fileno()
    tty = options.tty and options.stdin
    if tty and not os.isatty(stdin_fd):
        tty = False
        if not options.quiet:
            err.write(NO_TTY + "\n")
    async with ctx.client(options.flags) as client:
        namespace = options.flags.namespace or client.config.namespace
        pod = await resolve_pod(client, namespace, options.args[0], options.timeout_seconds)
        container = options.container
        if not container:
            container, notice = default_container(pod)
            if notice and not options.quiet:
                err.write(notice + "\n")
                err.flush()
        meta = pod.get("metadata") or {}
        request = ExecRequest(
            str(meta.get("namespace") or namespace),
            str(meta.get("name", "")),
            container,
            options.command,
            stdin=options.stdin,
            tty=tty,
        )
        dialed = await open_exec_any(client, request, lambda message: log.log(v(1), message))
        # without an event loop (a pod named directly) the session runs in this thread
        blocking = client.blocking()
    sys.stdout.flush()
    session = session_for(
        dialed,
        request,
        stdin=(lambda n: os.read(stdin_fd, n)) if options.stdin else None,
        stdout=lambda data: _write_all(stdout_fd, data),
        stderr=lambda data: _write_all(2, data),
        warn=lambda message: print(f"Warning: {message}", file=err),
    )
    with contextlib.ExitStack() as stack:
        if tty:
            stack.enter_context(RawTerminal(stdin_fd))
            size = terminal_size(stdout_fd) or terminal_size(stdin_fd)
            if size is not None:
                session.resize(*size)

            def on_winch() -> None:
                if (now := terminal_size(stdout_fd) or terminal_size(stdin_fd)) is not None:
                    session.resize(*now)

            _on_sigwinch(on_winch, blocking, stack)
        try:
            if blocking:
                result = session.run()
            else:
                from kpy.streams.workers import run_in_thread

                result = await run_in_thread(session.run, name="kpy-exec")
        except BrokenPipeError:  # stdout closed (`| head`): end like kubectl, killed by SIGPIPE
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout_fd)
            return 128 + signal.SIGPIPE
    if result.message is not None:
        err.write(f"error: {result.message}\n")
        return 1
    if result.code != 0:
        err.write(f"command terminated with exit code {result.code}\n")
    return result.code


def _on_sigwinch(handler: Callable[[], None], blocking: bool, stack: contextlib.ExitStack) -> None:
    """Call ``handler`` on every SIGWINCH until ``stack`` closes (the event loop's handler, or the process's
    when there is no loop: the session then runs in the main thread, where Python runs signal handlers)."""
    import signal

    if blocking:
        with contextlib.suppress(ValueError):  # not the main thread: no resizes
            previous = signal.signal(signal.SIGWINCH, lambda _sig, _frame: handler())
            stack.callback(signal.signal, signal.SIGWINCH, previous)
        return
    import asyncio

    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGWINCH, handler)
        stack.callback(loop.remove_signal_handler, signal.SIGWINCH)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def register(app: Any) -> None:
    add_command(app, "exec", ExecOptions, help=HELP, after_dash="command")
