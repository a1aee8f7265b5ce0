"""``kpy events record``: inputs (flags, or JSON lines) → the recording pipeline, with nothing lost silently.

Every input line ends up in the summary: created, patched, aggregated, spam-filtered, dropped, failed (a bad
line, an object that could not be looked up even after retries, a write the server refused) or, after an
interrupt, not written. On SIGINT/SIGTERM reading stops, what was read is written for at most
``flush_timeout`` seconds, the summary is printed and the exit code is 128 + the signal (130, 143); a second
signal gives up on the flush at once (the summary then counts what was lost).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from kpy.errors import KpyError, UsageError
from kpy.events.broadcaster import DeliveryMode
from kpy.events.correlator import CorrelatorOptions
from kpy.events.pipeline import RecordPipeline, RecordStats
from kpy.events.recorder import EventSource, validate_type
from kpy.events.sink import SinkOptions

if TYPE_CHECKING:
    from kpy.events.recorder import ObjectRef
    from kpy.rest import RestClient


class Resolver(Protocol):
    async def resolve(self, arg: str, namespace: str | None = ..., flag: str = ...) -> ObjectRef: ...


class Diagnostics(Protocol):
    def write(self, text: str, /) -> Any: ...


# -- inputs --------------------------------------------------------------------------------------------------
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
    from kpy.gocompat import gojson

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
    #: after SIGINT/SIGTERM, how long to keep writing what was read before giving up on it
    flush_timeout: float = 5.0
    #: the live progress line on stderr: None = only when stderr is a terminal
    progress: bool | None = None

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
        if self.flush_timeout < 0:
            raise UsageError("--flush-timeout must not be negative")
        try:
            self.sink.validate()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        c = self.correlator
        if c.lru_cache_size < 1 or c.spam_burst < 1 or c.spam_qps <= 0 or c.aggregate_max_events < 1:
            raise UsageError(
                "--lru-size, --spam-burst, --spam-qps and --aggregate-max-events must be positive"
            )


#: input lines whose objects are resolved ahead of the line being recorded (GETs overlap; order is kept)
LOOKAHEAD = 64

Refs = tuple["ObjectRef", "ObjectRef | None"]


@dataclass
class Feed:
    """How far the input went: ``taken`` inputs were read (blank lines aside); ``stop`` ends reading."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    taken: int = 0


async def record_all(
    pipeline: RecordPipeline,
    resolver: Resolver,
    options: RecordOptions,
    err: Diagnostics,
    feed: Feed | None = None,
) -> RecordStats:
    """Record every input in order, then drain the pipeline (see ``record_inputs``)."""
    async with pipeline:
        await record_inputs(pipeline, resolver, options, err, feed or Feed())
    return pipeline.stats


async def record_inputs(
    pipeline: RecordPipeline, resolver: Resolver, options: RecordOptions, err: Diagnostics, feed: Feed
) -> None:
    """Hand every input to the pipeline in order; a bad line or an object that cannot be looked up is counted as
    failed and reported, and the next line is read.

    While one line is recorded, the objects of up to ``LOOKAHEAD`` later lines are being resolved (each a GET
    the first time an object is named), so a file naming many objects is not one round trip per object. Once
    ``feed.stop`` is set no further line is read; the lines already read are still recorded."""

    async def refs(item: RecordInput) -> Refs:
        ref = await resolver.resolve(item.for_object, item.namespace, "--for")
        related = None
        if item.related:
            related = await resolver.resolve(item.related, item.namespace, "--related")
        return ref, related

    async def record(item: RecordInput, resolved: Awaitable[Refs], where: str) -> None:
        try:
            ref, related = await resolved
        except KpyError as exc:
            if not where:
                raise
            message = str(exc) if isinstance(exc, UsageError) else f"{item.for_object}: {exc.format()}"
            pipeline.failed(f"{where}: {message}")
            err.write(f"error: {where}: {message}\n")
            return
        await pipeline.record(ref, item.type, item.reason, item.message, action=item.action, related=related)

    pipeline.start()
    if options.single is not None:
        feed.taken += 1
        await record(options.single, refs(options.single), "")
    else:
        assert options.from_file is not None
        await _record_lines(options.from_file, pipeline, refs, record, err, feed)


async def _record_lines(
    path: str,
    pipeline: RecordPipeline,
    refs: Callable[[RecordInput], Awaitable[Refs]],
    record: Callable[[RecordInput, Awaitable[Refs], str], Awaitable[None]],
    err: Diagnostics,
    feed: Feed,
) -> None:
    from kpy.events.lines import LineReader

    reader = LineReader.open(path)
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
        async for number, raw in reader.lines(feed.stop):
            if raw is None:  # no input waiting: record what was read instead of holding it for the lookahead
                while window:
                    await next_in_order()
                continue
            if not raw.strip():
                continue
            feed.taken += 1
            try:
                item: RecordInput | UsageError = parse_line(_decode(raw, number), number)
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
        for future in pending:  # only after an error or an abort: stop what is still resolving
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _decode(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"line {number}: invalid UTF-8") from None


# -- the command: signals, flush timeout, progress, summary ----------------------------------------------------
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """SIGINT/SIGTERM while recording: the first asks for a bounded flush, the second for an immediate exit."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.first = asyncio.Event()
        self.second = asyncio.Event()
        self._installed: list[int] = []

    def receive(self, signum: int) -> None:
        self.received.append(signum)
        (self.first if len(self.received) == 1 else self.second).set()

    @property
    def exit_code(self) -> int:
        """128 + the first signal, as a shell reports a process that signal ended (130 SIGINT, 143 SIGTERM)."""
        return 128 + int(self.received[0])

    @property
    def name(self) -> str:
        return signal.Signals(self.received[0]).name

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            try:
                loop.add_signal_handler(sig, self.receive, int(sig))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
                continue
            self._installed.append(int(sig))

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()


async def _until(task: asyncio.Future[Any], event: asyncio.Event) -> None:
    """Wait until ``task`` is done or ``event`` is set (``task`` keeps running either way)."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


class RecordRun:
    """One ``kpy events record`` run: feed, pipeline, progress line and interrupts, ending in one summary."""

    def __init__(
        self,
        pipeline: RecordPipeline,
        resolver: Resolver,
        options: RecordOptions,
        err: TextIO,
        *,
        interrupts: Interrupts | None = None,
    ) -> None:
        from kpy.events.progress import ProgressLine, stream_is_terminal

        self.pipeline = pipeline
        self.resolver = resolver
        self.options = options
        self.feed = Feed()
        self.interrupts = interrupts or Interrupts()
        enabled = stream_is_terminal(err) if options.progress is None else options.progress
        self.diagnostics = ProgressLine(err, self._counts, enabled=enabled)

    def _counts(self) -> tuple[int, int]:
        return self.feed.taken, self.pipeline.stats.written

    async def run(self) -> RecordStats:
        """Record everything (or until interrupted) and return the final stats; ``KpyError`` for single-event
        usage errors, after the pipeline drained."""
        ticker = asyncio.create_task(self.diagnostics.run())
        feeding = asyncio.create_task(
            record_inputs(self.pipeline, self.resolver, self.options, self.diagnostics, self.feed)
        )
        closing: asyncio.Task[RecordStats] | None = None
        try:
            await _until(feeding, self.interrupts.first)
            if feeding.done() and feeding.exception() is not None:
                await self._drain(closing)
                feeding.result()  # raises
            if not self.interrupts.first.is_set():
                closing = asyncio.create_task(self.pipeline.close())
                await _until(closing, self.interrupts.first)
            if self.interrupts.first.is_set():
                return await self._interrupted(feeding, closing)
            assert closing is not None
            return closing.result()
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self.diagnostics.clear()

    async def _drain(self, closing: asyncio.Task[RecordStats] | None) -> None:
        await (closing if closing is not None else self.pipeline.close())

    async def _interrupted(
        self, feeding: asyncio.Task[None], closing: asyncio.Task[RecordStats] | None
    ) -> RecordStats:
        """Stop reading; write what was read for at most ``flush_timeout`` or until a second signal."""
        self.feed.stop.set()
        timeout = self.options.flush_timeout
        pending = self.feed.taken - self.pipeline.stats.accounted
        self.diagnostics.write(
            f"kpy: {self.interrupts.name}: stopped reading; writing {pending} pending events "
            f"(at most {timeout:g}s, interrupt again to exit now)\n"
        )
        if hasattr(self.diagnostics.out, "flush"):
            self.diagnostics.out.flush()

        async def flush() -> None:
            await asyncio.gather(feeding, return_exceptions=True)
            await (closing if closing is not None else self.pipeline.close())

        flushing = asyncio.create_task(flush())
        try:
            async with asyncio.timeout(timeout):
                await _until(flushing, self.interrupts.second)
        except TimeoutError:
            pass
        if not flushing.done():
            feeding.cancel()
            flushing.cancel()
            await self.pipeline.abort()  # first: a cancelled close must not wait for the sink in a finally
            await asyncio.gather(flushing, feeding, return_exceptions=True)
        stats = self.pipeline.stats
        stats.read = max(stats.read, self.feed.taken)
        stats.not_written = stats.read - stats.accounted
        return stats

    def summary(self, stats: RecordStats, err: TextIO) -> None:
        shown = 0
        for message in stats.errors:
            if message.startswith("line ") or shown >= 20:
                continue  # bad lines were reported as they were read
            err.write(f"error: {message}\n")
            shown += 1
        err.write(f"events: {stats.summary()}\n")
        err.flush()


async def run_record(
    open_client: Callable[[], AbstractAsyncContextManager[RestClient]],
    options: RecordOptions,
    *,
    err: TextIO | None = None,
) -> int:
    """Record every input (``options``) through a client from ``open_client`` (opened after the signal
    handlers are installed); returns the exit code (1 if any event failed, 130/143 after a signal)."""
    import socket

    from kpy.events.api import ApiEventWriter, ObjectResolver
    from kpy.rest.discovery import Discovery

    err = err or sys.stderr
    options.validate()
    source = EventSource(options.reporting_controller, options.reporting_instance or socket.gethostname())
    interrupts = Interrupts()
    interrupts.install()
    try:
        async with open_client() as client:
            resolver = ObjectResolver(
                client,
                Discovery(client, client.config.cache_dir),
                client.config.namespace,
                max_tries=options.sink.max_tries,
            )
            pipeline = RecordPipeline(
                ApiEventWriter(client, options.api),
                correlator_options=options.correlator,
                sink_options=options.sink,
                delivery=options.delivery,
                queue_length=options.queue_length,
                source=source,
            )
            run = RecordRun(pipeline, resolver, options, err, interrupts=interrupts)
            stats = await run.run()
    finally:
        interrupts.remove()
    run.summary(stats, err)
    if interrupts.received:
        return interrupts.exit_code
    return 1 if stats.failed else 0
