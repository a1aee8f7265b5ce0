"""Shell completion's view of the command line so far (connection flags, the cluster and its cache) and the
kubeconfig-name completers (contexts, clusters, users: never the network)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpy.cli.completion_cache import (
    BACKGROUND_TIMEOUT,
    TIMEOUT_ENV,
    CompletionCache,
    _background_done,
    _safe,
    in_background,
)
from kpy.rest.discovery_cache import CACHE_FILE, cache_subdir

if TYPE_CHECKING:
    from kpy.config.client_config import ClientConfig
    from kpy.config.flags import ConnectionFlags


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
