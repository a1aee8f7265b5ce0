"""``kpy elect``: run a command only while holding a coordination.k8s.io/v1 Lease (client-go's leader
election), and ``kpy elect status`` to see who holds it.

``kpy elect [flags] -- CMD [ARGS...]`` is the group's own callback: everything after ``--`` is the command,
so its flags are never read as kpy's. ``kpy elect status`` is a subcommand.
"""

# no `from __future__ import annotations`: connection_options hands typer the annotations as they are, and
# string annotations lose their typer.Option metadata (see the report about kpy.cli.common).

from typing import Annotated, Any

import typer
from typer import _click  # typer's vendored click: its errors are typer.TyperException, which main maps
from typer.core import TyperGroup

from kpy.cli.common import connection_options, run_async
from kpy.cli.completion import complete_json_output, complete_leases
from kpy.config.flags import ConnectionFlags

COMMAND_KEY = "kpy.elect.command"
#: ``--lease`` given before the subcommand (``kpy elect --lease x status``); set by the group's callback,
#: which always runs first
_group_lease: list[str | None] = [None]

EXAMPLES = """

Examples:

  # Run a job on only one of several machines at a time (lease "nightly" in the current namespace)
  kpy elect --lease nightly -- ./job.sh

  # Faster failover, with /healthz and /metrics on a random local port for a liveness probe
  kpy elect --lease worker --lease-duration 5s --renew-deadline 3s --retry-period 500ms --grace-period 1s \\
      --health-address 127.0.0.1:0 -- ./job.sh

  # Who holds the lease?
  kpy elect status --lease worker -o json
"""

HELP = (
    "Run a command only while holding a Lease (client-go leader election). Starts CMD once this process "
    "leads, stops it (SIGTERM to its process group, SIGKILL after --grace-period) before the lease could "
    "pass to another candidate, and exits with CMD's exit code. The command sees KPY_LEASE, KPY_IDENTITY "
    "and KPY_LEASE_TRANSITIONS (a fencing token)." + EXAMPLES
)


class ElectGroup(TyperGroup):
    """``kpy elect [flags] -- CMD ...`` runs; ``kpy elect status ...`` is a subcommand."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            raise _click.exceptions.NoArgsIsHelpError(ctx)
        if "--" not in args:
            return super().parse_args(ctx, args)
        i = args.index("--")
        ctx.meta[COMMAND_KEY] = args[i + 1 :]
        _click.Command.parse_args(self, ctx, args[:i])
        return ctx.args

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not ctx.resilient_parsing and not name.startswith("-") and self.get_command(ctx, name) is None:
            # `kpy elect --lease x ./job.sh`: a command without `--`, not an unknown subcommand
            raise _click.exceptions.UsageError(
                f"unexpected argument {name!r}: put the command after '--' (kpy elect --lease NAME -- CMD)",
                ctx=ctx,
            )
        return super().resolve_command(ctx, args)


def register(app: typer.Typer) -> None:
    elect_app = typer.Typer(
        cls=ElectGroup,
        subcommand_metavar="-- CMD [ARGS...]",  # `kpy elect status` is listed under Commands
        invoke_without_command=True,
        no_args_is_help=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    elect_app.callback(invoke_without_command=True, help=HELP)(elect_command)
    elect_app.command("status")(status_command)
    app.add_typer(elect_app, name="elect", help=HELP, short_help=HELP.split(".")[0] + ".")


@connection_options
def elect_command(
    ctx: typer.Context,
    lease: Annotated[
        str | None, typer.Option(
            "--lease",
            help="Name of the Lease to campaign for.",
            show_default=False,
            autocompletion=complete_leases,
        )
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            help="This candidate's identity (default: hostname_<random uuid>, unique per process).",
            show_default=False,
        ),
    ] = None,
    lease_duration: Annotated[
        str,
        typer.Option(
            "--lease-duration",
            metavar="DURATION",
            help="How long followers wait after the last observed renewal before taking over (whole seconds are "
            "stored in the Lease).",
        ),
    ] = "15s",
    renew_deadline: Annotated[
        str,
        typer.Option(
            "--renew-deadline",
            metavar="DURATION",
            help="How long the leader retries renewing before giving up.",
        ),
    ] = "10s",
    retry_period: Annotated[
        str,
        typer.Option(
            "--retry-period",
            metavar="DURATION",
            help="Time between tries (acquire tries get jitter up to 1.2x).",
        ),
    ] = "2s",
    grace_period: Annotated[
        str,
        typer.Option(
            "--grace-period",
            metavar="DURATION",
            help="Time between SIGTERM and SIGKILL when the command must stop; at most 0.9 × lease duration − "
            "renew deadline.",
        ),
    ] = "3s",
    release_on_exit: Annotated[
        bool,
        typer.Option(
            "--release-on-exit/--no-release-on-exit",
            help='When the command exits, give the lease up at once (holderIdentity "") instead of letting it '
            "expire.",
        ),
    ] = True,
    health_address: Annotated[
        str | None,
        typer.Option(
            "--health-address",
            metavar="HOST:PORT",
            help="Serve /healthz (fails when the leader has not renewed for lease duration + 20s) and /metrics.",
            show_default=False,
        ),
    ] = None,
    *,
    flags: ConnectionFlags,
) -> None:
    if ctx.invoked_subcommand is not None:
        # `kpy elect --lease x -n ns status`: flags before the subcommand apply to it, as in kubectl
        from kpy.cli.common import run_context

        run_context(ctx).root_flags = flags
        _group_lease[0] = lease
        return
    command: list[str] = list(ctx.meta.get(COMMAND_KEY) or [])
    if ctx.args:
        raise _click.exceptions.UsageError(
            f"unexpected argument {ctx.args[0]!r}: put the command after '--' (kpy elect --lease NAME -- CMD)",
            ctx=ctx,
        )
    if not lease:
        raise _click.exceptions.UsageError('required flag(s) "lease" not set', ctx=ctx)
    if not command:
        raise _click.exceptions.UsageError(
            "a command to run is required after '--' (kpy elect --lease NAME -- CMD)", ctx=ctx
        )
    options = _election_options(lease_duration, renew_deadline, retry_period, grace_period)
    raise typer.Exit(
        run_async(_run(flags, lease, identity, options, command, release_on_exit, health_address))
    )


def _election_options(lease_duration: str, renew_deadline: str, retry_period: str, grace_period: str) -> Any:
    from kpy.election.config import ElectionConfig
    from kpy.election.durations import parse_flag_duration

    config = ElectionConfig(
        lease_duration_ns=parse_flag_duration("--lease-duration", lease_duration),
        renew_deadline_ns=parse_flag_duration("--renew-deadline", renew_deadline),
        retry_period_ns=parse_flag_duration("--retry-period", retry_period),
        grace_period_ns=parse_flag_duration("--grace-period", grace_period),
    )
    config.validate()
    return config


def default_identity() -> str:
    """hostname + "_" + a random UUID: unique per process, so two processes never share one by accident."""
    import socket
    import uuid

    return f"{socket.gethostname()}_{uuid.uuid4()}"


async def _run(
    flags: ConnectionFlags,
    lease: str,
    identity: str | None,
    config: Any,
    command: list[str],
    release_on_exit: bool,
    health_address: str | None,
) -> int:
    from kpy.cli.common import open_client
    from kpy.election.health import parse_address
    from kpy.election.lock import LeaseLock
    from kpy.election.runner import ElectionRunner, RunOptions

    if health_address:
        parse_address(health_address)  # bad input fails before connecting
    options = RunOptions(
        argv=tuple(command),
        identity=identity or default_identity(),
        config=config,
        release_on_exit=release_on_exit,
        health_address=health_address,
    )
    async with open_client(flags) as client:
        lock = LeaseLock(client, client.config.namespace, lease)
        return await ElectionRunner(lock, options).run()


@connection_options
def status_command(
    lease: Annotated[
        str | None, typer.Option("--lease", help="Name of the Lease.", show_default=False, autocompletion=complete_leases)
    ] = None,
    output: Annotated[
        str, typer.Option("-o", "--output", autocompletion=complete_json_output,
                          help="Output format: json, or empty for text.")
    ] = "",
    *,
    flags: ConnectionFlags,
) -> None:
    """Show who holds a Lease, when it was last renewed, whether it has expired, and its transitions.

    Examples:

      # Who holds the lease "nightly" in the current namespace?
      kpy elect status --lease nightly

      # The same as JSON, for scripts
      kpy elect status --lease nightly -o json
    """
    lease = lease or _group_lease[0]  # `kpy elect --lease x status`
    if not lease:
        raise _click.exceptions.UsageError('required flag(s) "lease" not set')
    if output not in ("", "json"):
        raise _click.exceptions.UsageError(
            f'unable to match a printer suitable for the output format "{output}", allowed formats are: json'
        )
    raise typer.Exit(run_async(_status(flags, lease, output)))


async def _status(flags: ConnectionFlags, lease: str, output: str) -> int:
    import json
    import sys
    from datetime import UTC, datetime

    from kpy.cli.common import open_client
    from kpy.election.lock import LEASES
    from kpy.election.status import lease_status

    async with open_client(flags) as client:
        path = f"{LEASES.format(namespace=client.config.namespace)}/{lease}"
        obj = (await client.get_named(path, client.config.namespace)).json()
    status = lease_status(obj, datetime.now(UTC))
    if output == "json":
        sys.stdout.write(json.dumps(status.to_json(), indent=4) + "\n")
    else:
        sys.stdout.write(status.to_text())
    return 0
