"""What a request and its answer are, independent of the transport: the ``Response`` value, query parameters,
the URL as kpy sends and logs it, kpy's User-Agent, the retry policy and body logging.

Import-cheap: the blocking one-shot transport (``kpy.rest.http1``) uses it without aiohttp or yarl. ``url_string``
writes URLs the way yarl does for everything kpy builds (API paths, selectors, continue tokens), so ``-v=6`` logs
read the same whichever transport sent the request (a test compares the two).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

from kpy import __version__
from kpy.dataclasslite import dataclass
from kpy.flowcontrol import Backoff
from kpy.rest.logs import enabled, log, v

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object  # the run-time value of the aliases below (mypy reads typing's)

Params = Mapping[str, Any] | Iterable[tuple[str, Any]] | None

MAX_RETRIES = 10  # client-go rest.Request maxRetries
_GO_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def default_user_agent() -> str:
    """``kpy/<version> (<os>/<arch>)``, the shape of kubectl's ``kubectl/v1.32.0 (linux/amd64)``."""
    osname = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    if osname.startswith("linux"):
        osname = "linux"
    try:  # os.uname is platform.machine() without importing platform (and its regexes)
        machine = os.uname().machine.lower()
    except AttributeError:  # Windows
        import platform

        machine = platform.machine().lower()
    return f"kpy/{__version__} ({osname}/{_GO_ARCH.get(machine, machine or 'unknown')})"


def log_body(prefix: str, body: bytes) -> None:
    """client-go's ``logBody`` at V(8): truncated by -v level, Secret values and tokens masked."""
    from kpy.rest.bodylog import format_body

    verbosity = 10 if enabled(10) else 9 if enabled(9) else 8
    log.log(v(8), "%s", format_body(prefix, body, verbosity))


def default_retry_backoff() -> Backoff:
    """Jittered growth under the server's Retry-After: 0.25 s doubling to 4 s, +10% jitter."""
    return Backoff(duration=0.25, factor=2.0, jitter=0.1, steps=MAX_RETRIES, cap=4.0)


@dataclass(frozen=True)
class Response:
    """A complete answer (status < 400; errors are raised instead)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str = ""

    def json(self, *, lean: bool = False) -> Any:
        """The decoded body; a body that is not JSON raises ``ResponseError`` in Go's words, as kubectl says it
        (``invalid character '<' looking for beginning of value``). ``lean``: with ``managedFields`` lists
        empty (``gojson.loads_lean``), for printers that never show them."""
        if not self.body:
            return None
        from kpy.errors import ResponseError
        from kpy.gocompat import gojson

        try:
            return gojson.loads_lean(self.body) if lean else gojson.loads(self.body)
        except gojson.GoJSONError as exc:
            raise ResponseError(str(exc)) from None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def query_pairs(params: Params) -> list[tuple[str, str]]:
    """Query parameters as ordered string pairs (lists repeat the key; booleans are ``true``/``false``)."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            pairs.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return pairs


# yarl's quoting (RFC 3986): unreserved characters and these sub-delimiters stay as they are
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset(b"@:!$'()*,+&=;/")
_QUERY_SAFE = _UNRESERVED | frozenset(b"?/:@!$'(),*")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def _quote(text: str, safe: frozenset[int], *, qs: bool, requote: bool) -> str:
    if text.isascii() and safe.issuperset(text.encode()):  # most paths and values (continue tokens too)
        return text
    raw = text.encode("utf-8", "ignore")
    out: list[str] = []
    i = 0
    while i < len(raw):
        byte = raw[i]
        if requote and byte == 0x25 and i + 2 < len(raw) and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            value = int(raw[i + 1 : i + 3], 16)
            out.append(chr(value) if value in _UNRESERVED else "%" + raw[i + 1 : i + 3].decode().upper())
            i += 3
            continue
        if byte in safe:
            out.append(chr(byte))
        elif qs and byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
        i += 1
    return "".join(out)


def url_string(server: str, path: str, pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """``(url, target)``: the full URL (for logs) and the request target (path and query) of ``path`` on
    ``server``, quoted as yarl quotes them."""
    if not path.startswith("/"):
        path = "/" + path
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = "" if parts.port is None or parts.port == default else f":{parts.port}"
    base = f"{parts.scheme}://{host}{port}"
    prefix = parts.path.rstrip("/")  # a server URL with a path prefix (https://host/k8s/clusters/x)
    target = _quote(prefix + path, _PATH_SAFE, qs=False, requote=True)
    if pairs:
        target += "?" + "&".join(
            f"{_quote(k, _QUERY_SAFE, qs=True, requote=False)}={_quote(v, _QUERY_SAFE, qs=True, requote=False)}"
            for k, v in pairs
        )
    return base + target, target
