"""``kpy on RESOURCE [NAME] [flags] -- CMD [ARGS...]``: client-go's informer and rate-limited work queue,
running a command per changed object.

The command line is ``OnOptions`` below; the engine is ``kpy.cache`` (``kpy.cache.run`` validates the parsed
options and runs informer, queue, workers, lease and metrics), imported when the command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, lazy_completer, option
from kpy.dataclasslite import dataclass
from kpy.errors import UsageError

complete_get_args = lazy_completer("complete_get_args")
complete_leases = lazy_completer("complete_leases")

if TYPE_CHECKING:
    from kpy.cache import run as engine

HELP = """Run a command for every change of a resource, with client-go's informer and work queue.

Lists RESOURCE, then watches it (resuming after every drop, relisting after 410 Gone; objects deleted
meanwhile are still reported as deleted), and queues the key (namespace/name) of each change. --workers
commands run in parallel, never two for the same key; a key changed while its command runs is queued again
once it finishes. The command gets the object's latest state as JSON on stdin (for a delete: the last state
known) and KPY_EVENT (Added, Modified, Deleted or Sync), KPY_KEY, KPY_NAMESPACE, KPY_NAME,
KPY_RESOURCE_VERSION and KPY_RETRIES in its environment; its output lines are prefixed with the key.

A non-zero exit re-queues the key after client-go's default controller back-off (5ms doubling per failure up
to 1000s, and at most 10 retries a second overall with a burst of 100; see the --retry-* flags); success
resets it. After --max-retries the key is dropped with one line on stderr.

SIGINT/SIGTERM: no new runs start, running ones may finish for --grace-period, then kpy exits 0; a second
signal kills them at once.

Examples:

  # Say which pod changed phase (only a change of the JSONPath result queues an update)
  kpy on pods --when '{.status.phase}' -- sh -c 'echo "$KPY_EVENT $KPY_KEY"'

  # Follow one pod; the command reads the pod's JSON from stdin
  kpy on pod web -- cat

  # Run ./job.sh for pods labelled app=web, 4 at a time, and for each again every 10 minutes
  kpy on pods -l app=web --workers 4 --resync 10m -- ./job.sh

  # Only creations and deletions of deployments, in every namespace
  kpy on deployments -A --on add,delete -- ./job.sh

  # One active copy among several (leader election on the Lease "web-controller"), metrics on a local port
  kpy on pods --elect web-controller --metrics-address 127.0.0.1:0 -- ./job.sh
"""

RETRY_PANEL = "Retries (client-go's default controller rate limiter)"
ELECT_PANEL = "Leader election (--elect)"


@dataclass(frozen=True)
class OnOptions(ClientOptions):
    """``kpy on RESOURCE [NAME] [flags] -- CMD [ARGS...]``."""

    args: tuple[str, ...] = argument(
        metavar="RESOURCE [NAME] -- CMD [ARGS...]", multiple=True, complete=complete_get_args
    )
    #: the words after ``--`` (``add_command(after_dash=...)``): CMD and its arguments, never kpy's
    command: tuple[str, ...] | None = None
    all_namespaces: bool = flag("-A", "--all-namespaces", help="Watch the resource in every namespace.")
    selector: str | None = option(
        "-l", "--selector", default=None, help="Label selector (e.g. app=web,tier!=db)."
    )
    field_selector: str | None = option(
        "--field-selector", default=None, help="Field selector (e.g. status.phase=Running)."
    )
    on: str = option(
        "--on",
        default="add,update,delete,sync",
        metavar="EVENTS",
        help="Which changes queue the key: a list of add, update, delete, sync.",
    )
    when: str | None = option(
        "--when",
        default=None,
        metavar="JSONPATH",
        help="Queue an update only when this kubectl JSONPath template's result changed.",
    )
    workers: int = option("--workers", default=1, help="Commands running at once (never two for one key).")
    max_retries: int = option(
        "--max-retries", default=5, help="Re-queues of a failing key before it is dropped (-1: no limit)."
    )
    resync: str = option(
        "--resync", default="0", metavar="DURATION", help="Queue every key again this often (0: never)."
    )
    timeout: str = option(
        "--timeout",
        default="0",
        metavar="DURATION",
        help="Kill a run (its process group) after this long (0: never).",
    )
    grace_period: str = option(
        "--grace-period",
        default="30s",
        metavar="DURATION",
        help="On SIGINT/SIGTERM, how long running commands may finish before they are killed.",
    )
    metrics_address: str | None = option(
        "--metrics-address",
        default=None,
        metavar="HOST:PORT",
        show_default=False,
        help="Serve /healthz and /metrics (client-go's workqueue metrics) here; port 0 picks one.",
    )
    chunk_size: int = option("--chunk-size", default=500, help="List in chunks of this size (0 disables).")
    retry_base_delay: str = option(
        "--retry-base-delay",
        default="5ms",
        metavar="DURATION",
        panel=RETRY_PANEL,
        help="Back-off after a key's first failure; doubles with each further one.",
    )
    retry_max_delay: str = option(
        "--retry-max-delay",
        default="1000s",
        metavar="DURATION",
        panel=RETRY_PANEL,
        help="Longest back-off of one key.",
    )
    retry_qps: float = option(
        "--retry-qps", default=10.0, panel=RETRY_PANEL, help="Retries per second, all keys."
    )
    retry_burst: int = option(
        "--retry-burst", default=100, panel=RETRY_PANEL, help="Retries at once, all keys."
    )
    elect: str | None = option(
        "--elect",
        default=None,
        metavar="LEASE",
        complete=complete_leases,
        panel=ELECT_PANEL,
        help="Run only while holding this Lease (kpy elect's leader election).",
    )
    identity: str | None = option(
        "--identity",
        default=None,
        show_default=False,
        panel=ELECT_PANEL,
        help="This copy's identity (default: hostname_<random uuid>).",
    )
    lease_duration: str = option(
        "--lease-duration",
        default="15s",
        metavar="DURATION",
        panel=ELECT_PANEL,
        help="How long followers wait after the last observed renewal before taking over.",
    )
    renew_deadline: str = option(
        "--renew-deadline",
        default="10s",
        metavar="DURATION",
        panel=ELECT_PANEL,
        help="How long the leader retries renewing before giving up.",
    )
    retry_period: str = option(
        "--retry-period", default="2s", metavar="DURATION", panel=ELECT_PANEL, help="Time between tries."
    )

    def engine_options(self) -> engine.OnOptions:
        """The library's options: durations parsed, the lease's timings checked (pflag's and kpy elect's words)."""
        from kpy.cache.run import OnOptions as EngineOptions
        from kpy.gocompat.duration import SECOND, parse_flag_duration

        positional, command = self.args, self.command or ()
        if not positional:
            raise UsageError("a resource type is required (kpy on RESOURCE -- CMD)", hint="usage")
        if len(positional) > 2:
            raise UsageError(
                f"unexpected argument {positional[2]!r}: put the command after '--' (kpy on RESOURCE -- CMD)",
                hint="usage",
            )

        def seconds(flag_name: str, text: str) -> float:
            return parse_flag_duration(flag_name, text) / SECOND

        election = None
        if self.elect:
            from kpy.election.config import ElectionConfig

            election = ElectionConfig(
                lease_duration_ns=parse_flag_duration("--lease-duration", self.lease_duration),
                renew_deadline_ns=parse_flag_duration("--renew-deadline", self.renew_deadline),
                retry_period_ns=parse_flag_duration("--retry-period", self.retry_period),
                grace_period_ns=0,  # a lost lease kills the running commands at once
            )
            election.validate()
        return EngineOptions(
            resource=positional[0],
            name=positional[1] if len(positional) > 1 else None,
            command=command,
            all_namespaces=self.all_namespaces,
            label_selector=self.selector,
            field_selector=self.field_selector,
            on=self.on,
            when=self.when,
            workers=self.workers,
            max_retries=self.max_retries,
            resync=seconds("--resync", self.resync),
            timeout=seconds("--timeout", self.timeout),
            grace_period=seconds("--grace-period", self.grace_period),
            retry_base_delay=seconds("--retry-base-delay", self.retry_base_delay),
            retry_max_delay=seconds("--retry-max-delay", self.retry_max_delay),
            retry_qps=self.retry_qps,
            retry_burst=self.retry_burst,
            chunk_size=self.chunk_size,
            metrics_address=self.metrics_address,
            elect=self.elect,
            identity=self.identity,
            election=election,
            color=_color(),
        )

    def validate(self) -> None:
        from kpy.cache.run import validate

        validate(self.engine_options())

    async def run(self, ctx: RunContext) -> int:
        import sys

        from kpy.cache.run import run_on

        options = self.engine_options()
        async with ctx.client(self.flags) as client:
            return await run_on(client, options, out=sys.stdout.buffer, err=sys.stderr)


def _color() -> bool:
    import os
    import sys

    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb" and "NO_COLOR" not in os.environ


def register(app: Any) -> None:
    add_command(app, "on", OnOptions, help=HELP, after_dash="command")
