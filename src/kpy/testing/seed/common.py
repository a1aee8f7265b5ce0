"""What the seed objects share: the sandbox's names and addresses, stable UIDs, metadata and owner references."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kpy.gocompat.metav1 import format_micro_time, format_time

Obj = dict[str, Any]

NODE_NAME = "kpy-node"
NODE_IP = "172.18.0.2"
WEB_POD_IP = "10.244.0.5"
WORKER_POD_IP = "10.244.0.6"
WEB_SERVICE_IP = "10.96.142.17"
#: pod-template-hash of deployment ``web`` (from the alphabet upstream's SafeEncodeString uses).
WEB_TEMPLATE_HASH = "7c5ddbdf54"
WEB_REPLICASET = f"web-{WEB_TEMPLATE_HASH}"
NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

_UID_NAMESPACE = uuid.UUID("6f1c2b1e-7a0d-4c7b-9a55-6b7079656d75")


def stable_uid(kind: str, namespace: str, name: str) -> str:
    """A UID that is the same on every run for the same object (owner references rely on it)."""
    return str(uuid.uuid5(_UID_NAMESPACE, f"{kind}/{namespace}/{name}"))


def stable_hex(key: str) -> str:
    """64 hex digits that are the same on every run for ``key`` (container IDs, image digests)."""
    return uuid.uuid5(_UID_NAMESPACE, key).hex * 2


#: metav1.Time / MicroTime text of a seed timestamp
ts = format_time
micro_ts = format_micro_time


def object_meta(kind: str, name: str, namespace: str | None, created: datetime, **extra: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["uid"] = stable_uid(kind, namespace or "", name)
    meta["creationTimestamp"] = ts(created)
    meta.update(extra)
    return meta


def owner_ref(api_version: str, kind: str, name: str, namespace: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": stable_uid(kind, namespace, name),
        "controller": True,
        "blockOwnerDeletion": True,
    }
