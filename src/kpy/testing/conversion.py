"""How stored objects look through each served version: ``to_api``/``from_api`` (core/v1 events are stored and
events.k8s.io/v1 is converted on the way in and out), the storage each type shares, and which types count
``metadata.generation``."""

from __future__ import annotations

import copy

from kpy.testing import eventsconv
from kpy.testing.resources import ResourceType
from kpy.testing.store import GroupResource, Obj


def tracks_generation(rt: ResourceType) -> bool:
    """Types whose metadata.generation counts spec changes (apps but ControllerRevision, batch, CRDs and custom
    resources)."""
    if (rt.group, rt.resource) == ("apps", "controllerrevisions"):
        return False
    tracked = ("apps", "batch", "apiextensions.k8s.io", "networking.k8s.io", "policy", "scheduling.k8s.io")
    return rt.group in tracked or bool(rt.crd_name)


def storage_gr(rt: ResourceType) -> GroupResource:
    if (rt.group, rt.resource) == ("events.k8s.io", "events"):
        return ("", "events")
    if rt.crd_name:
        return (rt.group, rt.resource)  # every served version of a CRD shares one storage
    return (rt.group, rt.resource)


def is_events_v1(rt: ResourceType) -> bool:
    return (rt.group, rt.resource) == ("events.k8s.io", "events")


def to_api(rt: ResourceType, stored: Obj) -> Obj:
    """The stored object as ``rt``'s API version shows it."""
    if is_events_v1(rt):
        return eventsconv.to_events_v1(stored)
    obj = copy.deepcopy(stored)
    if (rt.group, rt.resource) == ("", "events"):
        return eventsconv.core_view(obj)
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    return obj


def from_api(rt: ResourceType, obj: Obj) -> Obj:
    if is_events_v1(rt):
        return eventsconv.from_events_v1(obj)
    if (rt.group, rt.resource) == ("", "events"):
        return eventsconv.normalize_core(copy.deepcopy(obj))
    return copy.deepcopy(obj)


def body_without(obj: Obj, *keys: str) -> Obj:
    return {k: v for k, v in obj.items() if k not in keys}
