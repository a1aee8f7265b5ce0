"""The two events APIs as discovery would describe them: cheap to import (``kpy events tail`` needs only these)."""

from __future__ import annotations

from kpy.rest.discovery_docs import ResourceInfo

CORE_EVENTS = ResourceInfo(group="", version="v1", resource="events", kind="Event", namespaced=True)
EVENTS_V1 = ResourceInfo(
    group="events.k8s.io", version="v1", resource="events", kind="Event", namespaced=True
)
