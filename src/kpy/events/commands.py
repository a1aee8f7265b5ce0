"""The engines behind ``kpy events tail`` and ``kpy events record`` (options → complete → validate → run).

Kept out of ``kpy.cli.events`` so ``kpy --help`` never imports them. Diagnostics go to ``err``; results to
``out``. Library errors are raised as ``kpy.errors`` types for the CLI root to report.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from kpy.config.duration import parse_go_duration
from kpy.errors import KpyError, UsageError
from kpy.events.broadcaster import DeliveryMode
from kpy.events.correlator import CorrelatorOptions
from kpy.events.pipeline import RecordPipeline, RecordStats
from kpy.events.recorder import EVENT_TYPES, EventSource, validate_type
from kpy.events.sink import SinkOptions
from kpy.events.tail import TailOptions, parse_types

if TYPE_CHECKING:
    from kpy.config.flags import ConnectionFlags
    from kpy.events.api import ObjectResolver
    from kpy.events.recorder import ObjectRef


def parse_duration(value: str, flag: str) -> float:
    try:
        seconds = parse_go_duration(value)
    except ValueError:
        raise UsageError(
            f'invalid argument "{value}" for "{flag}" flag: time: invalid duration "{value}"'
        ) from None
    if seconds < 0:
        raise UsageError(f"{flag} must not be negative")
    return seconds


def use_color(out: TextIO, env: dict[str, str] | None = None) -> bool:
    """Highlight only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    env = dict(os.environ) if env is None else env
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


# -- tail ----------------------------------------------------------------------------------------------------
async def run_tail(
    flags: ConnectionFlags,
    *,
    all_namespaces: bool,
    for_object: str | None,
    types: str | None,
    reason: str | None,
    since: str | None,
    watch: bool,
    output: str,
    no_headers: bool,
    chunk_size: int = 500,
    out: TextIO | None = None,
    err: TextIO | None = None,
    max_retry_time: str | None = None,
) -> int:
    from kpy.cli.common import open_client
    from kpy.events.tail import tail_events
    from kpy.rest.watchhealth import parse_retry_time, report_to

    out = out or sys.stdout
    err = err or sys.stderr
    options = TailOptions(
        for_object=for_object,
        types=parse_types(types),
        reason=reason or None,
        since=None if since is None else parse_duration(since, "--since"),
        watch=watch,
        output=output,
        no_headers=no_headers,
        chunk_size=chunk_size,
        color=use_color(out),
    )
    retry_time = parse_retry_time(max_retry_time)
    if output not in ("", "wide"):
        from kpy.printers import make_printer

        make_printer(output)  # validate -o before connecting
    if for_object and "/" not in for_object:
        raise UsageError("--for must be in resource/name form")
    async with open_client(flags) as client:
        options.namespace = None if all_namespaces else client.config.namespace
        printed = await tail_events(
            client, options, out, reflector_kwargs={"on_health": report_to(err), "max_retry_time": retry_time}
        )
    if not watch and printed == 0 and options.table:
        where = "any" if all_namespaces else f"{options.namespace}"
        err.write(f"No events found in {where} namespace.\n")
    return 0


# -- record --------------------------------------------------------------------------------------------------
FIELDS = ("for", "type", "reason", "message", "action", "related", "namespace")


@dataclass
class RecordInput:
    """One event to record, as given by flags or by one JSON line."""

    for_object: str
    reason: str
    message: str = ""
    type: str = "Normal"
    action: str = ""
    related: str | None = None
    namespace: str | None = None

    def validate(self, where: str = "") -> None:
        prefix = f"{where}: " if where else ""
        if not self.for_object:
            raise UsageError(
                f"{prefix}--for is required (KIND/NAME)" if not where else f'{prefix}"for" is required'
            )
        if "/" not in self.for_object:
            raise UsageError(f"{prefix}--for must be in resource/name form")
        if not self.reason:
            raise UsageError(
                f"{prefix}--reason is required" if not where else f'{prefix}"reason" is required'
            )
        try:
            validate_type(self.type)
        except UsageError as exc:
            raise UsageError(f"{prefix}{exc}") from None


def parse_line(line: str, number: int) -> RecordInput:
    """One JSON line → RecordInput; UsageError names the line."""
    where = f"line {number}"
    from kpy import gojson

    try:
        data = gojson.loads(line)  # Go's rules and words: no RecursionError, NaN or 4,300-digit ValueError
    except gojson.GoJSONError as exc:
        raise UsageError(f"{where}: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise UsageError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    bad = [k for k, v in data.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise UsageError(f"{where}: field {bad[0]!r} must be a string")
    item = RecordInput(
        for_object=data.get("for") or "",
        reason=data.get("reason") or "",
        message=data.get("message") or "",
        type=data.get("type") or "Normal",
        action=data.get("action") or "",
        related=data.get("related") or None,
        namespace=data.get("namespace") or None,
    )
    item.validate(where)
    return item


@dataclass
class RecordOptions:
    single: RecordInput | None = None
    from_file: str | None = None
    api: str = "v1"
    reporting_controller: str = "kpy"
    reporting_instance: str | None = None
    delivery: str = "block"
    queue_length: int = 1000
    correlator: CorrelatorOptions = field(default_factory=CorrelatorOptions)
    sink: SinkOptions = field(default_factory=SinkOptions)

    def validate(self) -> None:
        if self.from_file is not None and self.single is not None:
            raise UsageError("--from-file cannot be combined with --for/--reason/--message")
        if self.from_file is None and self.single is None:
            raise UsageError("--for and --reason are required (or --from-file FILE|-)")
        if self.single is not None:
            self.single.validate()
        if self.delivery not in (DeliveryMode.DROP.value, DeliveryMode.BLOCK.value):
            raise UsageError(f"invalid --delivery {self.delivery!r}: must be drop or block")
        if self.api not in ("v1", "events.k8s.io/v1"):
            raise UsageError(f"invalid --api {self.api!r}: must be v1 or events.k8s.io/v1")
        if self.queue_length < 1:
            raise UsageError("--queue-length must be at least 1")
        try:
            self.sink.validate()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        c = self.correlator
        if c.lru_cache_size < 1 or c.spam_burst < 1 or c.spam_qps <= 0 or c.aggregate_max_events < 1:
            raise UsageError(
                "--lru-size, --spam-burst, --spam-qps and --aggregate-max-events must be positive"
            )


async def _lines(path: str) -> AsyncIterator[tuple[int, str]]:
    if path == "-":
        loop = asyncio.get_running_loop()
        number = 0
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            number += 1
            yield number, line
    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, lines are yielded lazily
    except OSError as exc:
        raise UsageError(f"open {path}: {exc.strerror or exc}") from None
    with fh:
        for number, line in enumerate(fh, 1):
            yield number, line


#: input lines whose objects are resolved ahead of the line being recorded (GETs overlap; order is kept)
LOOKAHEAD = 64

Refs = tuple["ObjectRef", "ObjectRef | None"]


async def record_all(
    pipeline: RecordPipeline, resolver: ObjectResolver, options: RecordOptions, err: TextIO
) -> RecordStats:
    """Record every input in order; a bad line or an unresolvable object is counted as failed and reported.

    While one line is recorded, the objects of up to ``LOOKAHEAD`` later lines are being resolved (each a GET
    the first time an object is named), so a file naming many objects is not one round trip per object."""

    async def refs(item: RecordInput) -> Refs:
        ref = await resolver.resolve(item.for_object, item.namespace, "--for")
        related = None
        if item.related:
            related = await resolver.resolve(item.related, item.namespace, "--related")
        return ref, related

    async def record(item: RecordInput, resolved: Awaitable[Refs], where: str) -> None:
        try:
            ref, related = await resolved
        except UsageError as exc:
            if not where:
                raise
            pipeline.failed(f"{where}: {exc}")
            err.write(f"error: {where}: {exc}\n")
            return
        await pipeline.record(ref, item.type, item.reason, item.message, action=item.action, related=related)

    async with pipeline:
        if options.single is not None:
            await record(options.single, refs(options.single), "")
        else:
            assert options.from_file is not None
            await _record_lines(options.from_file, pipeline, refs, record, err)
    return pipeline.stats


async def _record_lines(
    path: str,
    pipeline: RecordPipeline,
    refs: Callable[[RecordInput], Awaitable[Refs]],
    record: Callable[[RecordInput, Awaitable[Refs], str], Awaitable[None]],
    err: TextIO,
) -> None:
    window: deque[tuple[int, RecordInput | UsageError, asyncio.Future[Refs] | None]] = deque()

    async def next_in_order() -> None:
        number, item, resolving = window.popleft()
        if isinstance(item, UsageError):
            pipeline.failed(str(item))
            err.write(f"error: {item}\n")
        else:
            assert resolving is not None
            await record(item, resolving, f"line {number}")

    try:
        async for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                item: RecordInput | UsageError = parse_line(line, number)
            except UsageError as exc:
                item = exc
            resolving = None if isinstance(item, UsageError) else asyncio.ensure_future(refs(item))
            window.append((number, item, resolving))
            if len(window) > LOOKAHEAD:
                await next_in_order()
        while window:
            await next_in_order()
    finally:
        pending = [resolving for _, _, resolving in window if resolving is not None]
        for future in pending:  # only after an error: stop what is still resolving
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def run_record(flags: ConnectionFlags, options: RecordOptions, *, err: TextIO | None = None) -> int:
    import socket

    from kpy.cli.common import open_client
    from kpy.events.api import ApiEventWriter, ObjectResolver
    from kpy.rest.discovery import Discovery

    err = err or sys.stderr
    options.validate()
    source = EventSource(options.reporting_controller, options.reporting_instance or socket.gethostname())
    async with open_client(flags) as client:
        resolver = ObjectResolver(client, Discovery(client, client.config.cache_dir), client.config.namespace)
        pipeline = RecordPipeline(
            ApiEventWriter(client, options.api),
            correlator_options=options.correlator,
            sink_options=options.sink,
            delivery=options.delivery,
            queue_length=options.queue_length,
            source=source,
        )
        try:
            stats = await record_all(pipeline, resolver, options, err)
        except KpyError:
            await pipeline.close()
            raise
    shown = 0
    for message in stats.errors:
        if message.startswith("line ") or shown >= 20:
            continue  # bad lines were reported as they were read
        err.write(f"error: {message}\n")
        shown += 1
    err.write(f"events: {stats.summary()}\n")
    return 1 if stats.failed else 0


__all__ = [
    "EVENT_TYPES",
    "RecordInput",
    "RecordOptions",
    "parse_line",
    "record_all",
    "run_record",
    "run_tail",
]
