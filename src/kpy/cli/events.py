"""``kpy events tail`` and ``kpy events record``: watch and record events like client-go.

Only typer is imported here; the engines live in ``kpy.events.commands`` and are imported when a command runs.
"""

# no `from __future__ import annotations`: connection_options hands typer the annotations as they are
# (string annotations would be evaluated in another module and typer would lose the option names).

import copy
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from kpy.cli.common import (
    connection_options,
    flags_from_values,
    merge_flags,
    root_callback_params,
    run_async,
    run_context,
)
from kpy.cli.completion import complete_event_object, complete_events_output
from kpy.config.flags import ConnectionFlags

TAIL_HELP = """Print events oldest first, then follow new and updated ones until Ctrl-C.

Sorted and laid out like `kubectl events` (repeats as `(x5 over 3m)`). Unlike `kubectl events -w` it never
stops on a watch timeout and never repeats or skips an event: it resumes from the last resourceVersion and
relists after 410 Gone.

Examples:

  # Follow the events of the current namespace
  kpy events tail

  # Warnings about one pod from the last 10 minutes, then exit
  kpy events tail --for pod/web --types Warning --since 10m --no-watch

  # Every namespace, as JSON: the EventList kubectl events prints, then exit
  kpy events tail -A -o json --no-watch

  # While following, -o json/yaml/name print one object per event, like kubectl events -w
  kpy events tail -o name
"""

RECORD_HELP = """Record events the way client-go's recorder does (spam filter, aggregation, deduplication).

One event from flags, or many from --from-file FILE (- for stdin) as JSON lines with the fields
for, type, reason, message, action, related, namespace. A summary is printed at exit; the exit code is 1 if
any event failed. A line whose object cannot be looked up (after retries) counts as failed; the rest go on.

On SIGINT/SIGTERM, reading stops, the events already read are written for at most --flush-timeout, and the
summary says how many were not written; the exit code is 130 (SIGINT) or 143 (SIGTERM). A second signal
exits at once. On a terminal, a live line on stderr shows how many lines were read and written.

Requests are rate-limited like every kubectl/client-go client: --qps 5 --burst 10 unless given, i.e. about five
new events a second. To record many, raise them (e.g. --qps 5000 --burst 5000); the sink still batches and
paces its writes (--throttle-qps, --throttle-burst), and repeats waiting to be written fold into one write.

Examples:

  # Report a deployment step about a deployment
  kpy events record --for deployment/web --reason Deployed --message "rolled out v2"

  # Report from a script, one JSON object per line
  echo '{"for": "pod/web", "type": "Warning", "reason": "DiskPressure", "message": "disk almost full"}' \\
    | kpy events record --from-file -

  # Many events from a file, without the default 5 requests/s limit
  kpy events record --from-file events.jsonl --qps 5000 --burst 5000
"""


def register(app: typer.Typer) -> None:
    events_app = typer.Typer(
        name="events",
        help="Tail and record Kubernetes events like client-go.",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    events_app.callback()(_events_callback())
    events_app.command("tail", help=TAIL_HELP)(tail_command)
    events_app.command("record", help=RECORD_HELP)(record_command)
    app.add_typer(events_app, name="events")


def _events_callback() -> Callable[..., None]:
    """Global flags between ``events`` and its subcommand (``kpy events -n ns tail``), as kubectl allows:
    they count as given before ``events``; flags after the subcommand still win. Hidden from ``kpy events
    -h``: each subcommand's help lists them."""
    params = []
    for param in root_callback_params():
        option = copy.copy(param.default)  # the root's OptionInfo, shown there; this copy is hidden
        option.hidden = True
        params.append(param.replace(default=option))

    params.insert(0, inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context))

    def callback(ctx: typer.Context, **values: Any) -> None:
        run = run_context(ctx)
        run.root_flags = merge_flags(run.root_flags, flags_from_values(values))

    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__annotations__ = {p.name: p.annotation for p in params}
    return callback


@connection_options
def tail_command(
    all_namespaces: Annotated[
        bool, typer.Option("-A", "--all-namespaces", help="Events of every namespace.")
    ] = False,
    for_object: Annotated[
        str | None,
        typer.Option(
            "--for",
            metavar="KIND/NAME",
            help="Only events about this object.",
            autocompletion=complete_event_object,
        ),
    ] = None,
    types: Annotated[str | None, typer.Option("--types", help="Only these types (Normal,Warning).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Only events with this reason.")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DURATION", help="Only events seen within this duration (e.g. 10m)."),
    ] = None,
    no_watch: Annotated[bool, typer.Option("--no-watch", help="Print the current events and exit.")] = False,
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            autocompletion=complete_events_output,
            help="Output format: json|yaml|name|jsonpath=... (default: the events table)",
        ),
    ] = "",
    no_headers: Annotated[bool, typer.Option("--no-headers", help="Don't print headers.")] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="List in chunks of this size (0 disables).")
    ] = 500,
    show_managed_fields: Annotated[
        bool,
        typer.Option(
            "--show-managed-fields", help="Keep metadata.managedFields in -o json/yaml (kubectl drops them)."
        ),
    ] = False,
    max_retry_time: Annotated[
        str | None,
        typer.Option(
            "--max-retry-time",
            metavar="DURATION",
            help="Exit 1 with the last error once the server has been "
            "unreachable this long (e.g. 2m). Default: keep retrying.",
        ),
    ] = None,
    *,
    flags: ConnectionFlags,
) -> None:
    from kpy.events.commands import run_tail

    raise typer.Exit(
        run_async(
            run_tail(
                flags,
                all_namespaces=all_namespaces,
                for_object=for_object,
                types=types,
                reason=reason,
                since=since,
                watch=not no_watch,
                output=output,
                no_headers=no_headers,
                chunk_size=chunk_size,
                show_managed_fields=show_managed_fields,
                max_retry_time=max_retry_time,
            )
        )
    )


@connection_options
def record_command(
    for_object: Annotated[
        str | None, typer.Option("--for", metavar="KIND/NAME", help="The object the event is about.")
    ] = None,
    event_type: Annotated[str, typer.Option("--type", help="Normal or Warning.")] = "Normal",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (CamelCase, e.g. Deployed).")] = None,
    message: Annotated[str | None, typer.Option("--message", help="What happened, for humans.")] = None,
    action: Annotated[str, typer.Option("--action", help="What was done (events.k8s.io action).")] = "",
    related: Annotated[
        str | None, typer.Option("--related", metavar="KIND/NAME", help="A second object involved.")
    ] = None,
    reporting_controller: Annotated[
        str, typer.Option("--reporting-controller", help="Source component / reporting controller.")
    ] = "kpy",
    reporting_instance: Annotated[
        str | None, typer.Option("--reporting-instance", help="Source host (default: this host's name).")
    ] = None,
    from_file: Annotated[
        str | None, typer.Option("--from-file", metavar="FILE|-", help="JSON lines, one event per line.")
    ] = None,
    api: Annotated[str, typer.Option("--api", help="Write core v1 or events.k8s.io/v1 events.")] = "v1",
    delivery: Annotated[
        str, typer.Option("--delivery", help="block: nothing is dropped; drop: full queues drop (counted).")
    ] = "block",
    queue_length: Annotated[
        int, typer.Option("--queue-length", help="Broadcaster queue per watcher.")
    ] = 1000,
    lru_size: Annotated[
        int, typer.Option("--lru-size", rich_help_panel="Correlator (client-go defaults)")
    ] = 4096,
    spam_burst: Annotated[
        int,
        typer.Option(
            "--spam-burst",
            rich_help_panel="Correlator (client-go defaults)",
            help="Events per source+object before throttling.",
        ),
    ] = 25,
    spam_qps: Annotated[
        float,
        typer.Option(
            "--spam-qps",
            rich_help_panel="Correlator (client-go defaults)",
            help="Refill rate per source+object (default 1/300).",
        ),
    ] = 1.0 / 300.0,
    no_spam_filter: Annotated[
        bool, typer.Option("--no-spam-filter", rich_help_panel="Correlator (client-go defaults)")
    ] = False,
    aggregate_max_events: Annotated[
        int,
        typer.Option(
            "--aggregate-max-events",
            rich_help_panel="Correlator (client-go defaults)",
            help="Distinct messages before combining.",
        ),
    ] = 10,
    aggregate_max_interval: Annotated[
        str,
        typer.Option(
            "--aggregate-max-interval", rich_help_panel="Correlator (client-go defaults)", metavar="DURATION"
        ),
    ] = "10m",
    buffer_size: Annotated[
        int, typer.Option("--buffer-size", rich_help_panel="Buffered sink (audit buffered backend)")
    ] = 10000,
    max_batch_size: Annotated[
        int, typer.Option("--max-batch-size", rich_help_panel="Buffered sink (audit buffered backend)")
    ] = 400,
    max_batch_wait: Annotated[
        str,
        typer.Option(
            "--max-batch-wait",
            rich_help_panel="Buffered sink (audit buffered backend)",
            metavar="DURATION",
            help="A batch is sent after this long even if not full.",
        ),
    ] = "1s",
    throttle_qps: Annotated[
        float,
        typer.Option(
            "--throttle-qps",
            rich_help_panel="Buffered sink (audit buffered backend)",
            help="Batches per second (0 disables).",
        ),
    ] = 10.0,
    throttle_burst: Annotated[
        int, typer.Option("--throttle-burst", rich_help_panel="Buffered sink (audit buffered backend)")
    ] = 15,
    async_delegate: Annotated[
        bool,
        typer.Option(
            "--async-delegate/--sync-delegate", rich_help_panel="Buffered sink (audit buffered backend)"
        ),
    ] = True,
    max_in_flight: Annotated[
        int,
        typer.Option(
            "--max-in-flight",
            rich_help_panel="Buffered sink (audit buffered backend)",
            help="Concurrent writes.",
        ),
    ] = 16,
    max_tries: Annotated[
        int,
        typer.Option(
            "--max-tries",
            rich_help_panel="Buffered sink (audit buffered backend)",
            help="Attempts per write, and per lookup of a --for/--related object.",
        ),
    ] = 12,
    retry_sleep: Annotated[
        str,
        typer.Option(
            "--retry-sleep", rich_help_panel="Buffered sink (audit buffered backend)", metavar="DURATION"
        ),
    ] = "10s",
    flush_timeout: Annotated[
        str,
        typer.Option(
            "--flush-timeout",
            metavar="DURATION",
            help="After SIGINT/SIGTERM, how long to keep writing the events already read.",
        ),
    ] = "5s",
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="A live read/written line on stderr (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    *,
    flags: ConnectionFlags,
) -> None:
    from kpy.events.commands import RecordInput, RecordOptions, parse_duration, run_record
    from kpy.events.correlator import CorrelatorOptions
    from kpy.events.sink import SinkOptions

    single = None
    if from_file is None or for_object or reason or message:
        single = RecordInput(
            for_object=for_object or "",
            reason=reason or "",
            message=message or "",
            type=event_type,
            action=action,
            related=related,
        )
    options = RecordOptions(
        single=single,
        from_file=from_file,
        api=api,
        reporting_controller=reporting_controller,
        reporting_instance=reporting_instance,
        delivery=delivery,
        queue_length=queue_length,
        correlator=CorrelatorOptions(
            lru_cache_size=lru_size,
            spam_burst=spam_burst,
            spam_qps=spam_qps,
            aggregate_max_events=aggregate_max_events,
            aggregate_max_interval=parse_duration(aggregate_max_interval, "--aggregate-max-interval"),
            spam_filter=not no_spam_filter,
        ),
        sink=SinkOptions(
            buffer_size=buffer_size,
            max_batch_size=max_batch_size,
            max_batch_wait=parse_duration(max_batch_wait, "--max-batch-wait"),
            throttle_qps=throttle_qps,
            throttle_burst=throttle_burst,
            async_delegate=async_delegate,
            max_in_flight=max_in_flight,
            max_tries=max_tries,
            retry_sleep=parse_duration(retry_sleep, "--retry-sleep"),
        ),
        flush_timeout=parse_duration(flush_timeout, "--flush-timeout"),
        progress=progress,
    )
    raise typer.Exit(run_async(run_record(flags, options)))
