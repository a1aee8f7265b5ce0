"""The event pipeline's connection to the API server: writing events and resolving ``KIND/NAME``.

``ApiEventWriter`` writes core/v1 events (POST, and a strategic-merge PATCH of count/lastTimestamp/message,
as client-go's ``EventSinkImpl`` does) or, with ``api="events.k8s.io/v1"``, the same events in that API's shape
(regarding/note/eventTime; a repeat becomes a PATCH of ``series {count, lastObservedTime}``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kpy.errors import Forbidden, NotFound, UsageError
from kpy.events.resources import CORE_EVENTS, EVENTS_V1
from kpy.flowcontrol.sleep import sleep as adaptive_sleep
from kpy.gocompat.metav1 import format_micro_time, parse_optional_time

if TYPE_CHECKING:
    import asyncio

    from kpy.events.recorder import ObjectRef
    from kpy.flowcontrol.backoff import Backoff
    from kpy.rest import RestClient
    from kpy.rest.discovery import Discovery

Event = dict[str, Any]
T = TypeVar("T")

#: attempts per lookup (the first try and the retries), as many as the sink gives a write (client-go: 12)
LOOKUP_TRIES = 12

APIS = ("v1", "events.k8s.io/v1")


def _micro(value: Any) -> str | None:
    ts = parse_optional_time(value)
    return None if ts is None else format_micro_time(ts)


def to_events_v1(event: Event) -> Event:
    """A core/v1 event as an events.k8s.io/v1 object to create, as client-go's tools/events writes one.

    The deprecated* fields (source, first/last timestamp, count) stay unset: the API server refuses a create
    that sets any of them (``source: Invalid value: "": needs to be unset``). The source lives on as
    reportingController/reportingInstance."""
    meta = {
        k: v for k, v in (event.get("metadata") or {}).items() if k in ("name", "namespace", "annotations")
    }
    count = int(event.get("count") or 1)
    out: Event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": meta,
        "eventTime": _micro(event.get("firstTimestamp")),
        "reportingController": event.get("reportingComponent")
        or (event.get("source") or {}).get("component", ""),
        "reportingInstance": event.get("reportingInstance") or (event.get("source") or {}).get("host", ""),
        "action": event.get("action") or event.get("reason", ""),
        "reason": event.get("reason", ""),
        "regarding": event.get("involvedObject") or {},
        "note": event.get("message", ""),
        "type": event.get("type", ""),
    }
    if event.get("related"):
        out["related"] = event["related"]
    if count > 1:
        out["series"] = {"count": count, "lastObservedTime": _micro(event.get("lastTimestamp"))}
    return out


class ApiEventWriter:
    """``kpy.events.sink.EventWriter`` over a ``RestClient``."""

    def __init__(self, client: RestClient, api: str = "v1") -> None:
        if api not in APIS:
            raise UsageError(f"unknown events API {api!r}: use v1 or events.k8s.io/v1")
        self.client = client
        self.api = api
        self.info = CORE_EVENTS if api == "v1" else EVENTS_V1

    async def create(self, namespace: str, event: Event) -> Event:
        body = event if self.api == "v1" else to_events_v1(event)
        response = await self.client.request("POST", self.info.path(namespace), json=body)
        decoded = response.json()
        return decoded if isinstance(decoded, dict) else event

    async def patch(self, namespace: str, name: str, patch: dict[str, Any], event: Event) -> Event:
        if self.api == "v1":
            body, content_type = patch, "application/strategic-merge-patch+json"
        else:
            count = int(patch.get("count") or event.get("count") or 2)
            body = {"series": {"count": count, "lastObservedTime": _micro(patch.get("lastTimestamp"))}}
            content_type = "application/merge-patch+json"
        response = await self.client.request(
            "PATCH", self.info.path(namespace, name), json=body, content_type=content_type
        )
        decoded = response.json()
        return decoded if isinstance(decoded, dict) else event


def split_kind_name(arg: str, flag: str = "--for") -> tuple[str, str]:
    kind, sep, name = arg.partition("/")
    if not sep or not kind or not name or "/" in name:
        raise UsageError(f"{flag} must be in resource/name form")
    return kind, name


class ObjectResolver:
    """``KIND/NAME`` → ObjectReference: kind and apiVersion from discovery, uid from a GET when it exists.

    Each (KIND/NAME, namespace) is resolved once: callers asking while it is being resolved share that lookup.
    A lookup that fails the way a write may fail (transport errors, 5xx, 429) is retried up to ``max_tries``
    times with the REST layer's backoff (0.25 s doubling to 4 s, jittered), on top of the REST layer's own
    retries of answers that carry a Retry-After; what still fails is raised for the caller to count."""

    def __init__(
        self,
        client: RestClient,
        discovery: Discovery,
        namespace: str,
        *,
        max_tries: int = LOOKUP_TRIES,
        backoff: Callable[[], Backoff] | None = None,
        sleep: Callable[[float], Awaitable[None]] = adaptive_sleep,
    ) -> None:
        from kpy.rest.client import default_retry_backoff

        self.client = client
        self.discovery = discovery
        self.namespace = namespace
        self.max_tries = max(1, max_tries)
        self.backoff = backoff or default_retry_backoff
        self.sleep = sleep
        #: retries made so far (a lookup that needed none adds nothing)
        self.retries = 0
        self._cache: dict[tuple[str, str], asyncio.Future[ObjectRef]] = {}

    async def resolve(self, arg: str, namespace: str | None = None, flag: str = "--for") -> ObjectRef:
        kind, name = split_kind_name(arg, flag)
        ns = namespace or self.namespace
        key = (arg, ns)
        lookup = self._cache.get(key)
        if lookup is None:
            import asyncio  # not at import time: ``kpy events tail`` imports this module for CORE_EVENTS

            lookup = self._cache[key] = asyncio.ensure_future(self._lookup(kind, name, ns))
        import asyncio

        try:
            return await asyncio.shield(lookup)
        except UsageError:
            raise  # a kind the server does not have stays unknown
        except Exception:
            if self._cache.get(key) is lookup:
                del self._cache[key]  # a failed lookup (connection, 5xx) is tried again next time
            raise

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        from kpy.events.sink import is_retryable

        backoff = self.backoff()
        tries = 0
        while True:
            try:
                return await call()
            except Exception as exc:
                tries += 1
                if isinstance(exc, UsageError) or not is_retryable(exc) or tries >= self.max_tries:
                    raise
                self.retries += 1
                await self.sleep(backoff.step())

    async def _lookup(self, kind: str, name: str, ns: str) -> ObjectRef:
        info = await self._retrying(lambda: self.discovery.resolve(kind))
        obj_ns = ns if info.namespaced else ""
        uid = ""
        try:
            obj = await self._retrying(lambda: self.client.get_json(info.path(obj_ns, name)))
            uid = str((obj.get("metadata") or {}).get("uid") or "")
        except (NotFound, Forbidden):
            pass  # an event may be about something that is gone (or that we may not read)
        from kpy.events.recorder import ObjectRef  # not at import time: ``kpy events tail`` needs none of it

        return ObjectRef(kind=info.kind, name=name, namespace=obj_ns, api_version=info.group_version, uid=uid)
