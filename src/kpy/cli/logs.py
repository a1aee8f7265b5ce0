"""``kpy logs``: kubectl logs for one target, stern-like following of many, resumed without silent loss.

Complete/Validate are kubectl's (same checks, order and messages). Run picks one of three engines in
``kpy.logs``: one stream without ``-f`` is copied byte for byte (what kubectl prints); several streams without
``-f`` are read one after the other, prefixed ``[pod/NAME/CONTAINER]``; ``-f`` runs the follower (one
list+watch, resumed streams, gap notices).
"""

from __future__ import annotations

from typing import Any

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, lazy_completer, option
from kpy.dataclasslite import dataclass, field, replace
from kpy.errors import UsageError

complete_port_forward_args = lazy_completer("complete_port_forward_args")

HELP = """Print the logs of containers: one pod like kubectl logs, or many pods interleaved.

QUERY is what kubectl logs takes (POD, pod/NAME, deploy/NAME, sts/, ds/, job/, svc/, rs/, or -l SELECTOR),
or a regular expression over pod names (like stern). One container without -f prints exactly what kubectl logs
prints. Several streams are prefixed [pod/NAME/CONTAINER] (coloured per pod on a terminal, plain when piped or
with NO_COLOR).

With -f, kpy follows pods that appear or start later and drops deleted ones (one list+watch), and resumes
every stream that ends while its container runs (idle cut, API server restart, log rotation) at the last
timestamp it printed, without repeating a line. Where lines may be missing (a rotation, a restart, a refused
sinceTime) it says so on stderr, naming the pod, container and time range (-o json: a {"gap": ...} line).

Examples:

  # The logs of pod web (as kubectl logs web)
  kpy logs web

  # The last 10 lines of every pod labelled app=web, then follow them and the pods that come later
  kpy logs -f -l app=web

  # Every pod whose name matches a regular expression, in every namespace, with timestamps
  kpy logs -f -A 'w.*r' --timestamps

  # The last 2 lines of container web in pod web
  kpy logs web -c web --tail 2

  # For scripts: one JSON object per line (namespace, pod, container, time, line)
  kpy logs deploy/web --all-pods -o json --since 1h

  # Structured (JSON) log lines: print one field of each
  kpy logs web --jsonpath '{.level} {.msg}'
"""

USAGE = (
    "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
    "POD or TYPE/NAME is a required argument for the logs command"
)


def complete_logs_output(ctx: Any, incomplete: str) -> list[str]:
    return [f for f in ("text", "json") if f.startswith(incomplete)]


@dataclass(frozen=True)
class LogsOptions(ClientOptions):
    """``kpy logs QUERY [CONTAINER] [flags]``."""

    args: tuple[str, ...] = argument(
        metavar="QUERY [CONTAINER]", multiple=True, complete=complete_port_forward_args
    )
    container: str = option("-c", "--container", default="", help="Print the logs of this container")
    all_containers: bool = flag("--all-containers", help="Get all containers' logs in the pod(s).")
    all_pods: bool = flag("--all-pods", help="Get logs from all pod(s). Sets prefix to true.")
    follow: bool = flag("-f", "--follow", help="Stream the logs; follow pods that appear later.")
    previous: bool = flag(
        "-p", "--previous", help="The logs of the previous instance of the container, if it exists."
    )
    selector: str = option("-l", "--selector", default="", help="Selector (label query) to filter on.")
    all_namespaces: bool = flag("-A", "--all-namespaces", help="Pods of every namespace (kpy only).")
    since: str = option(
        "--since",
        default="",
        metavar="DURATION",
        help="Only logs newer than a relative duration like 5s, 2m, or 3h.",
        show_default=False,
    )
    since_time: str = option(
        "--since-time", default="", help="Only logs after a specific date (RFC3339).", show_default=False
    )
    tail: int | None = option(
        "--tail",
        default=None,
        help="Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines "
        "otherwise 10, if a selector is provided.",
        show_default=False,
    )
    timestamps: bool = flag("--timestamps", help="Include timestamps on each line in the log output")
    prefix: bool = flag(
        "--prefix", help="Prefix each log line with the log source (pod name and container name)"
    )
    limit_bytes: int = option(
        "--limit-bytes", default=0, help="Maximum bytes of logs to return (0: no limit)."
    )
    output: str = option(
        "-o",
        "--output",
        default="text",
        complete=complete_logs_output,
        help="text, or json (one object a line).",
    )
    jsonpath: str = option(
        "--jsonpath",
        default="",
        metavar="TEMPLATE",
        help="For log lines that are JSON: print this kubectl JSONPath template of each instead.",
        show_default=False,
    )
    max_streams: int = option(
        "--max-streams",
        "--max-log-requests",
        default=50,
        help="Most streams followed at once; the others wait for a free slot.",
    )
    ignore_errors: bool = flag("--ignore-errors", help="Go on with the other streams after an error.")
    pod_running_timeout: str = option(
        "--pod-running-timeout", default="20s", help="How long to wait for a pod of TYPE/NAME (like 5s, 2m)."
    )
    insecure_skip_tls_verify_backend: bool = flag(
        "--insecure-skip-tls-verify-backend",
        help="Skip verifying the identity of the kubelet that logs are requested from.",
    )
    # completed (not flags)
    resource: str = field(default="", repr=False)
    since_seconds: int | None = field(default=None, repr=False)
    running_timeout: float = field(default=20.0, repr=False)
    effective_tail: int = field(default=-1, repr=False)

    def complete(self, ctx: RunContext) -> LogsOptions:
        """kubectl's Complete: the arguments, then the flag values it parses (durations, times)."""
        from kpy.config.duration import parse_go_duration
        from kpy.logs.stamps import since_time_error

        container = self.container
        if len(self.args) == 0:
            if not self.selector:
                raise UsageError(USAGE, hint="examples")
        elif len(self.args) == 1:
            if self.selector:
                raise UsageError("only a selector (-l) or a POD name is allowed", hint="examples")
        elif len(self.args) == 2:
            if self.container:
                raise UsageError("only one of -c or an inline [CONTAINER] arg is allowed")
            container = self.args[1]
        else:
            raise UsageError(USAGE, hint="examples")
        since_seconds: int | None = None
        if self.since:
            try:
                seconds = parse_go_duration(self.since)
            except ValueError:
                raise UsageError(
                    f'invalid argument "{self.since}" for "--since" flag: time: invalid duration "{self.since}"',
                    hint="usage",
                ) from None
            if seconds:
                since_seconds = int(seconds) if seconds <= 0 or seconds == int(seconds) else int(seconds) + 1
        try:
            running_timeout = parse_go_duration(self.pod_running_timeout)
        except ValueError:
            raise UsageError(
                f'invalid argument "{self.pod_running_timeout}" for "--pod-running-timeout" flag: '
                f'time: invalid duration "{self.pod_running_timeout}"',
                hint="usage",
            ) from None
        if running_timeout <= 0:
            raise UsageError("--pod-running-timeout must be higher than zero")
        if self.since_time and (error := since_time_error(self.since_time)) is not None:
            raise UsageError(error)
        tail = self.tail if self.tail is not None else (10 if self.selector else -1)
        return replace(
            self,
            container=container,
            resource=self.args[0] if self.args else "",
            since_seconds=since_seconds,
            running_timeout=running_timeout,
            effective_tail=tail,
        )

    def validate(self) -> None:
        """kubectl's Validate, in its order; then kpy's own flags."""
        if self.since_time and self.since_seconds:
            raise UsageError("at most one of `sinceTime` or `sinceSeconds` may be specified")
        if self.all_containers and self.container:
            raise UsageError(
                f"--all-containers=true should not be specified with container name {self.container}"
            )
        if self.limit_bytes < 0:
            raise UsageError("--limit-bytes must be greater than 0")
        if self.since_seconds is not None and self.since_seconds < 0:
            raise UsageError("--since must be greater than 0")
        if self.effective_tail < -1:
            raise UsageError("--tail must be greater than or equal to -1")
        if self.output not in ("text", "json", ""):
            raise UsageError(
                f'unable to match a printer suitable for the output format "{self.output}", allowed formats '
                "are: text,json"
            )
        if self.max_streams < 1:
            raise UsageError("--max-streams must be greater than 0")
        self.template()

    def template(self) -> Any:
        """The compiled ``--jsonpath`` (None without one); kubectl's parse error otherwise."""
        if not self.jsonpath:
            return None
        from kpy.errors import TemplateError
        from kpy.jsonpath import parse
        from kpy.printers.jsonpath import parse_error

        try:
            return parse(self.jsonpath)
        except TemplateError as exc:
            raise parse_error(self.jsonpath, exc) from None

    async def run(self, ctx: RunContext) -> int:
        import sys

        from kpy.logs.render import Renderer, use_colour
        from kpy.logs.snapshot import ReadOptions, copy_stream, read_sequentially
        from kpy.logs.targets import Query, containers_of, resolve

        out, err = sys.stdout.buffer, sys.stderr
        read = ReadOptions(
            previous=self.previous,
            since_seconds=self.since_seconds,
            since_time=self.since_time,
            tail=self.effective_tail,
            limit_bytes=self.limit_bytes,
            insecure_backend=self.insecure_skip_tls_verify_backend,
        )
        async with ctx.client(self.flags) as client:
            query = Query(
                resource=self.resource,
                selector=self.selector,
                namespace=None if self.all_namespaces else client.config.namespace,
                all_pods=self.all_pods,
                container=self.container,
                all_containers=self.all_containers,
            )
            resolved = await resolve(client, None, query, pod_running_timeout=self.running_timeout)
            notices: list[str] = []
            streams = [(pod, c) for pod in resolved.pods for c in containers_of(pod, query, notices.append)]
            for notice in notices:
                err.write(notice + "\n")
            err.flush()
            several = len(streams) > 1 or self.all_namespaces or resolved.name_pattern is not None
            renderer = Renderer(
                out,
                err,
                prefix=self.prefix or self.all_pods or several or (self.follow and not resolved.single_pod),
                timestamps=self.timestamps,
                as_json=self.output == "json",
                colour=use_colour(out),
                template=self.template(),
            )
            if not resolved.pods and resolved.empty_message:
                err.write(resolved.empty_message + "\n")
                if not self.follow:
                    return 0
            if self.follow and not self.previous:
                await self._follow(client, query, resolved, renderer)
                return 0
            if len(streams) == 1 and not renderer.prefix and not renderer.as_json and not self.jsonpath:
                pod, container = streams[0]
                await copy_stream(client, pod, container, read, out, timestamps=self.timestamps)
                return 0
            failed = await read_sequentially(
                client, streams, read, renderer, ignore_errors=self.ignore_errors
            )
            return 1 if failed else 0

    async def _follow(self, client: Any, query: Any, resolved: Any, renderer: Any) -> None:
        from kpy.logs.follower import LogFollower, StreamOptions

        options = StreamOptions(
            since_seconds=self.since_seconds,
            since_time=self.since_time or None,
            tail=self.effective_tail,
            limit_bytes=self.limit_bytes or None,
            insecure_backend=self.insecure_skip_tls_verify_backend,
        )
        try:
            await LogFollower(client, query, resolved, renderer, options, max_streams=self.max_streams).run()
        finally:
            renderer.flush()


def register(app: Any) -> None:
    add_command(app, "logs", LogsOptions, help=HELP)
