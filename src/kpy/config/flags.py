"""The connection flags every command shares (cli-runtime ``ConfigFlags``), as one frozen value.

Import-cheap on purpose: the CLI imports this at start-up. ``None`` (or an empty tuple) means "not set", so
the loader can tell an explicit flag from a default and only override what the user asked for.
"""

from __future__ import annotations

from kpy.dataclasslite import dataclass, fields, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class ConnectionFlags:
    """Global connection flags; every field ``None``/empty means "not set"."""

    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    server: str | None = None
    token: str | None = None
    insecure_skip_tls_verify: bool | None = None
    tls_server_name: str | None = None
    certificate_authority: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    request_timeout: str | None = None  # kubectl form: "0", "30", "5s", "1m"
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
    as_uid: str | None = None
    qps: float | None = None  # default 5
    burst: int | None = None  # default 10
    cache_dir: str | None = None  # default ~/.kube/cache
    verbosity: int = 0


def flags_from_values(values: dict[str, Any]) -> ConnectionFlags:
    """Parsed flag values by field name (None = unset) as ConnectionFlags."""
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name == "as_groups":
            value = tuple(value)
            if not value:
                continue
        kwargs[name] = value
    return ConnectionFlags(**kwargs)


def merge_flags(base: ConnectionFlags, override: ConnectionFlags) -> ConnectionFlags:
    """``override``'s set values win over ``base``'s; unset (None/empty/0) values fall through (kubectl: a flag
    after the command wins over the same flag before it)."""
    default = ConnectionFlags()
    changes = {
        f.name: getattr(override, f.name)
        for f in fields(ConnectionFlags)
        if getattr(override, f.name) != getattr(default, f.name)
    }
    return replace(base, **changes)


#: the field names, which are also the parameter names of the global flags on the command line
FIELD_NAMES = tuple(f.name for f in fields(ConnectionFlags))
