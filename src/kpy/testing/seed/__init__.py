"""The objects a ``kpy sandbox`` (``Emulator(seed=True)``) starts with: a small, well-formed cluster.

Namespaces default/kube-system/kube-public/kube-node-lease, a Ready node ``kpy-node``, a deployment ``web``
with its replica set and Running pod ``web`` (nginx, container port 80 named ``http``), a Running pod
``worker``, service ``web`` (port 80 -> targetPort ``http``) with its Endpoints and EndpointSlice, the
``kube-root-ca.crt`` config map, and the Normal events a real cluster records for pod ``web``.

Everything kubectl reads to print these (conditions, containerStatuses with ``state.running.startedAt``,
owner references, podIPs) is filled in. UIDs are stable (derived from kind/namespace/name) so owner
references hold; timestamps are relative to the ``now`` passed in. resourceVersions are the store's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kpy.testing.seed.cluster import configmap_object, namespace_object, node_object, priority_class_objects
from kpy.testing.seed.common import (
    NAMESPACES,
    WEB_POD_IP,
    WEB_REPLICASET,
    WEB_TEMPLATE_HASH,
    WORKER_POD_IP,
    Obj,
    owner_ref,
    stable_uid,
)
from kpy.testing.seed.events import event_object
from kpy.testing.seed.network import endpoints_object, endpointslice_object, service_object
from kpy.testing.seed.workloads import (
    deployment_object,
    replicaset_object,
    running_pod,
    web_container,
    worker_container,
)

__all__ = ["seed_objects", "stable_uid"]


def seed_objects(now: datetime) -> list[Obj]:
    """The sandbox's objects, in an order a store can create them in (owners before dependents)."""
    cluster_born = now - timedelta(minutes=30)
    app_born = now - timedelta(minutes=10)
    web_pod_born = app_born + timedelta(seconds=1)
    worker_born = app_born + timedelta(seconds=2)
    container_path = "spec.containers{web}"
    objects: list[Obj] = [namespace_object(ns, cluster_born) for ns in NAMESPACES]
    objects.append(node_object(cluster_born, now - timedelta(seconds=20)))
    objects.extend(priority_class_objects(cluster_born))
    objects.append(configmap_object(cluster_born + timedelta(seconds=15)))
    objects.append(deployment_object(app_born))
    objects.append(replicaset_object(app_born))
    objects.append(
        running_pod(
            "web",
            web_container(),
            "docker.io/library/nginx:latest",
            WEB_POD_IP,
            web_pod_born,
            {"app": "web", "pod-template-hash": WEB_TEMPLATE_HASH},
            owner=owner_ref("apps/v1", "ReplicaSet", WEB_REPLICASET, "default"),
        )
    )
    objects.append(
        running_pod(
            "worker",
            worker_container(),
            "docker.io/library/busybox:latest",
            WORKER_POD_IP,
            worker_born,
            {"app": "worker"},
        )
    )
    objects.append(service_object(app_born))
    objects.append(endpoints_object(app_born + timedelta(seconds=5)))
    objects.append(endpointslice_object(app_born + timedelta(seconds=5)))
    objects.extend(
        [
            event_object(
                1, "Scheduled", "Successfully assigned default/web to kpy-node", web_pod_born, kubelet=False
            ),
            event_object(
                2,
                "Pulled",
                'Container image "nginx" already present on machine',
                web_pod_born + timedelta(seconds=2),
                kubelet=True,
                field_path=container_path,
            ),
            event_object(
                3,
                "Created",
                "Created container: web",
                web_pod_born + timedelta(seconds=2),
                kubelet=True,
                field_path=container_path,
            ),
            event_object(
                4,
                "Started",
                "Started container web",
                web_pod_born + timedelta(seconds=3),
                kubelet=True,
                field_path=container_path,
            ),
        ]
    )
    return objects
