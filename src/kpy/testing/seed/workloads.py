"""Deployment ``web`` with its replica set and Running pod, and the Running pod ``worker``."""

from __future__ import annotations

from datetime import datetime, timedelta

from kpy.testing.seed.common import (
    NODE_IP,
    NODE_NAME,
    WEB_REPLICASET,
    WEB_TEMPLATE_HASH,
    Obj,
    object_meta,
    owner_ref,
    stable_hex,
    ts,
)


def web_container() -> Obj:
    return {
        "name": "web",
        "image": "nginx",
        "imagePullPolicy": "Always",
        "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def worker_container() -> Obj:
    return {
        "name": "worker",
        "image": "busybox",
        "command": ["sh", "-c", "while true; do sleep 3600; done"],
        "imagePullPolicy": "Always",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def template_spec(container: Obj) -> Obj:
    return {
        "containers": [container],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }


def pod_spec(container: Obj) -> Obj:
    spec = template_spec(container)
    spec.update(
        {
            "enableServiceLinks": True,
            "nodeName": NODE_NAME,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "serviceAccount": "default",
            "serviceAccountName": "default",
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
            ],
        }
    )
    return spec


def running_pod(
    name: str,
    container: Obj,
    image_ref: str,
    pod_ip: str,
    created: datetime,
    labels: dict[str, str],
    owner: Obj | None = None,
) -> Obj:
    started = created + timedelta(seconds=4)
    extra: Obj = {"labels": labels}
    if owner is not None:
        extra["ownerReferences"] = [owner]
    conditions = [
        ("PodReadyToStartContainers", started),
        ("Initialized", created),
        ("Ready", started),
        ("ContainersReady", started),
        ("PodScheduled", created),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": object_meta("Pod", name, "default", created, **extra),
        "spec": pod_spec(container),
        "status": {
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts(at)}
                for t, at in conditions
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://" + stable_hex("ctr/" + name),
                    "image": image_ref,
                    "imageID": image_ref.split(":")[0] + "@sha256:" + stable_hex(image_ref),
                    "lastState": {},
                    "name": container["name"],
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": ts(started)}},
                }
            ],
            "hostIP": NODE_IP,
            "hostIPs": [{"ip": NODE_IP}],
            "phase": "Running",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "qosClass": "BestEffort",
            "startTime": ts(created),
        },
    }


def deployment_object(created: datetime) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(
            "Deployment",
            "web",
            "default",
            created,
            labels={"app": "web"},
            annotations={"deployment.kubernetes.io/revision": "1"},
            generation=1,
        ),
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                "spec": template_spec(web_container()),
            },
        },
        "status": {
            "availableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastUpdateTime": ts(created + timedelta(seconds=5)),
                    "lastTransitionTime": ts(created + timedelta(seconds=5)),
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "lastUpdateTime": ts(created + timedelta(seconds=5)),
                    "lastTransitionTime": ts(created),
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{WEB_REPLICASET}" has successfully progressed.',
                },
            ],
            "observedGeneration": 1,
            "readyReplicas": 1,
            "replicas": 1,
            "updatedReplicas": 1,
        },
    }


def replicaset_object(created: datetime) -> Obj:
    labels = {"app": "web", "pod-template-hash": WEB_TEMPLATE_HASH}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": object_meta(
            "ReplicaSet",
            WEB_REPLICASET,
            "default",
            created,
            labels=dict(labels),
            annotations={
                "deployment.kubernetes.io/desired-replicas": "1",
                "deployment.kubernetes.io/max-replicas": "2",
                "deployment.kubernetes.io/revision": "1",
            },
            ownerReferences=[owner_ref("apps/v1", "Deployment", "web", "default")],
            generation=1,
        ),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": template_spec(web_container()),
            },
        },
        "status": {
            "availableReplicas": 1,
            "fullyLabeledReplicas": 1,
            "observedGeneration": 1,
            "readyReplicas": 1,
            "replicas": 1,
        },
    }
