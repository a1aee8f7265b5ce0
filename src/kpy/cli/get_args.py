"""``kpy get``'s building blocks: the argument forms, the requests they make, and how answers and errors are
shaped (Lists, Tables for non-table answers, cli-runtime's list errors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from kpy.config.flags import ConnectionFlags
from kpy.dataclasslite import dataclass
from kpy.errors import ApiError, KpyError, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.rest import RestClient
    from kpy.rest.discovery import ResourceInfo

TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
_MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Request:
    """One TYPE with the names asked for (no names = list)."""

    type_arg: str
    names: tuple[str, ...]


@dataclass
class Target:
    """A resolved request: the type, the names (none = list) and the namespace to look in."""

    info: ResourceInfo
    names: tuple[str, ...]
    namespace: str | None


_SEPARATE_TYPE = (
    "there is no need to specify a resource type as a separate argument when passing arguments in "
    "resource/name form (e.g. '{prog} get resource/<resource_name>' instead of '{prog} get resource "
    "resource/<resource_name>'"
)


def parse_args(args: Sequence[str], prog: str = "kpy") -> list[Request]:
    """kubectl's argument forms: ``TYPE [NAME...]``, ``TYPE1,TYPE2``, ``TYPE/NAME [TYPE/NAME...]``."""
    if not args:
        raise UsageError(f"Required resource not specified.\nSee '{prog} get -h' for help and examples")
    if "/" in args[0]:
        grouped: dict[str, list[str]] = {}
        for arg in args:
            kind, sep, name = arg.partition("/")
            if not sep or not kind or not name:
                raise UsageError(_SEPARATE_TYPE.format(prog=prog))
            grouped.setdefault(kind, []).append(name)
        return [Request(kind, tuple(names)) for kind, names in grouped.items()]
    types = [t for t in args[0].split(",") if t]
    names = tuple(args[1:])
    if any("/" in n for n in names):
        raise UsageError(_SEPARATE_TYPE.format(prog=prog))
    return [Request(t, names) for t in types]


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def format_errors(errors: list[KpyError]) -> str:
    """kubectl's ``CheckErr``: one error as its line; several as ``MultipleErrors`` (no ``error: `` prefixes)."""
    if len(errors) == 1:
        line = errors[0].format()
        return line if line.endswith("\n") else line + "\n"
    return "".join((e.format() if isinstance(e, ApiError) else str(e)).rstrip("\n") + "\n" for e in errors)


OpenClient = Callable[[ConnectionFlags], AbstractAsyncContextManager["RestClient"]]


def as_table(obj: dict[str, Any]) -> dict[str, Any]:
    """A server's answer as a Table: Tables as they are; any other object (a subresource the server has no
    table for) as kubectl's default NAME and AGE columns."""
    if obj.get("kind") == "Table":
        return obj
    import datetime

    from kpy.gocompat.metav1 import parse_optional_time
    from kpy.printers.duration import human_duration

    meta = obj.get("metadata") or {}
    age = "<unknown>"
    created = meta.get("creationTimestamp")
    when = parse_optional_time(created)
    if when is not None:
        age = human_duration((datetime.datetime.now(datetime.UTC) - when).total_seconds())
    return {
        "kind": "Table",
        "columnDefinitions": [{"name": "Name", "priority": 0}, {"name": "Age", "priority": 0}],
        "rows": [{"cells": [meta.get("name", ""), age], "object": obj}],
    }


def group_resource(info: ResourceInfo) -> str:
    """``GroupVersionResource.String()``: ``/v1, Resource=pods``, ``apps/v1, Resource=deployments``."""
    return f"{info.group}/{info.version}, Resource={info.resource}"


_KNOWN_REASONS = frozenset(
    (
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "Gone",
        "Invalid",
        "ServerTimeout",
        "StoreReadError",
        "Timeout",
        "TooManyRequests",
        "BadRequest",
        "MethodNotAllowed",
        "NotAcceptable",
        "RequestEntityTooLarge",
        "UnsupportedMediaType",
        "InternalError",
        "Expired",
        "ServiceUnavailable",
    )
)


def enhance_list_error(exc: ApiError, info: ResourceInfo, selector: str, field_selector: str) -> ApiError:
    """cli-runtime's ``EnhanceListError``: a 400/404 of a list says what was listed."""
    known = exc.reason and exc.reason in _KNOWN_REASONS
    if exc.reason not in ("BadRequest", "NotFound") and (known or exc.code not in (400, 404)):
        return exc  # apierrors.IsBadRequest/IsNotFound: the reason, or the code when the reason is unknown
    subject = group_resource(info)
    if not selector and not field_selector:
        message = f'Unable to list "{subject}": {exc}'
    else:
        message = (
            f'Unable to find "{subject}" that match label selector "{selector}", field selector '
            f'"{field_selector}": {exc}'
        )
    return type(exc)(
        message, code=exc.code, reason=exc.reason, status=exc.status, retry_after=exc.retry_after
    )
