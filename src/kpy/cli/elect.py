"""``kpy elect``: run a command only while holding a coordination.k8s.io/v1 Lease (client-go's leader
election), and ``kpy elect status`` to see who holds it.

``kpy elect [flags] -- CMD [ARGS...]`` is the group's own command (``ElectOptions``): everything after ``--``
is the command, so its flags are never read as kpy's. ``kpy elect status`` is a subcommand (``StatusOptions``);
flags given before it (``kpy elect --lease x -n ns status``) apply to it, through ``RunContext.group``.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import click

from kpy.cli import framework
from kpy.cli.command import (
    ClientOptions,
    RunContext,
    add_command,
    flag,
    lazy_completer,
    make_callback,
    option,
)
from kpy.dataclasslite import dataclass, replace

complete_json_output = lazy_completer("complete_json_output")
complete_leases = lazy_completer("complete_leases")

if TYPE_CHECKING:
    from kpy.election.config import ElectionConfig

COMMAND_KEY = "kpy.elect.command"

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

STATUS_HELP = """Show who holds a Lease, when it was last renewed, whether it has expired, and its transitions.

Examples:

  # Who holds the lease "nightly" in the current namespace?
  kpy elect status --lease nightly

  # The same as JSON, for scripts
  kpy elect status --lease nightly -o json"""


@dataclass(frozen=True)
class ElectOptions(ClientOptions):
    """``kpy elect --lease NAME [flags] -- CMD [ARGS...]``."""

    lease: str | None = option(
        "--lease",
        default=None,
        help="Name of the Lease to campaign for.",
        show_default=False,
        complete=complete_leases,
    )
    identity: str | None = option(
        "--identity",
        default=None,
        help="This candidate's identity (default: hostname_<random uuid>, unique per process).",
        show_default=False,
    )
    lease_duration: str = option(
        "--lease-duration",
        default="15s",
        metavar="DURATION",
        help="How long followers wait after the last observed renewal before taking over (whole seconds are "
        "stored in the Lease).",
    )
    renew_deadline: str = option(
        "--renew-deadline",
        default="10s",
        metavar="DURATION",
        help="How long the leader retries renewing before giving up.",
    )
    retry_period: str = option(
        "--retry-period",
        default="2s",
        metavar="DURATION",
        help="Time between tries (acquire tries get jitter up to 1.2x).",
    )
    grace_period: str = option(
        "--grace-period",
        default="3s",
        metavar="DURATION",
        help="Time between SIGTERM and SIGKILL when the command must stop; at most 0.9 × lease duration − "
        "renew deadline.",
    )
    release_on_exit: bool = flag(
        "--release-on-exit/--no-release-on-exit",
        default=True,
        help='When the command exits, give the lease up at once (holderIdentity "") instead of letting it '
        "expire.",
    )
    health_address: str | None = option(
        "--health-address",
        default=None,
        metavar="HOST:PORT",
        help="Serve /healthz (fails when the leader has not renewed for lease duration + 20s) and /metrics.",
        show_default=False,
    )
    #: from the parsed line: the words after ``--``, the words before it that are not flags, the subcommand
    command: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    subcommand: str | None = None

    def config(self) -> ElectionConfig:
        """The election timings (``UsageError`` for a bad duration or combination)."""
        return election_config(self.lease_duration, self.renew_deadline, self.retry_period, self.grace_period)

    def validate(self) -> None:
        from kpy.errors import UsageError

        if self.subcommand is not None:
            return
        if self.unexpected:
            raise UsageError(
                f"unexpected argument {self.unexpected[0]!r}: put the command after '--' "
                "(kpy elect --lease NAME -- CMD)",
                hint="usage",
            )
        if not self.lease:
            raise UsageError('required flag(s) "lease" not set', hint="usage")
        if not self.command:
            raise UsageError(
                "a command to run is required after '--' (kpy elect --lease NAME -- CMD)", hint="usage"
            )
        self.config()

    def run(self, ctx: RunContext) -> int | Coroutine[Any, Any, int]:
        if self.subcommand is not None:
            # `kpy elect --lease x -n ns status`: flags before the subcommand apply to it, as in kubectl
            ctx.root_flags = self.flags
            ctx.group = self
            return 0
        return self._elect(ctx)

    async def _elect(self, ctx: RunContext) -> int:
        from kpy.election.health import parse_address
        from kpy.election.lock import LeaseLock
        from kpy.election.runner import ElectionRunner, RunOptions

        assert self.lease is not None
        if self.health_address:
            parse_address(self.health_address)  # bad input fails before connecting
        run = RunOptions(
            argv=self.command,
            identity=self.identity or default_identity(),
            config=self.config(),
            release_on_exit=self.release_on_exit,
            health_address=self.health_address,
        )
        async with ctx.client(self.flags) as client:
            lock = LeaseLock(client, client.config.namespace, self.lease)
            return await ElectionRunner(lock, run).run()


@dataclass(frozen=True)
class StatusOptions(ClientOptions):
    """``kpy elect status --lease NAME [-o json]``."""

    lease: str | None = option(
        "--lease", default=None, help="Name of the Lease.", show_default=False, complete=complete_leases
    )
    output: str = option(
        "-o",
        "--output",
        default="",
        complete=complete_json_output,
        help="Output format: json, or empty for text.",
    )

    def complete(self, ctx: RunContext) -> StatusOptions:
        group = ctx.group
        if not self.lease and isinstance(group, ElectOptions):  # `kpy elect --lease x status`
            return replace(self, lease=group.lease)
        return self

    def validate(self) -> None:
        from kpy.errors import UsageError

        if not self.lease:
            raise UsageError('required flag(s) "lease" not set', hint="usage")
        if self.output not in ("", "json"):
            raise UsageError(
                f'unable to match a printer suitable for the output format "{self.output}", allowed formats are: json',
                hint="usage",
            )

    async def run(self, ctx: RunContext) -> int:
        import json
        import sys
        from datetime import UTC, datetime

        from kpy.election.lock import LEASES
        from kpy.election.status import lease_status

        assert self.lease is not None
        async with ctx.client(self.flags) as client:
            path = f"{LEASES.format(namespace=client.config.namespace)}/{self.lease}"
            obj = (await client.get_named(path, client.config.namespace)).json()
        status = lease_status(obj, datetime.now(UTC))
        if self.output == "json":
            sys.stdout.write(json.dumps(status.to_json(), indent=4) + "\n")
        else:
            sys.stdout.write(status.to_text())
        return 0


class ElectGroup(framework.Group):
    """``kpy elect [flags] -- CMD ...`` runs; ``kpy elect status ...`` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from kpy.errors import UsageError

        if not args and not ctx.resilient_parsing:
            error = UsageError('required flag(s) "lease" not set', hint="usage")
            error.command_path = ctx.command_path
            raise error
        if "--" not in args:
            return list(super().parse_args(ctx, args))
        i = args.index("--")
        ctx.meta[COMMAND_KEY] = args[i + 1 :]
        return list(super().parse_args(ctx, args[:i]))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        from kpy.errors import UsageError

        name = args[0] if args else ""
        if (
            name
            and not ctx.resilient_parsing
            and not name.startswith("-")
            and self.get_command(ctx, name) is None
        ):
            # `kpy elect --lease x ./job.sh`: a command without `--`, not an unknown subcommand
            error = UsageError(
                f"unexpected argument {name!r}: put the command after '--' (kpy elect --lease NAME -- CMD)",
                hint="usage",
            )
            error.command_path = ctx.command_path
            raise error
        return super().resolve_command(ctx, args)


def _parsed_line(ctx: Any) -> dict[str, Any]:
    return {
        "command": tuple(ctx.meta.get(COMMAND_KEY) or ()),
        "unexpected": tuple(ctx.args),
        "subcommand": ctx.invoked_subcommand,
    }


def register(app: Any) -> None:
    from kpy.cli.command import click_params

    group = ElectGroup(
        "elect",
        params=click_params(ElectOptions),
        callback=make_callback(ElectOptions, extra=_parsed_line),
        help=HELP,
        short_help=HELP.split(".")[0] + ".",
        subcommand_metavar="-- CMD [ARGS...]",  # `kpy elect status` is listed under Commands
        invoke_without_command=True,
        no_args_is_help=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    add_command(group, "status", StatusOptions, help=STATUS_HELP)
    app.add_command(group, "elect")


def election_config(
    lease_duration: str, renew_deadline: str, retry_period: str, grace_period: str
) -> ElectionConfig:
    from kpy.election.config import ElectionConfig
    from kpy.gocompat.duration import parse_flag_duration

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
