"""``kpy logs`` run: kubectl's Complete/Validate (same messages, same order), then one of three engines:

- one stream, no ``-f``, text: the response body copied byte for byte (what kubectl prints);
- several streams, no ``-f``: read one after the other, each line prefixed ``[pod/NAME/CONTAINER]``;
- ``-f``: :class:`kpy.logs.follower.LogFollower` (list+watch, resumed streams, gap notices).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from kpy.errors import ApiError, UsageError

if TYPE_CHECKING:
    from kpy.config.flags import ConnectionFlags
    from kpy.logs.render import Renderer
    from kpy.logs.targets import Obj
    from kpy.rest import RestClient

USAGE = (
    "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
    "POD or TYPE/NAME is a required argument for the logs command"
)


@dataclass
class LogsOptions:
    args: list[str] = field(default_factory=list)
    container: str = ""
    container_given: bool = False
    all_containers: bool = False
    all_pods: bool = False
    follow: bool = False
    previous: bool = False
    selector: str = ""
    all_namespaces: bool = False
    since: str = ""
    since_time: str = ""
    tail: int = -1
    tail_given: bool = False
    timestamps: bool = False
    prefix: bool = False
    limit_bytes: int = 0
    output: str = "text"
    max_streams: int = 50
    ignore_errors: bool = False
    pod_running_timeout: str = "20s"
    insecure_backend: bool = False
    # completed
    resource: str = ""
    since_seconds: int | None = None
    running_timeout: float = 20.0


def _prog() -> str:
    from kpy.cli.main import prog_name

    return prog_name()


def complete(o: LogsOptions) -> None:
    """kubectl's Complete: arguments, then the flag values it parses (durations, times)."""
    from kpy.config.duration import parse_go_duration

    hint = f"See '{_prog()} logs -h' for help and examples"
    if len(o.args) == 0:
        if not o.selector:
            raise UsageError(f"{USAGE}\n{hint}")
    elif len(o.args) == 1:
        if o.selector:
            raise UsageError(f"only a selector (-l) or a POD name is allowed\n{hint}")
    elif len(o.args) == 2:
        if o.container_given:
            raise UsageError("only one of -c or an inline [CONTAINER] arg is allowed")
        o.container = o.args[1]
    else:
        raise UsageError(f"{USAGE}\n{hint}")
    o.resource = o.args[0] if o.args else ""
    if o.since:
        try:
            seconds = parse_go_duration(o.since)
        except ValueError:
            raise UsageError(
                f'invalid argument "{o.since}" for "--since" flag: time: invalid duration "{o.since}"\n'
                f"See '{_prog()} logs --help' for usage."
            ) from None
        if seconds:
            o.since_seconds = int(seconds) if seconds == int(seconds) or seconds < 0 else int(seconds) + 1
    try:
        o.running_timeout = parse_go_duration(o.pod_running_timeout)
    except ValueError:
        raise UsageError(
            f'invalid argument "{o.pod_running_timeout}" for "--pod-running-timeout" flag: '
            f'time: invalid duration "{o.pod_running_timeout}"'
        ) from None
    if o.running_timeout <= 0:
        raise UsageError("--pod-running-timeout must be higher than zero")
    if o.selector and not o.tail_given:
        o.tail = 10
    if o.since_time:
        from kpy.logs.stamps import since_time_error

        error = since_time_error(o.since_time)
        if error is not None:
            raise UsageError(error)


def validate(o: LogsOptions) -> None:
    """kubectl's Validate, in its order; then kpy's own flags."""
    if o.since_time and o.since_seconds:
        raise UsageError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if o.all_containers and o.container:
        raise UsageError(f"--all-containers=true should not be specified with container name {o.container}")
    if o.limit_bytes < 0:
        raise UsageError("--limit-bytes must be greater than 0")
    if o.since_seconds is not None and o.since_seconds < 0:
        raise UsageError("--since must be greater than 0")
    if o.tail < -1:
        raise UsageError("--tail must be greater than or equal to -1")
    if o.output not in ("text", "json", ""):
        raise UsageError(
            f'unable to match a printer suitable for the output format "{o.output}", allowed formats are: '
            "text,json"
        )
    if o.max_streams < 1:
        raise UsageError("--max-streams must be greater than 0")


def request_params(o: LogsOptions, container: str, *, timestamps: bool) -> dict[str, Any]:
    """The query kubectl sends for one container (no -f)."""
    params: dict[str, Any] = {"container": container}
    if o.previous:
        params["previous"] = "true"
    if o.since_seconds:
        params["sinceSeconds"] = o.since_seconds
    if o.since_time:
        params["sinceTime"] = o.since_time
    if o.tail >= 0:
        params["tailLines"] = o.tail
    if timestamps:
        params["timestamps"] = "true"
    if o.limit_bytes:
        params["limitBytes"] = o.limit_bytes
    if o.insecure_backend:
        params["insecureSkipTLSVerifyBackend"] = "true"
    return params


async def run_logs(
    flags: ConnectionFlags,
    o: LogsOptions,
    *,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
) -> int:
    from kpy.cli.common import open_client
    from kpy.logs.render import Renderer, use_colour
    from kpy.logs.targets import Query, containers_of, resolve

    out = out or sys.stdout.buffer
    err = err or sys.stderr
    complete(o)
    validate(o)
    async with open_client(flags) as client:
        namespace = None if o.all_namespaces else client.config.namespace
        query = Query(
            resource=o.resource,
            selector=o.selector,
            namespace=namespace,
            all_pods=o.all_pods,
            container=o.container,
            all_containers=o.all_containers,
        )
        resolved = await resolve(client, None, query, pod_running_timeout=o.running_timeout)
        notices: list[str] = []
        streams = [(pod, c) for pod in resolved.pods for c in containers_of(pod, query, notices.append)]
        for notice in notices:
            err.write(notice + "\n")
        err.flush()
        as_json = o.output == "json"
        several = len(streams) > 1 or o.all_namespaces or resolved.name_pattern is not None
        renderer = Renderer(
            out,
            err,
            prefix=o.prefix or o.all_pods or several or (o.follow and not resolved.single_pod),
            timestamps=o.timestamps,
            as_json=as_json,
            colour=use_colour(out),
        )
        if not resolved.pods and resolved.empty_message:
            err.write(resolved.empty_message + "\n")
            if not o.follow:
                return 0
        if o.follow and not o.previous:
            await _follow(client, o, query, resolved, renderer)
            return 0
        if len(streams) == 1 and not renderer.prefix and not as_json:
            pod, container = streams[0]
            await _copy(client, pod, request_params(o, container, timestamps=o.timestamps), out)
            return 0
        failed = await _sequential(client, o, streams, renderer)
        return 1 if failed else 0


async def _follow(client: RestClient, o: LogsOptions, query: Any, resolved: Any, renderer: Renderer) -> None:
    from kpy.logs.follower import LogFollower, StreamOptions

    options = StreamOptions(
        since_seconds=o.since_seconds,
        since_time=o.since_time or None,
        tail=o.tail,
        limit_bytes=o.limit_bytes or None,
        insecure_backend=o.insecure_backend,
    )
    try:
        await LogFollower(client, query, resolved, renderer, options, max_streams=o.max_streams).run()
    finally:
        renderer.flush()


def _path(pod: Obj) -> str:
    meta = pod.get("metadata") or {}
    return f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}/log"


async def _copy(client: RestClient, pod: Obj, params: dict[str, Any], out: BinaryIO) -> None:
    """kubectl's DefaultConsumeRequest for one stream: the bytes as they come."""
    async for chunk in client.stream_bytes(_path(pod), params):
        out.write(chunk)
        out.flush()


async def _sequential(
    client: RestClient, o: LogsOptions, streams: list[tuple[Obj, str]], renderer: Renderer
) -> bool:
    """Several streams without -f: one after the other, in pod then container order. True if one failed."""
    from kpy.logs.resume import LineSplitter
    from kpy.logs.stamps import split_stamp

    stamps = o.timestamps or renderer.as_json
    failed = False
    for pod, container in streams:
        meta = pod.get("metadata") or {}
        ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        splitter = LineSplitter()

        def emit(line: bytes, ns: str = ns, name: str = name, container: str = container) -> None:
            ts, text = split_stamp(line) if stamps else (None, line)
            renderer.line(ns, name, container, ts, text)

        try:
            async for chunk in client.stream_bytes(
                _path(pod), request_params(o, container, timestamps=stamps)
            ):
                for line in splitter.feed(chunk):
                    emit(line)
            rest = splitter.rest()
            if rest:
                emit(rest)
        except ApiError as exc:
            if not o.ignore_errors:
                raise
            renderer.notice(exc.format().rstrip("\n"))
            failed = True
        renderer.flush()
    return failed
