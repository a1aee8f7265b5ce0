"""Shell completion's answers from the server: the on-disk cache of names (``CompletionCache``), the detached
refresh that finishes a lookup cut off by its deadline, and live requests with a hard deadline. Only the
standard library at module level (see ``kpy.cli.completion``)."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kpy.rest.discovery_cache import DEFAULT_TTL_SECONDS

if TYPE_CHECKING:
    from kpy.config.client_config import ClientConfig
    from kpy.rest import RestClient


T = TypeVar("T")

NAMES_TTL = 60.0  #: seconds a cached list of names (namespaces, pods, ...) is served without asking
MAX_STALE = 7 * 24 * 3600.0  #: older answers are not served even when the server is down
LIVE_TIMEOUT = 1.0  #: hard deadline of a live request when nothing is cached
STALE_TIMEOUT = 0.25  #: deadline of the refresh when a stale answer can be served instead
BACKGROUND_TIMEOUT = 20.0  #: deadline of the detached refresh that finishes a request cut off by LIVE_TIMEOUT
TIMEOUT_ENV = "KPY_COMPLETION_TIMEOUT"  #: seconds, overrides both LIVE_TIMEOUT and STALE_TIMEOUT
BACKGROUND_ENV = "KPY_COMPLETION_REFRESH"  #: set in the detached refresh (its marker file's path)
DISCOVERY_TTL = DEFAULT_TTL_SECONDS  #: the discovery cache's own TTL

#: what ``kpy port-forward <TAB>`` and ``kpy events tail --for <TAB>`` offer: pods, services, deployments
WORKLOAD_TYPES = ("pod", "svc", "deploy")

_ILLEGAL = r"[^(\w/.)]"
_UNSAFE = r"[^A-Za-z0-9._-]"
_METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"


# -- the on-disk cache --------------------------------------------------------------------------------------
class Entry:
    """A cached answer and how old it is (seconds)."""

    __slots__ = ("age", "names")

    def __init__(self, names: list[str], age: float) -> None:
        self.names = names
        self.age = age


class CompletionCache:
    """Lists of names on disk, one JSON file per key, with a TTL and stale-while-error.

    ``lookup(key, fetch)`` answers from the file when it is younger than ``ttl``; otherwise it calls
    ``fetch(deadline)`` (the deadline is ``live_timeout``, or ``stale_timeout`` when an older answer exists)
    and stores the result. When ``fetch`` raises, the older answer (up to ``max_stale`` old) is served, else
    nothing.
    """

    def __init__(
        self,
        directory: Path,
        *,
        ttl: float = NAMES_TTL,
        max_stale: float = MAX_STALE,
        live_timeout: float = LIVE_TIMEOUT,
        stale_timeout: float = STALE_TIMEOUT,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.ttl = ttl
        self.max_stale = max_stale
        self.live_timeout = live_timeout
        self.stale_timeout = stale_timeout
        self._now = now

    def path(self, key: Sequence[str]) -> Path:
        parts = [_safe(part) for part in key]
        return self.directory.joinpath(*parts[:-1], parts[-1] + ".json")

    def read(self, key: Sequence[str]) -> Entry | None:
        import json

        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            names = [str(n) for n in data["names"]]
            age = self._now() - float(data["time"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if age < -60 or age > self.max_stale:  # clock skew, or too old to trust
            return None
        return Entry(names, max(age, 0.0))

    def write(self, key: Sequence[str], names: Sequence[str]) -> None:
        self._write_json(self.path(key), {"time": self._now(), "names": list(names)})

    def aliases(self) -> dict[str, str]:
        """Type spellings seen before → the canonical ``resource[.group]`` they resolved to."""
        import json

        try:
            data = json.loads((self.directory / "aliases.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def add_alias(self, spelling: str, canonical: str) -> None:
        aliases = self.aliases()
        aliases.update({spelling: canonical, canonical: canonical})
        self._write_json(self.directory / "aliases.json", aliases)

    def _write_json(self, path: Path, data: Any) -> None:
        import json
        import tempfile

        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kpy-completion-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            pass

    def lookup(self, key: Sequence[str], fetch: Callable[[float], list[str]]) -> list[str]:
        entry = self.read(key)
        if entry is not None and entry.age <= self.ttl:
            return entry.names
        try:
            names = fetch(self.stale_timeout if entry is not None else self.live_timeout)
        except TimeoutError:
            refresh_in_background(self.directory)
            return entry.names if entry is not None else []
        except Exception:
            return entry.names if entry is not None else []
        self.write(key, names)
        return names


def in_background() -> bool:
    return bool(os.environ.get(BACKGROUND_ENV))


def refresh_in_background(directory: Path) -> None:
    """Finish a cut-off lookup in a detached copy of this completion (same command line and environment,
    ``BACKGROUND_TIMEOUT`` deadlines), which writes the cache and exits; the shell does not wait for it."""
    if in_background():
        return
    import hashlib
    import subprocess
    import sys

    line = "\0".join(
        [
            *sys.argv[1:],
            *(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("COMP")),
            os.environ.get("_TYPER_COMPLETE_ARGS", ""),
        ]
    )
    marker = directory / f".refresh-{hashlib.sha256(line.encode()).hexdigest()[:16]}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o750)
        if time.time() - marker.stat().st_mtime < BACKGROUND_TIMEOUT + 5:
            return  # a refresh of this line is already running
    except FileNotFoundError:
        pass
    except OSError:
        return
    try:
        marker.write_text(str(os.getpid()), encoding="utf-8")
        subprocess.Popen(
            [sys.executable, "-m", "kpy", *sys.argv[1:]],
            env={**os.environ, BACKGROUND_ENV: str(marker)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        marker.unlink(missing_ok=True)


def _background_done() -> None:
    marker = os.environ.get(BACKGROUND_ENV)
    if marker:
        Path(marker).unlink(missing_ok=True)


def _safe(part: str) -> str:
    """A file-name-safe spelling of a cache key part (never empty, never ``..``)."""
    import re

    text = re.sub(_UNSAFE, "_", part) or "_"
    return "_" + text if text.startswith(".") else text


# -- live requests with a hard deadline --------------------------------------------------------------------
def _daemon_executor() -> Any:
    """An executor for blocking calls (getaddrinfo, exec plugins' helpers) on daemon threads that are never
    joined, so a call stuck past the deadline cannot keep the completion process (and the shell) waiting."""
    import concurrent.futures
    import threading

    class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
        def submit(
            self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
        ) -> concurrent.futures.Future[Any]:
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()

            def run() -> None:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to the awaiting coroutine
                    future.set_exception(exc)
                else:
                    future.set_result(result)

            threading.Thread(target=run, name="kpy-completion", daemon=True).start()
            return future

        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            return None

    return DaemonExecutor(max_workers=1)


def run_live(config: ClientConfig, fn: Callable[[RestClient], Awaitable[T]], timeout: float) -> T:
    """``fn(client)`` on a fresh REST client, cancelled after ``timeout`` seconds (``TimeoutError``)."""
    import asyncio

    async def main() -> T:
        asyncio.get_running_loop().set_default_executor(_daemon_executor())
        from kpy.rest import RestClient

        async with RestClient(config) as client:
            return await fn(client)

    async def bounded() -> T:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


async def _list_names(client: RestClient, path: str) -> list[str]:
    response = await client.request("GET", path, accept=_METADATA_ACCEPT)
    doc = response.json()
    items = doc.get("items") if isinstance(doc, dict) else None
    names = [
        str((item.get("metadata") or {}).get("name") or "") for item in items or [] if isinstance(item, dict)
    ]
    return sorted(n for n in names if n)
