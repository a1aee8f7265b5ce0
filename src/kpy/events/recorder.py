"""Making events the way client-go's recorder does (tools/record ``makeEvent``) and handing them on.

An event is named ``<object name>.<hex nanotime>`` in the object's namespace (``default`` for cluster-scoped
objects), with ``count`` 1 and first/last timestamps of now, the source (component, host) and the reporting
controller/instance copied from it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpy.errors import UsageError
from kpy.events.clock import NanoTime
from kpy.gocompat.clock import Clock, RealClock
from kpy.gocompat.metav1 import format_time

if TYPE_CHECKING:  # the broadcaster (asyncio) loads with the recorder's users, not with ObjectRef's
    from kpy.events.broadcaster import Broadcaster

Event = dict[str, Any]

EVENT_TYPES = ("Normal", "Warning")


@dataclass(frozen=True)
class ObjectRef:
    """A core/v1 ObjectReference: what an event is about (``involvedObject``) or relates to (``related``)."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = "v1"
    uid: str = ""
    resource_version: str = ""
    field_path: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "uid": self.uid,
            "apiVersion": self.api_version,
            "resourceVersion": self.resource_version,
            "fieldPath": self.field_path,
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class EventSource:
    component: str = "kpy"
    host: str = ""

    @classmethod
    def default(cls, component: str = "kpy") -> EventSource:
        return cls(component=component, host=socket.gethostname())


def validate_type(event_type: str) -> str:
    """client-go accepts exactly Normal and Warning."""
    if event_type not in EVENT_TYPES:
        raise UsageError(f"invalid event type {event_type!r}: must be Normal or Warning")
    return event_type


def make_event(
    ref: ObjectRef,
    event_type: str,
    reason: str,
    message: str,
    *,
    source: EventSource,
    now: float,
    nanotime: int,
    action: str = "",
    related: ObjectRef | None = None,
    annotations: dict[str, str] | None = None,
) -> Event:
    stamp = format_time(now)
    metadata: dict[str, Any] = {"name": f"{ref.name}.{nanotime:x}", "namespace": ref.namespace or "default"}
    if annotations:
        metadata["annotations"] = dict(annotations)
    event: Event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": metadata,
        "involvedObject": ref.to_dict(),
        "reason": reason,
        "message": message,
        "source": {k: v for k, v in (("component", source.component), ("host", source.host)) if v},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": event_type,
        "eventTime": None,
        "reportingComponent": source.component,
        "reportingInstance": source.host,
    }
    if action:
        event["action"] = action
    if related is not None:
        event["related"] = related.to_dict()
    return event


class Recorder:
    """Builds events and broadcasts them (never waits in ``drop`` mode; ``record`` waits in ``block`` mode)."""

    def __init__(
        self,
        broadcaster: Broadcaster[Event],
        source: EventSource | None = None,
        *,
        clock: Clock | None = None,
        nanotime: Callable[[], int] | None = None,
    ) -> None:
        self.broadcaster = broadcaster
        self.source = source or EventSource.default()
        self.clock: Clock = clock or RealClock()
        self.nanotime = nanotime or NanoTime(self.clock)

    def make(
        self,
        ref: ObjectRef,
        event_type: str,
        reason: str,
        message: str,
        *,
        action: str = "",
        related: ObjectRef | None = None,
    ) -> Event:
        validate_type(event_type)
        if not reason:
            raise UsageError("an event needs a reason")
        return make_event(
            ref,
            event_type,
            reason,
            message,
            source=self.source,
            now=self.clock.now(),
            nanotime=self.nanotime(),
            action=action,
            related=related,
        )

    async def record(
        self,
        ref: ObjectRef,
        event_type: str,
        reason: str,
        message: str,
        *,
        action: str = "",
        related: ObjectRef | None = None,
    ) -> Event:
        event = self.make(ref, event_type, reason, message, action=action, related=related)
        await self.broadcaster.action(event)
        return event
