"""The cluster's own objects: namespaces, the node ``kpy-node``, the ``kube-root-ca.crt`` config map."""

from __future__ import annotations

from datetime import datetime, timedelta

from kpy.testing.seed.common import (
    NODE_IP,
    NODE_NAME,
    Obj,
    object_meta,
    stable_uid,
    ts,
)


def namespace_object(name: str, created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": object_meta(
            "Namespace", name, None, created, labels={"kubernetes.io/metadata.name": name}
        ),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


#: the PriorityClasses kube-apiserver creates at start (its scheduling bootstrap), with their descriptions
SYSTEM_PRIORITY_CLASSES = (
    (
        "system-node-critical",
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2000000000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if "
        "necessary.",
    ),
)


def priority_class_objects(created: datetime) -> list[Obj]:
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": object_meta("PriorityClass", name, None, created),
            "value": value,
            "description": description,
        }
        for name, value, description in SYSTEM_PRIORITY_CLASSES
    ]


def node_object(created: datetime, heartbeat: datetime) -> Obj:
    def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": ctype,
            "status": status,
            "lastHeartbeatTime": ts(heartbeat),
            "lastTransitionTime": ts(created + timedelta(seconds=20)),
            "reason": reason,
            "message": message,
        }

    resources = {"cpu": "2", "ephemeral-storage": "41152812Ki", "memory": "8137836Ki", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": object_meta(
            "Node",
            NODE_NAME,
            None,
            created,
            labels={
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
            },
            annotations={"node.alpha.kubernetes.io/ttl": "0"},
        ),
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": NODE_NAME},
            ],
            "allocatable": dict(resources),
            "capacity": dict(resources),
            "conditions": [
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond(
                    "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"
                ),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": stable_uid("Boot", "", NODE_NAME),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.1.0-kpy",
                "kubeProxyVersion": "v1.32.0",
                "kubeletVersion": "v1.32.0",
                "machineID": stable_uid("Machine", "", NODE_NAME).replace("-", ""),
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": stable_uid("System", "", NODE_NAME),
            },
        },
    }


def configmap_object(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(
            "ConfigMap",
            "kube-root-ca.crt",
            "default",
            created,
            annotations={"kubernetes.io/description": "Contains a CA bundle for verifying the apiserver."},
        ),
        "data": {
            "ca.crt": "-----BEGIN CERTIFICATE-----\nkpy-sandbox-placeholder\n-----END CERTIFICATE-----\n"
        },
    }
