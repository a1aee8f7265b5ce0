"""``kpy on``'s whole run behind the CLI: options (validated purely), then informer + controller (+ lease,
+ metrics server) on one REST client, signals, exit code.

SIGINT/SIGTERM drain: no new runs start, the running ones finish (killed with their process groups after
``grace_period``), exit 0. A second signal kills the running commands at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from kpy.cache.informer import ADDED, DELETED, MODIFIED, SYNC
from kpy.errors import TemplateError, UsageError

if TYPE_CHECKING:
    from kpy.cache.controller import CommandController, ControllerOptions
    from kpy.election.config import ElectionConfig
    from kpy.rest.client import RestClient

#: --on values → informer event types
EVENT_NAMES = {"add": ADDED, "update": MODIFIED, "delete": DELETED, "sync": SYNC}
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


@dataclass(frozen=True)
class OnOptions:
    resource: str
    command: tuple[str, ...]
    name: str | None = None
    all_namespaces: bool = False
    label_selector: str | None = None
    field_selector: str | None = None
    on: str = "add,update,delete,sync"
    when: str | None = None
    workers: int = 1
    max_retries: int = 5
    resync: float = 0.0
    timeout: float = 0.0
    grace_period: float = 30.0
    retry_base_delay: float = 0.005
    retry_max_delay: float = 1000.0
    retry_qps: float = 10.0
    retry_burst: int = 100
    chunk_size: int = 500
    metrics_address: str | None = None
    elect: str | None = None
    identity: str | None = None
    election: ElectionConfig | None = None
    color: bool = False
    prefix: bool = True


def parse_events(text: str) -> frozenset[str]:
    out: set[str] = set()
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part not in EVENT_NAMES:
            raise UsageError(
                f'invalid argument "{text}" for "--on" flag: want a list of add, update, delete, sync'
            )
        out.add(EVENT_NAMES[part])
    if not out:
        raise UsageError('invalid argument "" for "--on" flag: want a list of add, update, delete, sync')
    return frozenset(out)


def validate(options: OnOptions) -> ControllerOptions:
    """Check everything that needs no server; the controller's options."""
    from kpy.cache.controller import ControllerOptions

    if not options.command:
        raise UsageError("a command to run is required after '--' (kpy on RESOURCE -- CMD)")
    if options.name and options.all_namespaces:
        raise UsageError("a resource cannot be retrieved by name across all namespaces")
    if options.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {options.workers}")
    if options.max_retries < -1:
        raise UsageError(f"--max-retries must be -1 (unlimited) or more, got {options.max_retries}")
    for flag, value in (
        ("--resync", options.resync),
        ("--timeout", options.timeout),
        ("--grace-period", options.grace_period),
        ("--retry-base-delay", options.retry_base_delay),
        ("--retry-max-delay", options.retry_max_delay),
    ):
        if value < 0:
            raise UsageError(f"{flag} must not be negative")
    if options.retry_qps <= 0 or options.retry_burst < 1:
        raise UsageError("--retry-qps must be positive and --retry-burst at least 1")
    events = parse_events(options.on)
    template = None
    if options.when is not None:
        from kpy.jsonpath import parse

        try:
            template = parse(options.when)
        except TemplateError as exc:
            raise UsageError(f"error parsing --when: {exc}") from None
    if options.metrics_address:
        from kpy.cache.metrics import parse_address

        parse_address(options.metrics_address)
    return ControllerOptions(
        argv=options.command,
        events=events,
        when=template,
        workers=options.workers,
        max_retries=options.max_retries,
        timeout=options.timeout,
        grace_period=options.grace_period,
        prefix=options.prefix,
    )


def check_command(argv: tuple[str, ...]) -> tuple[int, str] | None:
    """A command that cannot run at all fails before anything is watched (exit 127/126, like a shell)."""
    cmd = argv[0]
    if os.sep in cmd:
        if not os.path.exists(cmd):
            return EXIT_NOT_FOUND, f'error: exec: "{cmd}": no such file or directory'
        if os.path.isdir(cmd) or not os.access(cmd, os.X_OK):
            return EXIT_NOT_EXECUTABLE, f'error: exec: "{cmd}": permission denied'
        return None
    if shutil.which(cmd) is None:
        return EXIT_NOT_FOUND, f'error: exec: "{cmd}": executable file not found in $PATH'
    return None


async def run_on(
    client: RestClient, options: OnOptions, *, out: BinaryIO, err: TextIO, handle_signals: bool = True
) -> int:
    """Run until a signal (exit 0 after draining), a lost lease (1) or an error the informer cannot retry."""
    from kpy.cache.command import LineWriter
    from kpy.cache.controller import CommandController
    from kpy.cache.informer import Informer
    from kpy.rest.discovery import Discovery
    from kpy.rest.watchhealth import report_to
    from kpy.workqueue import default_controller_rate_limiter

    controller_options = validate(options)
    bad = check_command(options.command)
    if bad is not None:
        err.write(bad[1] + "\n")
        return bad[0]
    info = await Discovery(client, client.config.cache_dir).resolve(options.resource)
    namespace = None if options.all_namespaces or not info.namespaced else client.config.namespace
    field_selector = options.field_selector
    if options.name:
        by_name = f"metadata.name={options.name}"
        field_selector = f"{field_selector},{by_name}" if field_selector else by_name
    informer = Informer(
        client,
        info,
        namespace,
        label_selector=options.label_selector,
        field_selector=field_selector,
        resync=options.resync,
        chunk_size=options.chunk_size,
        reflector_kwargs={"on_health": report_to(err)},
    )
    limiter = default_controller_rate_limiter(
        base=options.retry_base_delay,
        maximum=options.retry_max_delay,
        qps=options.retry_qps,
        burst=options.retry_burst,
    )
    out_writer, err_writer = (
        LineWriter(out, options.color),
        LineWriter(err.buffer if hasattr(err, "buffer") else out, options.color),
    )
    controller = CommandController(
        informer, controller_options, out_writer, err_writer, log=err, rate_limiter=limiter
    )

    def say(line: str) -> None:
        controller.say(f"kpy: {line}")

    metrics = None
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []
    interrupted = asyncio.Event()

    def on_signal() -> None:
        interrupted.set()
        now = bool(stopping)
        if now:
            say("second signal: killing the running commands")
        elif controller.running:
            say(
                f"stopping: {len(controller.running)} running command(s) may finish within --grace-period "
                f"{options.grace_period:g}s; a second signal kills them"
            )
        stopping.append(asyncio.ensure_future(controller.stop(now=now)))

    async def freeze_when_synced() -> None:
        # what exists once the first list is stored (imports, the store) is never garbage: leave it out of the
        # cyclic collector's full passes, which would otherwise walk it all (a pause of the event loop that
        # grows with the store: ~0.3 s per 10,000 pods on a busy machine)
        await informer.synced.wait()
        gc.freeze()

    freezer = asyncio.ensure_future(freeze_when_synced())
    installed: list[int] = []
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, on_signal)
                installed.append(int(sig))
    try:
        if options.metrics_address:
            from kpy.cache.metrics import MetricsServer

            metrics = MetricsServer(controller, info.resource)
            urls = await metrics.start(options.metrics_address)
            say(f"serving /healthz and /metrics on {', '.join(urls)}")

        async def body() -> int:
            await controller.run()
            return 0

        if options.elect is None:
            code = await body()
        else:
            code = await _elected(client, options, controller, body, say, interrupted)
        if stopping:
            await asyncio.gather(*stopping)
        return code
    finally:
        freezer.cancel()
        gc.unfreeze()
        controller.kill_running()
        for signum in installed:
            loop.remove_signal_handler(signum)
        if metrics is not None:
            await metrics.stop()


async def _elected(
    client: RestClient,
    options: OnOptions,
    controller: CommandController,
    body: Callable[[], Coroutine[Any, Any, int]],
    say: Callable[[str], None],
    interrupted: asyncio.Event,
) -> int:
    import socket
    import uuid

    from kpy.cache.elected import run_while_leading
    from kpy.election.config import ElectionConfig
    from kpy.election.elector import LeaderElector
    from kpy.election.lock import LeaseLock
    from kpy.gocompat.clock import RealClock

    assert options.elect is not None
    identity = options.identity or f"{socket.gethostname()}_{uuid.uuid4()}"
    renewed = asyncio.Event()
    elector = LeaderElector(
        LeaseLock(client, client.config.namespace, options.elect),
        identity,
        options.election or ElectionConfig(grace_period_ns=0),
    )

    def on_renewed() -> None:
        renewed.set()
        controller.renewed()

    elector.on_renewed = on_renewed
    if isinstance(elector.clock, RealClock):  # the guard reads the real clock
        controller.deadline = elector.stop_deadline

    async def stop_now() -> None:
        await controller.stop(now=True)

    campaign = asyncio.ensure_future(run_while_leading(elector, body, stop_now, say, renewed))
    waiter = asyncio.ensure_future(interrupted.wait())
    await asyncio.wait({campaign, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not campaign.done() and not elector.core.is_leader():  # a signal while campaigning: nothing runs yet
        campaign.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await campaign
        return 0
    return await campaign
