"""``kpy logs``: kubectl logs for one target, stern-like following of many, resumed without silent loss.

Only typer is imported here; the run lives in ``kpy.cli.logs_run`` and the engine in ``kpy.logs``.
"""

# no `from __future__ import annotations`: connection_options hands typer the annotations as they are.

from typing import Annotated

import typer

from kpy.cli.common import connection_options, run_async
from kpy.config.flags import ConnectionFlags

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

  # Every pod whose name matches a regular expression, all containers, in every namespace
  kpy logs -f -A 'web-.*' --all-containers

  # The previous instance of container ruby in pod web-1
  kpy logs -p -c ruby web-1

  # For scripts: one JSON object per line (namespace, pod, container, time, line)
  kpy logs deploy/web --all-pods -o json --since 1h
"""


def register(app: typer.Typer) -> None:
    app.command("logs", help=HELP, no_args_is_help=False)(logs_command)


def complete_logs_args(ctx: typer.Context, incomplete: str) -> list[str]:
    from kpy.cli.completion import _params, _with_target, workload_names

    if _params(ctx).get("args"):
        return []
    return _with_target(ctx, lambda t: workload_names(t, incomplete))


def complete_logs_output(ctx: typer.Context, incomplete: str) -> list[str]:
    return [f for f in ("text", "json") if f.startswith(incomplete)]


@connection_options
def logs_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="QUERY [CONTAINER]", show_default=False, autocompletion=complete_logs_args),
    ] = None,
    container: Annotated[
        str, typer.Option("-c", "--container", help="Print the logs of this container")
    ] = "",
    all_containers: Annotated[
        bool, typer.Option("--all-containers", help="Get all containers' logs in the pod(s).")
    ] = False,
    all_pods: Annotated[
        bool, typer.Option("--all-pods", help="Get logs from all pod(s). Sets prefix to true.")
    ] = False,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Stream the logs; follow pods that come later.")
    ] = False,
    previous: Annotated[
        bool, typer.Option("-p", "--previous", help="The previous instance of the container, if it exists.")
    ] = False,
    selector: Annotated[
        str, typer.Option("-l", "--selector", help="Selector (label query) to filter on.")
    ] = "",
    all_namespaces: Annotated[
        bool, typer.Option("-A", "--all-namespaces", help="Pods of every namespace (kpy only).")
    ] = False,
    since: Annotated[
        str,
        typer.Option("--since", metavar="DURATION", help="Only logs newer than a relative duration like 5s."),
    ] = "",
    since_time: Annotated[
        str, typer.Option("--since-time", help="Only logs after a specific date (RFC3339).")
    ] = "",
    tail: Annotated[
        int | None,
        typer.Option(
            "--tail",
            help="Lines of recent log file to display. Defaults to -1 with no selector, showing all log "
            "lines otherwise 10, if a selector is provided.",
            show_default=False,
        ),
    ] = None,
    timestamps: Annotated[
        bool, typer.Option("--timestamps", help="Include timestamps on each line in the log output")
    ] = False,
    prefix: Annotated[
        bool, typer.Option("--prefix", help="Prefix each log line with the log source (pod and container).")
    ] = False,
    limit_bytes: Annotated[
        int, typer.Option("--limit-bytes", help="Maximum bytes of logs to return. Defaults to no limit.")
    ] = 0,
    output: Annotated[
        str,
        typer.Option("-o", "--output", help="text (default) or json.", autocompletion=complete_logs_output),
    ] = "text",
    max_streams: Annotated[
        int,
        typer.Option(
            "--max-streams",
            "--max-log-requests",
            help="Most streams followed at once; the others wait for a free slot.",
        ),
    ] = 50,
    ignore_errors: Annotated[
        bool, typer.Option("--ignore-errors", help="Go on with the other streams after an error.")
    ] = False,
    pod_running_timeout: Annotated[
        str,
        typer.Option("--pod-running-timeout", help="How long to wait for a pod of TYPE/NAME (like 20s)."),
    ] = "20s",
    insecure_skip_tls_verify_backend: Annotated[
        bool,
        typer.Option(
            "--insecure-skip-tls-verify-backend",
            help="Skip verifying the identity of the kubelet that logs are requested from.",
        ),
    ] = False,
    *,
    flags: ConnectionFlags,
) -> None:
    from kpy.cli.logs_run import LogsOptions, run_logs

    options = LogsOptions(
        args=list(args or []),
        container=container,
        container_given=container != "",
        all_containers=all_containers,
        all_pods=all_pods,
        follow=follow,
        previous=previous,
        selector=selector,
        all_namespaces=all_namespaces,
        since=since,
        since_time=since_time,
        tail=-1 if tail is None else tail,
        tail_given=tail is not None,
        timestamps=timestamps,
        prefix=prefix,
        limit_bytes=limit_bytes,
        output=output,
        max_streams=max_streams,
        ignore_errors=ignore_errors,
        pod_running_timeout=pod_running_timeout,
        insecure_backend=insecure_skip_tls_verify_backend,
    )
    raise typer.Exit(run_async(run_logs(flags, options)))
