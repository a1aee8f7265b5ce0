"""Container logs as the kubelet serves them (``GET .../pods/NAME/log``), with faults for resume tests.

Each container has a log "file" of CRI entries (nanosecond timestamp, stdout/stderr, text, partial or full)
that tests append to, plus the previous instance's file. Reading follows ``k8s.io/cri-client/pkg/logs.ReadLogs``
and the kubelet's ``validateContainerLogStatus``:

- the container is chosen from the pod's *status*: not in ``containerStatuses`` → ``container "C" in pod "P" is
  not available``; ``previous`` needs ``lastState.terminated.containerID`` (``previous terminated container
  "C" in pod "P" not found``); a waiting container → ``is waiting to start: REASON``. A pod without
  ``spec.nodeName`` has an empty log (the apiserver has no kubelet to ask).
- ``tailLines`` seeks to the last N entries first; then ``sinceTime``/``sinceSeconds`` skip older entries
  (the apiserver hands ``sinceTime`` to the kubelet with *second* precision); ``timestamps`` prefixes each
  line with RFC3339 and 9 fraction digits; ``limitBytes`` counts the prefix too and cuts mid-line.
- ``follow`` keeps reading until the container stops running; after a rotation a follower reads the new file
  from its start once it has read the old one to its end (the kubelet switches when it sees the new file,
  which it normally does after reading the old one: a reader that lags behind loses the rest, which no
  client can notice, so the emulator does not model it).

Faults: :meth:`PodLogs.rotate`, :meth:`PodLogs.restart` (updates the pod status: restartCount, lastState,
containerID), :meth:`PodLogs.cut` (end open follow streams now, an idle cut), :meth:`PodLogs.cut_after`
(end the next streams after N bytes), ``ignore_since_time`` (a runtime that serves from the start) and
``refuse_since_time`` (400 for a request with sinceTime).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kpy.logs.stamps import format_ts, parse_rfc3339
from kpy.testing import status
from kpy.testing.store import Obj

if TYPE_CHECKING:
    from kpy.testing.api import Api
    from kpy.testing.resources import ResourceType

Key = tuple[str, str, str]  # namespace, pod, container


@dataclass(frozen=True)
class Entry:
    """One CRI log entry."""

    ts: int  #: nanoseconds since the epoch
    stream: str  #: "stdout" or "stderr"
    text: bytes  #: without the newline of a full entry
    partial: bool = False

    @property
    def payload(self) -> bytes:
        return self.text if self.partial else self.text + b"\n"


@dataclass
class LogFile:
    entries: list[Entry] = field(default_factory=list)


@dataclass
class ContainerLog:
    current: LogFile = field(default_factory=LogFile)
    previous: LogFile | None = None
    running: bool = True
    #: bumped whenever something a follower waits for changes
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    #: open follow streams; cut() ends them
    streams: set[_Reader] = field(default_factory=set)
    #: streams opened from now on end after this many bytes (None: no cut)
    cut_after: int | None = None

    def wake(self) -> None:
        for fut in self.waiters:
            if not fut.done():
                fut.set_result(None)
        self.waiters.clear()


class _Reader:
    def __init__(self) -> None:
        self.cut = False


class PodLogs:
    """The log buffers of one emulator (``Emulator.logs``)."""

    def __init__(self, api: Api, pods: ResourceType, *, clock: Callable[[], int] = time.time_ns) -> None:
        self.api = api
        self.pods = pods
        self.clock = clock
        self.containers: dict[Key, ContainerLog] = {}
        #: fault: serve as if ``sinceTime``/``sinceSeconds`` were not given (a runtime that cannot seek)
        self.ignore_since_time = False
        #: fault: answer a request with ``sinceTime`` 400 (a proxy or runtime that refuses it)
        self.refuse_since_time = False
        self._last_ts = 0
        self._ids = itertools.count(1)

    def _log(self, namespace: str, pod: str, container: str) -> ContainerLog:
        return self.containers.setdefault((namespace, pod, container), ContainerLog())

    def _now(self) -> int:
        self._last_ts = max(self.clock(), self._last_ts + 1)
        return self._last_ts

    # -- writing (tests) ------------------------------------------------------------------------------
    def append(
        self,
        namespace: str,
        pod: str,
        container: str,
        *lines: str | bytes,
        stream: str = "stdout",
        at: int | None = None,
        partial: bool = False,
    ) -> list[int]:
        """Write full lines (or partial entries) to a container's current log; their timestamps (ns)."""
        log = self._log(namespace, pod, container)
        stamps = []
        for line in lines:
            text = line.encode() if isinstance(line, str) else line
            ts = at if at is not None else self._now()
            log.current.entries.append(Entry(ts, stream, text, partial))
            stamps.append(ts)
        log.wake()
        return stamps

    def text(self, namespace: str, pod: str, container: str) -> bytes:
        """The current log as ``kubectl logs`` prints it."""
        log = self._log(namespace, pod, container)
        return b"".join(e.payload for e in log.current.entries)

    def rotate(self, namespace: str, pod: str, container: str) -> None:
        """Start a new log file: the old one is no longer served; followers move to the new one."""
        log = self._log(namespace, pod, container)
        log.current = LogFile()
        log.wake()

    def cut(self, namespace: str | None = None, pod: str | None = None, container: str | None = None) -> int:
        """End the open follow streams (of one container, or all) as an idle cut would; how many."""
        n = 0
        for (ns, p, c), log in self.containers.items():
            if (namespace, pod, container) != (None, None, None) and (ns, p, c) != (
                namespace,
                pod,
                container,
            ):
                continue
            for reader in log.streams:
                reader.cut = True
                n += 1
            log.wake()
        return n

    def cut_after(self, namespace: str, pod: str, container: str, n_bytes: int | None) -> None:
        """End every stream opened from now on after ``n_bytes`` bytes (None: stop cutting)."""
        self._log(namespace, pod, container).cut_after = n_bytes

    def run_pod(self, namespace: str, name: str, node: str = "node-1") -> Obj:
        """Make a stored pod run: ``spec.nodeName`` set and every container running (status as the kubelet
        writes it), so its logs can be read."""
        pod = self._get(namespace, name)
        pod.setdefault("spec", {}).setdefault("nodeName", node)
        pod = self._put(namespace, name, pod, "")
        now = format_ts(self._now()).split(".")[0] + "Z"
        containers = (pod.get("spec") or {}).get("containers") or []
        pod["status"] = {
            **(pod.get("status") or {}),
            "phase": "Running",
            "startTime": now,
            "containerStatuses": [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": "",
                    "containerID": f"containerd://{next(self._ids):064x}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "lastState": {},
                    "state": {"running": {"startedAt": now}},
                }
                for c in containers
            ],
        }
        for c in containers:
            self._log(namespace, name, c["name"]).running = True
        return self._put(namespace, name, pod, "status")

    def restart(self, namespace: str, pod: str, container: str) -> Obj:
        """The container exits and starts again: its log becomes the previous one, followers of the old
        instance end, the pod status gets restartCount + 1, lastState.terminated and a new containerID."""
        log = self._log(namespace, pod, container)
        log.previous, log.current = log.current, LogFile()
        log.running = False  # followers of the old instance drain and end
        log.wake()
        obj = self._get(namespace, pod)
        now = format_ts(self._now()).split(".")[0] + "Z"
        for cs in (obj.get("status") or {}).get("containerStatuses") or []:
            if cs.get("name") != container:
                continue
            started = ((cs.get("state") or {}).get("running") or {}).get("startedAt", now)
            cs["lastState"] = {
                "terminated": {
                    "containerID": cs.get("containerID", ""),
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": started,
                    "finishedAt": now,
                }
            }
            cs["containerID"] = f"containerd://{next(self._ids):064x}"
            cs["restartCount"] = int(cs.get("restartCount") or 0) + 1
            cs["state"] = {"running": {"startedAt": now}}
        fresh = ContainerLog(current=log.current, previous=log.previous, cut_after=log.cut_after)
        self.containers[(namespace, pod, container)] = fresh
        return self._put(namespace, pod, obj, "status")

    def pod_deleted(self, namespace: str, pod: str) -> None:
        """The containers stop: followers drain and end."""
        for (ns, p, _), log in self.containers.items():
            if (ns, p) == (namespace, pod):
                log.running = False
                log.wake()

    def _get(self, namespace: str, name: str) -> Obj:
        return copy.deepcopy(self.api.get(self.pods, namespace, name))

    def _put(self, namespace: str, name: str, obj: Obj, sub: str) -> Obj:
        obj.get("metadata", {}).pop("resourceVersion", None)
        return self.api.update(self.pods, namespace, name, obj, subresource=sub)[0]

    # -- serving --------------------------------------------------------------------------------------
    async def serve(self, request: web.Request, pod: Obj, container: str) -> web.StreamResponse:
        """The body of a pods/log request whose options and container the apiserver already checked."""
        q = request.query
        meta = pod.get("metadata") or {}
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        previous = q.get("previous", "") in ("true", "1", "True", "TRUE", "t", "T")
        follow = q.get("follow", "") in ("true", "1", "True", "TRUE", "t", "T")
        if not (pod.get("spec") or {}).get("nodeName"):
            return web.Response(body=b"", content_type="text/plain")
        _check_status(pod, container, previous)
        if self.refuse_since_time and q.get("sinceTime"):
            raise status.bad_request("sinceTime is not supported (kpy emulator fault)")
        log = self._log(namespace, name, container)
        file = log.previous if previous else log.current
        if file is None:  # status says there is a previous instance, the buffers never saw it
            file = LogFile()
        since = 0
        if not self.ignore_since_time:
            if q.get("sinceTime"):
                since = parse_rfc3339(q["sinceTime"]) // 1_000_000_000 * 1_000_000_000
            elif q.get("sinceSeconds"):
                since = self.clock() - int(q["sinceSeconds"]) * 1_000_000_000
        tail = int(q["tailLines"]) if q.get("tailLines", "") != "" else -1
        limit = int(q["limitBytes"]) if q.get("limitBytes", "") != "" else None
        cut = log.cut_after if follow else None
        if cut is not None:
            limit = cut if limit is None else min(limit, cut)
        stamps = q.get("timestamps", "") in ("true", "1", "True", "TRUE", "t", "T")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        reader = _Reader()
        if follow:  # idle cuts end follow streams
            log.streams.add(reader)
        try:
            await self._read(response, log, file, previous, follow, since, tail, limit, stamps, reader)
            await response.write_eof()
        except ConnectionResetError:  # the client went away (kubectl logs -f ended): nothing left to tell it
            pass
        finally:
            log.streams.discard(reader)
        return response

    async def _read(
        self,
        response: web.StreamResponse,
        log: ContainerLog,
        file: LogFile,
        previous: bool,
        follow: bool,
        since: int,
        tail: int,
        limit: int | None,
        stamps: bool,
        reader: _Reader,
    ) -> None:
        index = 0 if tail < 0 else max(0, len(file.entries) - tail)
        limited = tail >= 0 and not follow
        remaining = tail
        new_line = True
        pending: list[bytes] = []  # sent in blocks of up to 64 KiB, as the apiserver's proxy copies them
        size = 0
        while True:
            if (limited and remaining == 0) or reader.cut:
                break
            if index >= len(file.entries):
                if follow and not previous and log.running and log.current is not file:
                    file, index = log.current, 0  # rotated: go on with the new file
                    continue
                if not follow or previous or not log.running:
                    break
                if pending:
                    await response.write(b"".join(pending))
                    pending, size = [], 0
                    continue
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                log.waiters.append(fut)
                await fut
                continue
            entry = file.entries[index]
            index += 1
            if limited:
                remaining -= 1
            if entry.ts < since:
                new_line = not entry.partial
                continue
            line = entry.payload
            if stamps and new_line:
                line = format_ts(entry.ts).encode() + b" " + line
            new_line = not entry.partial
            if limit is not None:
                line = line[:limit]
                limit -= len(line)
            pending.append(line)
            size += len(line)
            if limit is not None and limit <= 0:
                break
            if size >= 65536:
                await response.write(b"".join(pending))
                pending, size = [], 0
        if pending and not reader.cut:
            await response.write(b"".join(pending))


def _check_status(pod: Obj, container: str, previous: bool) -> None:
    """kubelet validateContainerLogStatus: which instance can be read, by the pod's status."""
    name = str((pod.get("metadata") or {}).get("name", ""))
    st: dict[str, Any] = pod.get("status") or {}
    found: dict[str, Any] | None = None
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        found = next((c for c in st.get(key) or [] if c.get("name") == container), None)
        if found is not None:
            break
    who = f"container {status.go_quote(container)} in pod {status.go_quote(name)}"
    if found is None:
        raise _kubelet_error(f"{who} is not available")
    last = (found.get("lastState") or {}).get("terminated")
    state = found.get("state") or {}
    if previous:
        if not last or not last.get("containerID"):
            raise _kubelet_error(f"previous terminated {who} not found")
    elif state.get("running") is not None:
        return
    elif state.get("terminated") is not None:
        if not state["terminated"].get("containerID") and not (last and last.get("containerID")):
            raise _kubelet_error(f"{who} is terminated")
    elif last is not None:
        if not last.get("containerID"):
            raise _kubelet_error(f"{who} is terminated")
    elif state.get("waiting") is not None:
        reason = str(state["waiting"].get("reason") or "")
        detail = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise _kubelet_error(f"{who} is waiting to start: {detail}")
    else:
        raise _kubelet_error(f"{who} is waiting to start - no logs yet")


def _kubelet_error(message: str) -> status.StatusError:
    """The kubelet answers 400 with the error as text (plus a newline); the apiserver relays it as a
    BadRequest Status whose message keeps that newline."""
    return status.bad_request(message + "\n")


def seed_logs(logs: PodLogs, now: dt.datetime) -> None:
    """The sandbox's pods have something to show: a few start-up lines, timestamped when they started."""
    born = int(now.timestamp()) * 1_000_000_000 - 600 * 1_000_000_000  # the seed's app_born (now - 10 min)
    web = [
        "/docker-entrypoint.sh: Configuration complete; ready for start up",
        '10.244.0.1 - - "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.32"',
        '10.244.0.1 - - "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.32"',
    ]
    for i, line in enumerate(web):
        logs.append("default", "web", "web", line, at=born + (5 + i * 60) * 1_000_000_000)
    logs.append("default", "worker", "worker", "worker started", at=born + 6 * 1_000_000_000)
