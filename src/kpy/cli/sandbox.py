"""``kpy sandbox``: the embedded Kubernetes API emulator, for trying kpy (and kubectl) without a cluster."""

from __future__ import annotations

from typing import Any

from kpy.cli.command import Options, RunContext, add_command, argument, flag
from kpy.dataclasslite import dataclass

EXAMPLES = """

Examples:

  # Run one command against a fresh sandbox and exit with its exit code
  kpy sandbox -- kpy get pods -o wide

  # Keep a sandbox running; use it from other shells until Ctrl-C
  kpy sandbox
  export KUBECONFIG=/tmp/kpy-emulator-.../kubeconfig   # printed by the command above
"""

HELP = (
    "Start an in-process Kubernetes API emulator with a seeded namespace, optionally running a command "
    "against it." + EXAMPLES
)


@dataclass(frozen=True)
class SandboxOptions(Options):
    """``kpy sandbox [--empty] [-- CMD [ARGS...]]``."""

    command: tuple[str, ...] = argument(
        metavar="[-- CMD [ARGS...]]", multiple=True, help="Command to run with KUBECONFIG set."
    )
    empty: bool = flag("--empty", help="Start without the seeded objects.")

    async def run(self, ctx: RunContext) -> int:
        from kpy.sandbox import run_sandbox

        return await run_sandbox(list(self.command), seed=not self.empty)


def register(app: Any) -> None:
    add_command(
        app, "sandbox", SandboxOptions, help=HELP, context_settings={"allow_interspersed_args": False}
    )
