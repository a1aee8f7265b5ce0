"""``kpy on --metrics-address``: ``/healthz`` and ``/metrics`` (Prometheus text) with client-go's workqueue
metric names (``workqueue_depth``, ``workqueue_adds_total``, ``workqueue_queue_duration_seconds``,
``workqueue_work_duration_seconds``, ``workqueue_retries_total``, ``workqueue_unfinished_work_seconds``,
``workqueue_longest_running_processor_seconds``, each labelled ``name``) plus the command's runs, failures by
exit code and dropped keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpy.election import health
from kpy.errors import UsageError
from kpy.workqueue.metrics import Histogram

if TYPE_CHECKING:
    from kpy.cache.controller import CommandController


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _histogram(out: list[str], metric: str, help_text: str, label: str, h: Histogram) -> None:
    out += [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
    for bound, count in zip(h.buckets, h.counts, strict=True):
        out.append(f'{metric}_bucket{{{label},le="{bound:g}"}} {count}')
    out.append(f'{metric}_bucket{{{label},le="+Inf"}} {h.count}')
    out.append(f"{metric}_sum{{{label}}} {_num(h.sum)}")
    out.append(f"{metric}_count{{{label}}} {h.count}")


def render_metrics(controller: CommandController, name: str) -> str:
    m = controller.queue.metrics
    label = f'name="{_escape(name)}"'
    out: list[str] = []

    def row(metric: str, kind: str, help_text: str, value: float) -> None:
        out.extend(
            [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}", f"{metric}{{{label}}} {_num(value)}"]
        )

    row("workqueue_depth", "gauge", "Current depth of workqueue", m.depth)
    row("workqueue_adds_total", "counter", "Total number of adds handled by workqueue", m.adds)
    _histogram(
        out,
        "workqueue_queue_duration_seconds",
        "How long in seconds an item stays in workqueue before being requested.",
        label,
        m.queue_duration,
    )
    _histogram(
        out,
        "workqueue_work_duration_seconds",
        "How long in seconds processing an item from workqueue takes.",
        label,
        m.work_duration,
    )
    row(
        "workqueue_unfinished_work_seconds",
        "gauge",
        "How many seconds of work has done that is in progress and hasn't been observed by work_duration.",
        m.unfinished_work_seconds(),
    )
    row(
        "workqueue_longest_running_processor_seconds",
        "gauge",
        "How many seconds has the longest running processor for workqueue been running.",
        m.longest_running_processor_seconds(),
    )
    row("workqueue_retries_total", "counter", "Total number of retries handled by workqueue", m.retries)
    stats = controller.stats
    row("kpy_on_runs_total", "counter", "Runs of the command.", stats.runs)
    out += [
        "# HELP kpy_on_failures_total Failed runs of the command by exit code.",
        "# TYPE kpy_on_failures_total counter",
    ]
    for code, count in sorted(stats.failures_by_code.items()):
        out.append(f'kpy_on_failures_total{{{label},code="{code}"}} {count}')
    row("kpy_on_dropped_total", "counter", "Keys dropped after --max-retries.", stats.dropped)
    return "\n".join(out) + "\n"


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``[::1]:PORT`` (``kpy elect --health-address``'s rules)."""
    try:
        return health.parse_address(address)
    except UsageError as exc:
        raise UsageError(str(exc).replace("--health-address", "--metrics-address")) from None


class MetricsServer:
    """aiohttp server for ``/healthz`` (ok once serving) and ``/metrics``; port 0 allowed."""

    def __init__(self, controller: CommandController, name: str) -> None:
        self.controller = controller
        self.name = name
        self._runner: Any = None
        self.urls: list[str] = []

    async def start(self, address: str) -> list[str]:
        from aiohttp import web

        host, port = parse_address(address)

        async def healthz(request: web.Request) -> web.Response:
            return web.Response(text="ok", content_type="text/plain")

        async def metrics(request: web.Request) -> web.Response:
            return web.Response(text=render_metrics(self.controller, self.name), content_type="text/plain")

        app = web.Application()
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise UsageError(f"--metrics-address {address}: {exc.strerror or exc}") from None
        self._runner = runner
        self.urls = [
            f"http://[{a[0]}]:{a[1]}" if ":" in a[0] else f"http://{a[0]}:{a[1]}" for a in runner.addresses
        ]
        return self.urls

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
