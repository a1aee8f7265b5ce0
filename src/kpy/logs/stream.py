"""One container's log, followed across idle cuts, rotations and restarts (used by :mod:`kpy.logs.follower`).

Whenever the stream ends :class:`ContainerStream` asks the pod what happened: the same instance still runs →
reopen with ``sinceTime`` at the last timestamp printed (the cursor's boundary drops what was printed and
reports a gap if those lines are gone); a new instance → read the rest of the old one from ``previous``, then
the new one from its start; not running → wait for the pod to change; the pod is gone → done. Which instance a
read got is decided by its lines (a request sent just after a restart reaches the new instance), not by the
status last seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.errors import ApiError, BadRequest, ConnectionFailed, NotFound
from kpy.logs.render import Renderer
from kpy.logs.resume import Boundary, Cursor, Gap, LineSplitter
from kpy.logs.stamps import format_seconds, split_stamp
from kpy.logs.targets import PODS, Obj

if TYPE_CHECKING:
    from kpy.rest import RestClient

log = logging.getLogger("kpy.logs")

ROTATED = "the log was rotated (or the server did not resume at sinceTime)"
RESTARTED = "the container restarted"


@dataclass
class StreamOptions:
    """The user's read options, for the first request of each stream."""

    since_seconds: int | None = None
    since_time: str | None = None
    tail: int = -1
    limit_bytes: int | None = None
    insecure_backend: bool = False

    def first_params(self, container: str, *, late: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"container": container, "follow": "true", "timestamps": "true"}
        if self.since_seconds is not None:
            params["sinceSeconds"] = self.since_seconds
        if self.since_time is not None:
            params["sinceTime"] = self.since_time
        if self.tail >= 0 and not late:  # a pod that starts later is read whole
            params["tailLines"] = self.tail
        if self.limit_bytes is not None:
            params["limitBytes"] = self.limit_bytes
        if self.insecure_backend:
            params["insecureSkipTLSVerifyBackend"] = "true"
        return params


def container_status(pod: Obj, container: str) -> Obj | None:
    st = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in st.get(key) or []:
            if cs.get("name") == container:
                return dict(cs)
    return None


def readable(cs: Obj | None) -> bool:
    """The kubelet would serve this container's current log (validateContainerLogStatus without errors)."""
    if cs is None:
        return False
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated") or {}
    if state.get("running") is not None:
        return True
    if state.get("terminated") is not None:
        return bool(state["terminated"].get("containerID") or last.get("containerID"))
    return bool(last.get("containerID"))


def running(cs: Obj | None) -> bool:
    return cs is not None and (cs.get("state") or {}).get("running") is not None


class ContainerStream:
    """One container, followed across cuts, rotations and restarts (see the module docstring)."""

    def __init__(
        self,
        client: RestClient,
        renderer: Renderer,
        pod: Obj,
        container: str,
        options: StreamOptions,
        *,
        late: bool = False,
        changed: asyncio.Event | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        meta = pod.get("metadata") or {}
        self.client = client
        self.renderer = renderer
        self.namespace = str(meta.get("namespace", ""))
        self.pod = str(meta.get("name", ""))
        self.uid = str(meta.get("uid", ""))
        self.container = container
        self.options = options
        self.late = late
        self.cursor = Cursor()
        self.changed = changed or asyncio.Event()
        self.stopped = False
        self.reopens = 0
        self.no_since_time = False
        self.requests_ok = 0
        self._abort = asyncio.Event()
        #: the cursor when the current read began (what was printed from earlier reads)
        self._opened_at: tuple[int | None, int] = (None, 0)
        self._sleep = sleep
        self._status = container_status(pod, container)
        self._path = f"{PODS.path(self.namespace)}/{self.pod}/log"

    def stop(self) -> None:
        self.stopped = True
        self.changed.set()

    def notify(self, pod: Obj) -> None:
        """The watch saw the pod change. A new container instance while this stream still reads: the request
        may have reached the new instance already (sent just after a restart), or the old one may still be
        draining. Either way, end the read and let :meth:`run` find out from the lines which one it was."""
        status = container_status(pod, self.container)
        self.changed.set()
        believed = (self._status or {}).get("containerID")
        if status is not None and believed and status.get("containerID") != believed:
            self._abort.set()

    def _gone(self) -> None:
        """The pod went away. Lines are only known to be lost if none was ever read (the stream never got
        through); after a read the stream's end is where the container stopped."""
        if self.requests_ok == 0:
            self._gap(None, None, "the pod was deleted before its log could be read")

    def _gap(self, start: int | None, end: int | None, reason: str) -> None:
        self.renderer.gap(Gap(self.namespace, self.pod, self.container, start, end, reason))

    async def _read(self, params: dict[str, Any], boundary: Boundary | None, reason: str) -> int:
        """One request; returns how many lines it printed. Gaps found by the boundary are reported."""
        printed = 0
        splitter = LineSplitter()

        def emit(line: bytes) -> None:
            nonlocal printed
            ts, text = split_stamp(line)
            if boundary is not None:
                admitted = boundary.admit(ts)
                if boundary.gap is not None:
                    self._gap(*boundary.gap, reason)
                    boundary.gap = None
                if not admitted:
                    return
            self.cursor.printed(ts)
            self.renderer.line(self.namespace, self.pod, self.container, ts, text)
            printed += 1

        stream = self.client.stream_bytes(self._path, params)
        try:
            async with contextlib.aclosing(stream):
                async for chunk in stream:
                    self.requests_ok += 1
                    for line in splitter.feed(chunk):
                        emit(line)
                    self.renderer.flush()  # followed lines reach a pipe as they come
            self.requests_ok += 1
        finally:
            rest = splitter.rest()
            if rest:
                emit(rest)
        return printed

    async def _read_abortable(self, params: dict[str, Any], boundary: Boundary | None) -> int:
        """:meth:`_read`, ended early when :meth:`notify` saw a new container instance."""
        read = asyncio.ensure_future(self._read(params, boundary, ROTATED))
        abort = asyncio.ensure_future(self._abort.wait())
        try:
            await asyncio.wait({read, abort}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            abort.cancel()
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await read
        return 0 if read.cancelled() else read.result()

    async def _pod(self) -> Obj | None:
        """The pod now (None: deleted, or replaced by another pod of the same name)."""
        try:
            pod = (await self.client.request("GET", f"{PODS.path(self.namespace)}/{self.pod}")).json()
        except NotFound:
            return None
        uid = str((pod.get("metadata") or {}).get("uid", ""))
        return pod if not self.uid or uid == self.uid else None

    async def _pod_retrying(self) -> Obj | None:
        delay = 0.1
        while True:
            try:
                return await self._pod()
            except ConnectionFailed as exc:
                log.debug("cannot get pod %s/%s: %s", self.namespace, self.pod, exc)
            except ApiError as exc:
                if (exc.code or 0) < 500:
                    raise
            await self._sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _earlier_instances(self) -> None:
        """A pod seen for the first time after it restarted: its previous instance first (whole), and a gap
        for any instance before that."""
        restarts = int((self._status or {}).get("restartCount") or 0)
        if restarts < 1:
            return
        if restarts > 1:
            self._gap(None, None, f"{RESTARTED} {restarts} times before kpy saw the pod")
        params = {"container": self.container, "previous": "true", "timestamps": "true"}
        try:
            await self._read(params, None, RESTARTED)
        except ApiError:
            self._gap(None, None, RESTARTED + " (its previous log cannot be read)")

    async def run(self) -> None:
        if self.late:
            await self._earlier_instances()
        params = self.options.first_params(self.container, late=self.late)
        boundary: Boundary | None = None
        delay = 0.05
        while not self.stopped:
            printed = 0
            try:
                self._opened_at = (self.cursor.last, self.cursor.count)
                printed = await self._read_abortable(params, boundary)
            except BadRequest as exc:
                log.debug("logs of %s/%s/%s: %s", self.namespace, self.pod, self.container, exc)
                if "sinceTime" in params and "previous" not in params:
                    # refused: read from the start, the boundary drops what was printed
                    self.no_since_time = True
            except NotFound:
                self._gone()
                return
            except ConnectionFailed as exc:
                log.debug("log stream of %s/%s/%s broke: %s", self.namespace, self.pod, self.container, exc)
            except ApiError as exc:
                if (exc.code or 0) < 500:
                    raise
            if self.stopped or self.options.limit_bytes is not None:
                return
            pod = await self._pod_retrying()
            if pod is None:
                self._gone()
                return
            status = container_status(pod, self.container)
            self._abort.clear()  # the status is fresh: a later change is noticed again
            before = self._status
            self._status = status
            old_id = (before or {}).get("containerID")
            if status is not None and old_id and status.get("containerID") != old_id:
                await self._drain_previous(before or {}, status)
                await self._check_still(status)
                params = {"container": self.container, "follow": "true", "timestamps": "true"}
                boundary = self.cursor.boundary(expect_proof=False)
                delay = 0.05
                continue
            params = self._resume_params()
            boundary = self.cursor.boundary()
            if not running(status):
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(30.0):
                        await self.changed.wait()
                continue
            self.reopens += 1
            if printed == 0:
                await self._sleep(delay)
                delay = min(delay * 2, 2.0)
            else:
                delay = 0.05

    def _resume_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"container": self.container, "follow": "true", "timestamps": "true"}
        since = self.cursor.since_time()
        if since is not None:
            if not self.no_since_time:
                params["sinceTime"] = since
        elif self.options.since_seconds is not None or self.options.since_time is not None:
            return self.options.first_params(self.container, late=True)
        return params

    async def _drain_previous(self, before: Obj, now: Obj) -> None:
        """The instance we read was replaced: print the rest of it from ``previous``, then note skipped ones.

        Which instance a request served is only known from the lines: a request sent just after a restart
        reads the new instance although the status we had said the old one. So when ``previous`` does not
        contain the boundary but the current log does, everything printed came from the new instance and the
        old one is printed whole (late, but not lost)."""
        restarts = max(1, int(now.get("restartCount") or 0) - int(before.get("restartCount") or 0))
        skipped = f"{RESTARTED} {restarts} times while it was not read"
        previous: dict[str, Any] = {"container": self.container, "previous": "true", "timestamps": "true"}
        since = self.cursor.since_time()
        try:
            if since is not None and await self._joins({**previous, "sinceTime": since}):
                await self._read({**previous, "sinceTime": since}, self.cursor.boundary(), RESTARTED)
            elif since is None or await self._joins(
                {"container": self.container, "timestamps": "true", "sinceTime": since}
            ):
                # the last read got the new instance: the old one was printed up to where that read began
                last, count = self._opened_at
                if last is None:
                    await self._read(previous, None, RESTARTED)
                else:
                    boundary = Boundary(last, count)
                    await self._read({**previous, "sinceTime": format_seconds(last)}, boundary, RESTARTED)
                    if not boundary.joined:
                        self._gap(last, None, RESTARTED + " (the end of its log is gone)")
            else:
                self._gap(None, None, RESTARTED + " (the end of its log is gone)")
                return
        except (ApiError, ConnectionFailed):
            self._gap(None, None, RESTARTED + " (its previous log cannot be read)")
            return
        if restarts > 1:
            self._gap(None, None, skipped)

    async def _check_still(self, status: Obj) -> None:
        """After reading ``previous``: if the container restarted again meanwhile, that previous log may have
        been the newer instance's, and the older one's end is unread."""
        pod = await self._pod_retrying()
        fresh = container_status(pod, self.container) if pod else None
        if fresh is not None and fresh.get("containerID") != status.get("containerID"):
            self._gap(None, None, RESTARTED + " again while its previous log was read")
            self._status = fresh
            self._abort.clear()

    async def _joins(self, params: dict[str, Any]) -> bool:
        """Whether this log still has the lines printed last (read without printing)."""
        boundary = self.cursor.boundary()
        splitter = LineSplitter()
        stream = self.client.stream_bytes(self._path, params)
        async with contextlib.aclosing(stream):
            async for chunk in stream:
                for line in splitter.feed(chunk):
                    boundary.admit(split_stamp(line)[0])
                if boundary.joined:
                    return True
        return boundary.joined
