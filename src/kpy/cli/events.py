"""``kpy events tail`` and ``kpy events record``: watch and record events like client-go.

The command lines are ``TailOptions``/``RecordOptions`` here; the engines are the library's
(``kpy.events.tail.tail_events``, ``kpy.events.record.run_record``), imported when a command runs.
"""

from __future__ import annotations

from kpy.cli.command import ClientOptions, RunContext, add_group, flag, lazy_completer, option
from kpy.dataclasslite import dataclass, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.events import record as record_lib
    from kpy.events import tail as tail_lib

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


_complete_event_object = lazy_completer("complete_event_object")
_complete_events_output = lazy_completer("complete_events_output")


@dataclass(frozen=True)
class TailOptions(ClientOptions):
    """``kpy events tail [flags]``."""

    all_namespaces: bool = flag("-A", "--all-namespaces", help="Events of every namespace.")
    for_object: str | None = option(
        "--for",
        default=None,
        metavar="KIND/NAME",
        help="Only events about this object.",
        complete=_complete_event_object,
    )
    types: str | None = option("--types", default=None, help="Only these types (Normal,Warning).")
    reason: str | None = option("--reason", default=None, help="Only events with this reason.")
    since: str | None = option(
        "--since", default=None, metavar="DURATION", help="Only events seen within this duration (e.g. 10m)."
    )
    no_watch: bool = flag("--no-watch", help="Print the current events and exit.")
    output: str = option(
        "-o",
        "--output",
        default="",
        complete=_complete_events_output,
        help="Output format: json|yaml|name|jsonpath=... (default: the events table)",
    )
    no_headers: bool = flag("--no-headers", help="Don't print headers.")
    chunk_size: int = option("--chunk-size", default=500, help="List in chunks of this size (0 disables).")
    show_managed_fields: bool = flag(
        "--show-managed-fields", help="Keep metadata.managedFields in -o json/yaml (kubectl drops them)."
    )
    max_retry_time: str | None = option(
        "--max-retry-time",
        default=None,
        metavar="DURATION",
        help="Exit 1 with the last error once the server has been "
        "unreachable this long (e.g. 2m). Default: keep retrying.",
    )
    #: set by complete: the library's options and --max-retry-time in seconds
    tail: tail_lib.TailOptions | None = None
    retry_seconds: float | None = None

    def complete(self, ctx: RunContext) -> TailOptions:
        import sys

        from kpy.events.commands import parse_duration, use_color
        from kpy.events.tail import TailOptions as LibTailOptions
        from kpy.events.tail import parse_types

        retry_seconds = None
        if self.max_retry_time is not None:  # the watch health module: only when the flag is used
            from kpy.rest.watchhealth import parse_retry_time

            retry_seconds = parse_retry_time(self.max_retry_time)

        tail = LibTailOptions(
            for_object=self.for_object,
            types=parse_types(self.types),
            reason=self.reason or None,
            since=None if self.since is None else parse_duration(self.since, "--since"),
            watch=not self.no_watch,
            output=self.output,
            no_headers=self.no_headers,
            chunk_size=self.chunk_size,
            color=use_color(sys.stdout),
            show_managed_fields=self.show_managed_fields,
        )
        return replace(self, tail=tail, retry_seconds=retry_seconds)

    def validate(self) -> None:
        from kpy.errors import UsageError

        if self.for_object and "/" not in self.for_object:
            raise UsageError("--for must be in resource/name form")

    def one_shot(self) -> bool:
        return self.no_watch

    async def run(self, ctx: RunContext) -> int:
        import sys

        from kpy.events.tail import tail_events

        assert self.tail is not None
        tail = replace(self.tail)  # the library fills in the namespace
        reflector_kwargs: dict[str, Any] = {}
        if not self.no_watch:  # only a watch reports its health
            from kpy.rest.watchhealth import report_to

            reflector_kwargs = {"on_health": report_to(sys.stderr), "max_retry_time": self.retry_seconds}
        async with ctx.client(self.flags) as client:
            tail.namespace = None if self.all_namespaces else client.config.namespace
            printed = await tail_events(client, tail, sys.stdout, reflector_kwargs=reflector_kwargs)
        if self.no_watch and printed == 0:  # kubectl events says so whatever the output format
            sys.stderr.write(
                "No events found.\n"
                if self.all_namespaces
                else f"No events found in {tail.namespace} namespace.\n"
            )
        return 0


_CORRELATOR = "Correlator (client-go defaults)"
_SINK = "Buffered sink (audit buffered backend)"


@dataclass(frozen=True)
class RecordOptions(ClientOptions):
    """``kpy events record [flags]``."""

    for_object: str | None = option(
        "--for", default=None, metavar="KIND/NAME", help="The object the event is about."
    )
    event_type: str = option("--type", default="Normal", help="Normal or Warning.")
    reason: str | None = option("--reason", default=None, help="Why (CamelCase, e.g. Deployed).")
    message: str | None = option("--message", default=None, help="What happened, for humans.")
    action: str = option("--action", default="", help="What was done (events.k8s.io action).")
    related: str | None = option(
        "--related", default=None, metavar="KIND/NAME", help="A second object involved."
    )
    reporting_controller: str = option(
        "--reporting-controller", default="kpy", help="Source component / reporting controller."
    )
    reporting_instance: str | None = option(
        "--reporting-instance", default=None, help="Source host (default: this host's name)."
    )
    from_file: str | None = option(
        "--from-file", default=None, metavar="FILE|-", help="JSON lines, one event per line."
    )
    api: str = option("--api", default="v1", help="Write core v1 or events.k8s.io/v1 events.")
    delivery: str = option(
        "--delivery", default="block", help="block: nothing is dropped; drop: full queues drop (counted)."
    )
    queue_length: int = option("--queue-length", default=1000, help="Broadcaster queue per watcher.")
    lru_size: int = option("--lru-size", default=4096, help="", panel=_CORRELATOR)
    spam_burst: int = option(
        "--spam-burst", default=25, panel=_CORRELATOR, help="Events per source+object before throttling."
    )
    spam_qps: float = option(
        "--spam-qps",
        default=1.0 / 300.0,
        panel=_CORRELATOR,
        help="Refill rate per source+object (default 1/300).",
    )
    no_spam_filter: bool = flag("--no-spam-filter", panel=_CORRELATOR)
    aggregate_max_events: int = option(
        "--aggregate-max-events", default=10, panel=_CORRELATOR, help="Distinct messages before combining."
    )
    aggregate_max_interval: str = option(
        "--aggregate-max-interval", default="10m", panel=_CORRELATOR, metavar="DURATION", help=""
    )
    buffer_size: int = option("--buffer-size", default=10000, panel=_SINK, help="")
    max_batch_size: int = option("--max-batch-size", default=400, panel=_SINK, help="")
    max_batch_wait: str = option(
        "--max-batch-wait",
        default="1s",
        panel=_SINK,
        metavar="DURATION",
        help="A batch is sent after this long even if not full.",
    )
    throttle_qps: float = option(
        "--throttle-qps", default=10.0, panel=_SINK, help="Batches per second (0 disables)."
    )
    throttle_burst: int = option("--throttle-burst", default=15, panel=_SINK, help="")
    async_delegate: bool = flag("--async-delegate/--sync-delegate", default=True, panel=_SINK)
    max_in_flight: int = option("--max-in-flight", default=16, panel=_SINK, help="Concurrent writes.")
    max_tries: int = option(
        "--max-tries",
        default=12,
        panel=_SINK,
        help="Attempts per write, and per lookup of a --for/--related object.",
    )
    retry_sleep: str = option("--retry-sleep", default="10s", panel=_SINK, metavar="DURATION", help="")
    flush_timeout: str = option(
        "--flush-timeout",
        default="5s",
        metavar="DURATION",
        help="After SIGINT/SIGTERM, how long to keep writing the events already read.",
    )
    progress: bool | None = flag(
        "--progress/--no-progress",
        default=None,
        show_default=False,
        help="A live read/written line on stderr (default: when stderr is a terminal).",
    )
    #: set by complete: the library's options
    record: record_lib.RecordOptions | None = None

    def complete(self, ctx: RunContext) -> RecordOptions:
        from kpy.events.commands import parse_duration
        from kpy.events.correlator import CorrelatorOptions
        from kpy.events.record import RecordInput
        from kpy.events.record import RecordOptions as LibRecordOptions
        from kpy.events.sink import SinkOptions

        single = None
        if self.from_file is None or self.for_object or self.reason or self.message:
            single = RecordInput(
                for_object=self.for_object or "",
                reason=self.reason or "",
                message=self.message or "",
                type=self.event_type,
                action=self.action,
                related=self.related,
            )
        record = LibRecordOptions(
            single=single,
            from_file=self.from_file,
            api=self.api,
            reporting_controller=self.reporting_controller,
            reporting_instance=self.reporting_instance,
            delivery=self.delivery,
            queue_length=self.queue_length,
            correlator=CorrelatorOptions(
                lru_cache_size=self.lru_size,
                spam_burst=self.spam_burst,
                spam_qps=self.spam_qps,
                aggregate_max_events=self.aggregate_max_events,
                aggregate_max_interval=parse_duration(
                    self.aggregate_max_interval, "--aggregate-max-interval"
                ),
                spam_filter=not self.no_spam_filter,
            ),
            sink=SinkOptions(
                buffer_size=self.buffer_size,
                max_batch_size=self.max_batch_size,
                max_batch_wait=parse_duration(self.max_batch_wait, "--max-batch-wait"),
                throttle_qps=self.throttle_qps,
                throttle_burst=self.throttle_burst,
                async_delegate=self.async_delegate,
                max_in_flight=self.max_in_flight,
                max_tries=self.max_tries,
                retry_sleep=parse_duration(self.retry_sleep, "--retry-sleep"),
            ),
            flush_timeout=parse_duration(self.flush_timeout, "--flush-timeout"),
            progress=self.progress,
        )
        return replace(self, record=record)

    def validate(self) -> None:
        assert self.record is not None
        self.record.validate()

    async def run(self, ctx: RunContext) -> int:
        from kpy.events.record import run_record

        assert self.record is not None
        return await run_record(lambda: ctx.client(self.flags), self.record)


def register(app: Any) -> None:
    add_group(
        app,
        "events",
        help="Tail and record Kubernetes events like client-go.",
        commands=[("tail", TailOptions, TAIL_HELP), ("record", RecordOptions, RECORD_HELP)],
    )
