"""The Normal events a real cluster records for pod ``web``."""

from __future__ import annotations

from datetime import datetime

from kpy.testing.seed.common import (
    NODE_NAME,
    Obj,
    micro_ts,
    object_meta,
    stable_uid,
    ts,
)


def event_object(
    seq: int, reason: str, message: str, at: datetime, *, kubelet: bool, field_path: str = ""
) -> Obj:
    name = f"web.{0x181A2B3C4D5E0000 + seq:x}"
    involved: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "web",
        "namespace": "default",
        "uid": stable_uid("Pod", "default", "web"),
    }
    if field_path:
        involved["fieldPath"] = field_path
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": object_meta("Event", name, "default", at),
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": "Normal",
    }
    if kubelet:
        event.update(
            {
                "source": {"component": "kubelet", "host": NODE_NAME},
                "firstTimestamp": ts(at),
                "lastTimestamp": ts(at),
                "count": 1,
                "eventTime": None,
                "reportingComponent": "kubelet",
                "reportingInstance": NODE_NAME,
            }
        )
    else:
        # the scheduler records through events.k8s.io: eventTime set, no first/last timestamps or count
        event.update(
            {
                "source": {},
                "firstTimestamp": None,
                "lastTimestamp": None,
                "eventTime": micro_ts(at),
                "action": "Binding",
                "reportingComponent": "default-scheduler",
                "reportingInstance": f"default-scheduler-{NODE_NAME}",
            }
        )
    return event
