"""Dynamic shell completion: contexts, clusters and users from the kubeconfig; namespaces, resource types and
object names from the server, cached on disk so that a repeated ``<TAB>`` answers without a request.

The shell scripts in ``completions/`` call ``kpy`` with ``_KPY_COMPLETE`` set; click parses the line
(``kpy.cli.shells``) and calls the completers below with the context parsed so far (flags given earlier on the line —
``--kubeconfig``, ``--context``, ``-n`` — are honoured, root-level or command-level).

Rules:

* contexts/clusters/users never touch the network;
* namespaces and object names are cached per server and context under
  ``<cache dir>/completion/<host_port>/<context>/`` (``--cache-dir``, else ``$KUBECACHEDIR``, else
  ``~/.kube/cache``, the discovery cache's directory) and trusted for ``NAMES_TTL`` seconds;
* resource types come from the discovery cache (``<cache dir>/discovery/<host_port>/kpy-discovery.json``);
* a live request has a hard deadline (``LIVE_TIMEOUT``); when an older answer is on disk the deadline is
  shorter (``STALE_TIMEOUT``) and the old answer is served when the server is slow or failing;
  ``$KPY_COMPLETION_TIMEOUT`` (seconds) sets both;
* a request cut off by its deadline (a slow exec credential plugin such as ``aws eks get-token``, a slow
  server) is finished by a detached copy of the same completion with a generous deadline
  (``BACKGROUND_TIMEOUT``), which fills the cache, so the next ``<TAB>`` is answered; one such copy per
  completion line at a time;
* any error means no completions and nothing on stdout/stderr but the completion protocol.

Only the standard library is imported at module level (and nothing of ``kpy.cli``):
``kpy.cli.common`` imports this module for every command, and the cached path must stay cheap (the REST layer, aiohttp, is imported only on a miss).
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kpy.rest.discovery_cache import CACHE_FILE, DEFAULT_TTL_SECONDS, cache_subdir, read_document

if TYPE_CHECKING:
    from kpy.config.client_config import ClientConfig
    from kpy.config.flags import ConnectionFlags
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


# -- what the command line says so far --------------------------------------------------------------------
def flags_from_context(ctx: Any) -> ConnectionFlags:
    """The connection flags given on the line so far: root-level ones, overridden by each command's own."""
    import contextlib

    from kpy.config.flags import FIELD_NAMES, ConnectionFlags, flags_from_values, merge_flags

    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent
    flags = ConnectionFlags()
    for level in reversed(chain):
        params = getattr(level, "params", None) or {}
        values = {name: params.get(name) for name in FIELD_NAMES if params.get(name) is not None}
        with contextlib.suppress(TypeError, ValueError):
            flags = merge_flags(flags, flags_from_values(values))
    return flags


class Target:
    """The cluster a completion talks to and where its answers are cached."""

    def __init__(self, config: ClientConfig, cache: CompletionCache, discovery_file: Path) -> None:
        self.config = config
        self.cache = cache
        self.discovery_file = discovery_file

    @property
    def namespace(self) -> str:
        return self.config.namespace


def target_for(flags: ConnectionFlags, *, now: Callable[[], float] = time.time) -> Target:
    import contextlib

    from kpy.config import load_client_config

    config = load_client_config(flags, is_terminal=lambda: False)
    subdir = cache_subdir(config.server)
    base = Path(config.cache_dir).expanduser()
    directory = base / "completion" / subdir / _safe(config.context_name or "_")
    cache = CompletionCache(directory, now=now)
    with contextlib.suppress(ValueError):  # KPY_COMPLETION_TIMEOUT: for slow exec plugins, and for tests
        cache.live_timeout = cache.stale_timeout = float(os.environ.get(TIMEOUT_ENV) or "x")
    if in_background():  # the detached refresh: time to finish what the foreground had to cut off
        import atexit

        cache.live_timeout = cache.stale_timeout = BACKGROUND_TIMEOUT
        atexit.register(_background_done)
    return Target(config, cache, base / "discovery" / subdir / CACHE_FILE)


def _quiet(fn: Callable[[], list[str]]) -> list[str]:
    """Any error → no completions; nothing may reach the terminal but the completion protocol."""
    import contextlib
    import io

    sink = io.StringIO()
    try:
        with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
            return fn()
    except Exception:
        return []


# -- kubeconfig names (no network) ------------------------------------------------------------------------
def kubeconfig_names(flags: ConnectionFlags, kind: str) -> list[str]:
    """Names of the merged kubeconfig's ``contexts``, ``clusters`` or ``users``."""
    from kpy.config.kubeconfig import load_kubeconfig

    config = load_kubeconfig(flags.kubeconfig, os.environ).config
    entries = {"contexts": config.contexts, "clusters": config.clusters, "users": config.users}[kind]
    return sorted(entries)


def complete_contexts(ctx: Any, incomplete: str) -> list[str]:
    return _quiet(lambda: kubeconfig_names(flags_from_context(ctx), "contexts"))


def complete_clusters(ctx: Any, incomplete: str) -> list[str]:
    return _quiet(lambda: kubeconfig_names(flags_from_context(ctx), "clusters"))


def complete_users(ctx: Any, incomplete: str) -> list[str]:
    return _quiet(lambda: kubeconfig_names(flags_from_context(ctx), "users"))


# -- server names (cached) --------------------------------------------------------------------------------
def namespaces(target: Target) -> list[str]:
    def fetch(timeout: float) -> list[str]:
        return run_live(target.config, lambda c: _list_names(c, "/api/v1/namespaces"), timeout)

    return target.cache.lookup(("namespaces",), fetch)


def resource_types(target: Target) -> list[str]:
    """Plural names and short names of every listable type, from the discovery cache (refreshed from the
    server when it is missing or older than its TTL; an old one is used when the server does not answer)."""

    doc = _read_discovery(target, DISCOVERY_TTL)
    if doc is None:
        stale = _read_discovery(target, None)
        timeout = target.cache.stale_timeout if stale is not None else target.cache.live_timeout
        try:
            run_live(target.config, _refresh_discovery, timeout)
        except TimeoutError:
            refresh_in_background(target.cache.directory)
        except Exception:
            pass
        doc = _read_discovery(target, DISCOVERY_TTL) or stale
    return _type_names(doc or {})


async def _refresh_discovery(client: RestClient) -> None:
    from kpy.rest.discovery import Discovery

    await Discovery(client, client.config.cache_dir).table(refresh=True)


def _read_discovery(target: Target, max_age: float | None) -> dict[str, Any] | None:
    return read_document(target.discovery_file, target.config.server, max_age)


def _type_names(doc: dict[str, Any]) -> list[str]:
    out: dict[str, None] = {}
    shorts: dict[str, None] = {}
    for raw in doc.get("resources") or []:
        if not isinstance(raw, dict):
            continue
        name = str(raw.get("resource") or "")
        verbs = raw.get("verbs") or []
        if not name or "/" in name or (verbs and "list" not in verbs and "get" not in verbs):
            continue
        out.setdefault(name, None)
        for short in raw.get("shortNames") or []:
            shorts.setdefault(str(short), None)
    return [*out, *(s for s in shorts if s not in out)]


def object_names(target: Target, type_arg: str) -> list[str]:
    """Names of the objects of ``type_arg`` (``po``, ``pod``, ``deployments.apps``) in the namespace.

    Every spelling of a type shares one cache entry: the first lookup resolves the spelling through
    discovery and remembers it (``aliases.json``), so later lookups need no discovery at all.
    """
    type_arg = type_arg.strip().lower()
    if not type_arg:
        return []
    cache = target.cache
    canonical = cache.aliases().get(type_arg) or _resolve_locally(target, type_arg) or type_arg

    async def fetch_names(client: RestClient) -> list[str]:
        from kpy.rest.discovery import Discovery

        info = await Discovery(client, client.config.cache_dir).resolve(type_arg)
        names = await _list_names(client, info.path(target.namespace))
        resolved = f"{info.resource}.{info.group}" if info.group else info.resource
        if resolved != canonical:
            cache.write(("names", target.namespace, resolved), names)
            cache.add_alias(type_arg, resolved)
        return names

    def fetch(timeout: float) -> list[str]:
        return run_live(target.config, fetch_names, timeout)

    return cache.lookup(("names", target.namespace, canonical), fetch)


def _resolve_locally(target: Target, type_arg: str) -> str | None:
    """``resource[.group]`` for a plural, singular or short name found in the discovery cache, or None."""
    doc = _read_discovery(target, DISCOVERY_TTL)
    if doc is None:
        return None
    name, dot, group = type_arg.partition(".")
    for raw in doc.get("resources") or []:
        if not isinstance(raw, dict) or (dot and raw.get("group") != group):
            continue
        spellings = [raw.get("resource"), raw.get("singular"), *(raw.get("shortNames") or [])]
        if name in (str(s or "").lower() for s in spellings if s):
            found_group = str(raw.get("group") or "")
            resource = str(raw.get("resource") or "")
            return f"{resource}.{found_group}" if found_group else resource
    return None


def leases(target: Target) -> list[str]:
    path = f"/apis/coordination.k8s.io/v1/namespaces/{target.namespace}/leases"

    def fetch(timeout: float) -> list[str]:
        return run_live(target.config, lambda c: _list_names(c, path), timeout)

    return target.cache.lookup(("names", target.namespace, "leases.coordination.k8s.io"), fetch)


def typed_names(target: Target, incomplete: str) -> list[str]:
    """``TYPE/<TAB>`` → ``TYPE/NAME`` for every object of TYPE."""
    type_arg, _, _ = incomplete.partition("/")
    return [f"{type_arg}/{name}" for name in object_names(target, type_arg)]


def workload_names(target: Target, incomplete: str) -> list[str]:
    """``pod/NAME``, ``svc/NAME`` and ``deploy/NAME``; ``TYPE/NAME`` for any type once a ``/`` is typed."""
    if "/" in incomplete:
        return typed_names(target, incomplete)
    out = [f"{kind}/{name}" for kind in WORKLOAD_TYPES for name in object_names(target, kind)]
    if incomplete:  # the type defaults to pod: ``web<TAB>`` completes bare pod names too
        out.extend(object_names(target, "pod"))
    return _unique(out)


def get_args(target: Target, args: Sequence[str], incomplete: str) -> list[str]:
    """``kpy get <TAB>`` types; ``kpy get TYPE <TAB>`` and ``TYPE/<TAB>`` object names."""
    if "/" in incomplete:
        return typed_names(target, incomplete)
    if not args:
        return resource_types(target)
    if any("/" in a for a in args):
        return []
    typed = set(args[1:])
    return [n for n in object_names(target, args[0]) if n not in typed]


def _params(ctx: Any) -> dict[str, Any]:
    return dict(getattr(ctx, "params", None) or {})


def _with_target(ctx: Any, fn: Callable[[Target], list[str]]) -> list[str]:
    return _quiet(lambda: fn(target_for(flags_from_context(ctx))))


def complete_namespaces(ctx: Any, incomplete: str) -> list[str]:
    return _with_target(ctx, namespaces)


def complete_get_args(ctx: Any, incomplete: str) -> list[str]:
    params = _params(ctx)
    if params.get("filename"):
        return []
    args = [str(a) for a in params.get("args") or []]
    return _with_target(ctx, lambda t: get_args(t, args, incomplete))


def complete_port_forward_args(ctx: Any, incomplete: str) -> list[str]:
    if _params(ctx).get("args"):  # only TYPE/NAME is completed; ports are not
        return []
    return _with_target(ctx, lambda t: workload_names(t, incomplete))


def complete_event_object(ctx: Any, incomplete: str) -> list[str]:
    return _with_target(ctx, lambda t: workload_names(t, incomplete))


def complete_leases(ctx: Any, incomplete: str) -> list[str]:
    return _with_target(ctx, leases)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


# -- output formats (no network) ----------------------------------------------------------------------------
#: ``kpy get -o <TAB>``: kubectl's list and order, less the Go-template formats kpy does not print
GET_OUTPUT_FORMATS = (
    "json",
    "yaml",
    "name",
    "go-template",
    "go-template-file",
    "template",
    "templatefile",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "custom-columns",
    "custom-columns-file",
    "wide",
)
EVENTS_OUTPUT_FORMATS = ("json", "yaml", "name", "jsonpath", "jsonpath-as-json", "jsonpath-file")


def _formats(formats: Iterable[str], incomplete: str) -> list[str]:
    return [f for f in formats if f.startswith(incomplete)]


def complete_get_output(ctx: Any, incomplete: str) -> list[str]:
    return _formats(GET_OUTPUT_FORMATS, incomplete)


def complete_events_output(ctx: Any, incomplete: str) -> list[str]:
    return _formats(EVENTS_OUTPUT_FORMATS, incomplete)


def complete_json_output(ctx: Any, incomplete: str) -> list[str]:
    """``port-forward`` and ``elect status``: ``-o json`` is their one structured format."""
    return _formats(("json",), incomplete)


def complete_version_output(ctx: Any, incomplete: str) -> list[str]:
    return _formats(("json", "yaml"), incomplete)
