"""``--health-address``: ``/healthz`` like client-go's HealthzAdaptor and ``/metrics`` in Prometheus text.

``/healthz`` fails (500) only when this process leads but has not renewed for longer than LeaseDuration plus
a 20 s tolerance (what kube-controller-manager and kube-scheduler use): a stuck leader should be restarted by
whoever watches the probe. Followers are healthy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.election.config import HEALTHZ_TOLERANCE
from kpy.errors import UsageError

if TYPE_CHECKING:
    from kpy.election.elector import LeaderElector


@dataclass
class ChildState:
    running: bool = False
    starts: int = 0


def healthz(elector: LeaderElector, now: float, tolerance: float = HEALTHZ_TOLERANCE) -> tuple[int, str]:
    """(status, body) of ``/healthz``."""
    if elector.core.healthy(now, elector.config.lease_duration, tolerance):
        return 200, "ok"
    name = elector.lock.describe()
    return (
        500,
        f"[-]leaderElection failed: failed election to renew leadership on lease {name}\nhealthz check failed\n",
    )


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(elector: LeaderElector, child: ChildState, now: float) -> str:
    """Prometheus text exposition (version 0.0.4)."""
    name = _escape(elector.lock.describe())
    core, m = elector.core, elector.metrics
    since = (now - core.observed_time) if core.observed is not None else -1.0
    rows: list[tuple[str, str, str, float]] = [
        (
            "leader_election_master_status",
            "gauge",
            "Whether this process is the leader (client-go's metric).",
            1.0 if core.is_leader() else 0.0,
        ),
        (
            "leader_election_slowpath_total",
            "counter",
            "Renewals by the leader that needed a GET (client-go's metric).",
            float(core.slow_path_count),
        ),
        (
            "kpy_elect_lease_transitions",
            "gauge",
            "leaseTransitions of the last observed record.",
            float(core.transitions),
        ),
        (
            "kpy_elect_acquisitions_total",
            "counter",
            "Times this process acquired the lease.",
            float(m.acquisitions),
        ),
        (
            "kpy_elect_successful_writes_total",
            "counter",
            "Successful creates/renewals of the lease.",
            float(m.renewals),
        ),
        (
            "kpy_elect_failed_tries_total",
            "counter",
            "tryAcquireOrRenew attempts that failed on an error.",
            float(m.failed_tries),
        ),
        (
            "kpy_elect_lost_total",
            "counter",
            "Renew rounds that failed (leadership lost).",
            float(m.renew_rounds_failed),
        ),
        (
            "kpy_elect_seconds_since_observed_change",
            "gauge",
            "Seconds since the lease record last changed in this process's view (-1: never seen).",
            since,
        ),
        (
            "kpy_elect_child_running",
            "gauge",
            "Whether the command is running.",
            1.0 if child.running else 0.0,
        ),
        ("kpy_elect_child_starts_total", "counter", "Times the command was started.", float(child.starts)),
    ]
    out: list[str] = []
    for metric, kind, help_text, value in rows:
        out.append(f"# HELP {metric} {help_text}")
        out.append(f"# TYPE {metric} {kind}")
        out.append(f'{metric}{{name="{name}"}} {_number(value)}')
    return "\n".join(out) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` (all interfaces) or ``[::1]:PORT``; port 0 picks a free one."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(
            f'invalid --health-address "{address}": want HOST:PORT (e.g. 127.0.0.1:8080 or :8080)'
        )
    host = host.strip("[]")
    return host or "0.0.0.0", int(port)


class HealthServer:
    """An aiohttp server for ``/healthz`` and ``/metrics`` (bound at ``start``, port 0 allowed)."""

    def __init__(self, elector: LeaderElector, child: ChildState, monotonic: Callable[[], float]) -> None:
        self.elector = elector
        self.child = child
        self.monotonic = monotonic
        self._runner: Any = None
        self.urls: list[str] = []

    async def start(self, address: str) -> list[str]:
        from aiohttp import web

        host, port = parse_address(address)

        async def healthz_handler(request: web.Request) -> web.Response:
            status, body = healthz(self.elector, self.monotonic())
            return web.Response(status=status, text=body, content_type="text/plain")

        async def metrics_handler(request: web.Request) -> web.Response:
            text = render_metrics(self.elector, self.child, self.monotonic())
            return web.Response(
                text=text, content_type="text/plain", headers={"X-Content-Type-Options": "nosniff"}
            )

        app = web.Application()
        app.router.add_get("/healthz", healthz_handler)
        app.router.add_get("/metrics", metrics_handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise UsageError(f"--health-address {address}: {exc.strerror or exc}") from None
        self._runner = runner
        self.urls = []
        for addr in runner.addresses:
            h, p = addr[0], addr[1]
            self.urls.append(f"http://[{h}]:{p}" if ":" in h else f"http://{h}:{p}")
        return self.urls

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
