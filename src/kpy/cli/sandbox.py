"""``kpy sandbox``: the embedded Kubernetes API emulator, for trying kpy (and kubectl) without a cluster."""

from __future__ import annotations

from typing import Annotated

import typer

EXAMPLES = """

Examples:

  # Run one command against a fresh sandbox and exit with its exit code
  kpy sandbox -- kpy get pods -o wide

  # Keep a sandbox running; use it from other shells until Ctrl-C
  kpy sandbox
  export KUBECONFIG=/tmp/kpy-emulator-.../kubeconfig   # printed by the command above
"""


def register(app: typer.Typer) -> None:
    app.command(
        "sandbox",
        help="Start an in-process Kubernetes API emulator with a seeded namespace, optionally running a command "
             "against it." + EXAMPLES,
        context_settings={"allow_interspersed_args": False},
    )(sandbox_command)


def sandbox_command(
    command: Annotated[list[str] | None, typer.Argument(metavar="[-- CMD [ARGS...]]", show_default=False,
                                                        help="Command to run with KUBECONFIG set.")] = None,
    empty: Annotated[bool, typer.Option("--empty", help="Start without the seeded objects.")] = False,
) -> None:
    from kpy.cli.common import run_async
    from kpy.sandbox import run_sandbox

    raise typer.Exit(run_async(run_sandbox(list(command or []), seed=not empty)))
