"""Following container logs: one list+watch of the pods, one resumable stream per container.

:class:`LogFollower` lists+watches the pods (``kpy.rest.watch.Reflector``, resuming from the last
resourceVersion, as ``events tail`` does) and starts a :class:`~kpy.logs.stream.ContainerStream` for every
selected container that can be read, at most ``max_streams`` at a time (the rest wait for a free slot, with
a notice). A pod change seen by the watch is passed to its streams (a new container instance ends the read in
progress so the stream can tell which instance it got).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kpy.logs.render import Renderer
from kpy.logs.stream import ContainerStream, StreamOptions, container_status, readable
from kpy.logs.targets import PODS, Obj, Query, Resolved, containers_of

if TYPE_CHECKING:
    from kpy.rest import RestClient

__all__ = ["ContainerStream", "LogFollower", "StreamOptions"]


class LogFollower:
    """Streams every selected container of the pods a query resolves to, now and later (-f)."""

    def __init__(
        self,
        client: RestClient,
        query: Query,
        resolved: Resolved,
        renderer: Renderer,
        options: StreamOptions,
        *,
        max_streams: int = 50,
        reflector_kwargs: dict[str, Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.query = query
        self.resolved = resolved
        self.renderer = renderer
        self.options = options
        self.max_streams = max_streams
        self.reflector_kwargs = reflector_kwargs or {}
        self._sleep = sleep
        self.streams: dict[tuple[str, str, str], ContainerStream] = {}
        self.tasks: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self.waiting: list[tuple[Obj, str, bool]] = []
        self._changed: dict[str, asyncio.Event] = {}
        self._told_full = False
        self._done = asyncio.Event()
        self._initial = {self._key(p, "")[0]: p for p in resolved.pods}
        self._noticed = set(self._initial)
        self.started = time.monotonic()

    def _key(self, pod: Obj, container: str) -> tuple[str, str, str]:
        meta = pod.get("metadata") or {}
        return (
            str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"),
            str(meta.get("name")),
            container,
        )

    def _start(self, tg: asyncio.TaskGroup, pod: Obj, container: str, late: bool) -> None:
        key = self._key(pod, container)
        if key in self.streams:
            return
        if len(self.tasks) >= self.max_streams:
            if all(self._key(p, c) != key for p, c, _ in self.waiting):
                self.waiting.append((pod, container, late))
            if not self._told_full:
                self._told_full = True
                self.renderer.notice(
                    f"kpy: following {self.max_streams} log streams, the most --max-streams allows; "
                    "more streams wait for a free slot (raise --max-streams to follow them all)"
                )
            return
        changed = self._changed.setdefault(key[0], asyncio.Event())
        # the pod as the query resolved it: what the user asked for at that moment
        believed = pod if late else self._initial.get(key[0], pod)
        stream = ContainerStream(
            self.client,
            self.renderer,
            believed,
            container,
            self.options,
            late=late,
            changed=changed,
            sleep=self._sleep,
        )
        if believed is not pod:
            stream.notify(pod)  # it may have restarted since: find out which instance the first read gets
        self.streams[key] = stream

        def finished(_: asyncio.Task[None], key: tuple[str, str, str] = key) -> None:
            self.tasks.pop(key, None)
            if self.waiting and len(self.tasks) < self.max_streams:
                p, c, lt = self.waiting.pop(0)
                self._start(tg, p, c, lt)
            if self.resolved.single_pod and not self.tasks and not self.waiting:
                self._done.set()

        task = tg.create_task(stream.run())
        self.tasks[key] = task
        task.add_done_callback(finished)

    def _pod_changed(self, tg: asyncio.TaskGroup, pod: Obj, late: bool) -> None:
        uid = str((pod.get("metadata") or {}).get("uid", ""))
        for key, stream in self.streams.items():
            if key[0] == uid:
                stream.notify(pod)
        if not self.resolved.matches(pod):
            return

        def notice(message: str) -> None:  # once per pod (the initial pods' were printed before)
            if uid not in self._noticed:
                self._noticed.add(uid)
                self.renderer.notice(message)

        for container in containers_of(pod, self.query, notice):
            if readable(container_status(pod, container)):
                self._start(tg, pod, container, late)

    async def run(self) -> None:
        """Follow until cancelled (or, for one named pod, until it is gone)."""
        from kpy.rest.watch import Reflector

        reflector = Reflector(
            self.client,
            PODS,
            self.query.namespace,
            label_selector=self.resolved.label_selector,
            field_selector=self.resolved.field_selector,
            **self.reflector_kwargs,
        )
        try:
            async with asyncio.TaskGroup() as tg:
                watcher = tg.create_task(self._watch(tg, reflector))
                await self._done.wait()
                watcher.cancel()
                for task in list(self.tasks.values()):
                    task.cancel()
        except BaseExceptionGroup as group:
            raise _first(group) from None

    async def _watch(self, tg: asyncio.TaskGroup, reflector: Any) -> None:
        late = False
        seen = {self._key(p, "")[0] for p in self.resolved.pods}
        async for change in reflector:
            if change.type == "SYNCED":
                late = True
                continue
            pod = change.object
            uid = self._key(pod, "")[0]
            if change.type == "DELETED":
                for key, stream in list(self.streams.items()):
                    if key[0] == uid:
                        stream.changed.set()  # it ends by itself once the pod is gone
                if self.resolved.single_pod and not self.tasks:
                    self._done.set()
                continue
            self._pod_changed(tg, pod, late and uid not in seen)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error of a task group (a failed stream or watch), for the one-line message."""
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc
