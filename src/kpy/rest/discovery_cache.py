"""The discovery disk cache's place and reader, import-cheap (json and pathlib only).

``kpy.rest.discovery.Discovery`` writes ``<cache_dir>/discovery/<host_port>/kpy-discovery.json``; shell
completion reads the same file without loading the REST layer. Both go through ``read_document``, so what
counts as fresh, foreign or broken is decided in one place.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

CACHE_FILE = "kpy-discovery.json"
DEFAULT_TTL_SECONDS = 6 * 3600.0  # kubectl's discovery cache TTL
_ILLEGAL = re.compile(r"[^(\w/.)]")


def cache_subdir(server: str) -> str:
    """kubectl's per-server directory name: scheme dropped, odd characters → ``_`` (``127.0.0.1_6443``)."""
    host = server.replace("https://", "", 1).replace("http://", "", 1)
    return _ILLEGAL.sub("_", host).strip("/")


def cache_file(cache_dir: Path | str, server: str) -> Path:
    return Path(cache_dir).expanduser() / "discovery" / cache_subdir(server) / CACHE_FILE


def read_document(
    path: Path, server: str, max_age: float | None, *, now: Callable[[], float] = time.time
) -> dict[str, Any] | None:
    """The cached document for ``server`` when it is no older than ``max_age`` seconds (None: any age; a file
    dated more than a minute in the future is not trusted); None when missing, stale, foreign or unreadable."""
    try:
        if max_age is not None:
            age = now() - path.stat().st_mtime
            if age > max_age or age < -60:
                return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("server") != server:
        return None
    return data
