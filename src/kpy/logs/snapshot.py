"""Reading logs without ``-f``: one stream copied byte for byte (kubectl's DefaultConsumeRequest), or several
one after the other through a :class:`~kpy.logs.render.Renderer` (prefixes, JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from kpy.errors import ApiError
from kpy.logs.render import Renderer
from kpy.logs.resume import LineSplitter
from kpy.logs.stamps import split_stamp
from kpy.logs.targets import PODS, Obj

if TYPE_CHECKING:
    from kpy.rest import RestClient


@dataclass(frozen=True)
class ReadOptions:
    """The PodLogOptions kubectl sends (without -f)."""

    previous: bool = False
    since_seconds: int | None = None
    since_time: str = ""
    tail: int = -1
    limit_bytes: int = 0
    insecure_backend: bool = False

    def params(self, container: str, *, timestamps: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"container": container}
        if self.previous:
            params["previous"] = "true"
        if self.since_seconds:
            params["sinceSeconds"] = self.since_seconds
        if self.since_time:
            params["sinceTime"] = self.since_time
        if self.tail >= 0:
            params["tailLines"] = self.tail
        if timestamps:
            params["timestamps"] = "true"
        if self.limit_bytes:
            params["limitBytes"] = self.limit_bytes
        if self.insecure_backend:
            params["insecureSkipTLSVerifyBackend"] = "true"
        return params


def log_path(pod: Obj) -> str:
    meta = pod.get("metadata") or {}
    return f"{PODS.path(str(meta.get('namespace', '')))}/{meta.get('name')}/log"


async def copy_stream(
    client: RestClient, pod: Obj, container: str, options: ReadOptions, out: BinaryIO, *, timestamps: bool
) -> None:
    """One container's log, the bytes as they come."""
    async for chunk in client.stream_bytes(log_path(pod), options.params(container, timestamps=timestamps)):
        out.write(chunk)
    out.flush()


async def read_sequentially(
    client: RestClient,
    streams: list[tuple[Obj, str]],
    options: ReadOptions,
    renderer: Renderer,
    *,
    ignore_errors: bool = False,
) -> bool:
    """Several streams, one after the other in the order given (pods, then containers). True if one failed
    and ``ignore_errors`` let the others go on (else the error is raised)."""
    stamps = renderer.timestamps or renderer.as_json
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
                log_path(pod), options.params(container, timestamps=stamps)
            ):
                for line in splitter.feed(chunk):
                    emit(line)
            rest = splitter.rest()
            if rest:
                emit(rest)
        except ApiError as exc:
            if not ignore_errors:
                raise
            renderer.notice(exc.format().rstrip("\n"))
            failed = True
        renderer.flush()
    return failed
