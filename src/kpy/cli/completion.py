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

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kpy.cli.completion_cache import (
    BACKGROUND_ENV,
    BACKGROUND_TIMEOUT,
    DISCOVERY_TTL,
    LIVE_TIMEOUT,
    MAX_STALE,
    NAMES_TTL,
    STALE_TIMEOUT,
    TIMEOUT_ENV,
    WORKLOAD_TYPES,
    CompletionCache,
    Entry,
    _list_names,
    in_background,
    refresh_in_background,
    run_live,
)
from kpy.cli.completion_context import (
    Target,
    _quiet,
    complete_clusters,
    complete_contexts,
    complete_users,
    flags_from_context,
    kubeconfig_names,
    target_for,
)
from kpy.rest.discovery_cache import CACHE_FILE, DEFAULT_TTL_SECONDS, cache_subdir, read_document

if TYPE_CHECKING:
    from kpy.rest import RestClient

__all__ = [
    "BACKGROUND_ENV",
    "BACKGROUND_TIMEOUT",
    "CACHE_FILE",
    "DEFAULT_TTL_SECONDS",
    "DISCOVERY_TTL",
    "EVENTS_OUTPUT_FORMATS",
    "GET_OUTPUT_FORMATS",
    "LIVE_TIMEOUT",
    "MAX_STALE",
    "NAMES_TTL",
    "STALE_TIMEOUT",
    "TIMEOUT_ENV",
    "WORKLOAD_TYPES",
    "CompletionCache",
    "Entry",
    "Target",
    "cache_subdir",
    "complete_clusters",
    "complete_contexts",
    "complete_event_object",
    "complete_events_output",
    "complete_get_args",
    "complete_get_output",
    "complete_json_output",
    "complete_leases",
    "complete_namespaces",
    "complete_port_forward_args",
    "complete_users",
    "complete_version_output",
    "flags_from_context",
    "fresh_object_names",
    "get_args",
    "in_background",
    "kubeconfig_names",
    "leases",
    "namespaces",
    "object_names",
    "read_document",
    "refresh_in_background",
    "resource_types",
    "run_live",
    "target_for",
    "typed_names",
    "workload_names",
]


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
    canonical = _canonical(target, type_arg)

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


def fresh_object_names(target: Target, type_arg: str) -> list[str] | None:
    """``object_names`` when the cache answers it without a request (an entry younger than its TTL), else None;
    reads files only (``kpy.cli.quick_complete`` answers a warm ``<TAB>`` with it, without click)."""
    type_arg = type_arg.strip().lower()
    if not type_arg:
        return None
    entry = target.cache.read(("names", target.namespace, _canonical(target, type_arg)))
    if entry is None or entry.age > target.cache.ttl:
        return None
    return entry.names


def _canonical(target: Target, type_arg: str) -> str:
    """The cache key of a spelling of a type: its alias, else what the discovery cache resolves it to."""
    return target.cache.aliases().get(type_arg) or _resolve_locally(target, type_arg) or type_arg


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
