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

import uuid
from datetime import datetime, timedelta
from typing import Any

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


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _meta(kind: str, name: str, namespace: str | None, created: datetime, **extra: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["uid"] = stable_uid(kind, namespace or "", name)
    meta["creationTimestamp"] = _ts(created)
    meta.update(extra)
    return meta


def _owner(api_version: str, kind: str, name: str, namespace: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": stable_uid(kind, namespace, name),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _namespace(name: str, created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta("Namespace", name, None, created, labels={"kubernetes.io/metadata.name": name}),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def _node(created: datetime, heartbeat: datetime) -> Obj:
    def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": ctype,
            "status": status,
            "lastHeartbeatTime": _ts(heartbeat),
            "lastTransitionTime": _ts(created + timedelta(seconds=20)),
            "reason": reason,
            "message": message,
        }

    resources = {"cpu": "2", "ephemeral-storage": "41152812Ki", "memory": "8137836Ki", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(
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


def _web_container() -> Obj:
    return {
        "name": "web",
        "image": "nginx",
        "imagePullPolicy": "Always",
        "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _worker_container() -> Obj:
    return {
        "name": "worker",
        "image": "busybox",
        "command": ["sh", "-c", "while true; do sleep 3600; done"],
        "imagePullPolicy": "Always",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _template_spec(container: Obj) -> Obj:
    return {
        "containers": [container],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }


def _pod_spec(container: Obj) -> Obj:
    spec = _template_spec(container)
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


def _running_pod(
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
        "metadata": _meta("Pod", name, "default", created, **extra),
        "spec": _pod_spec(container),
        "status": {
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": _ts(at)}
                for t, at in conditions
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://" + uuid.uuid5(_UID_NAMESPACE, "ctr/" + name).hex * 2,
                    "image": image_ref,
                    "imageID": image_ref.split(":")[0]
                    + "@sha256:"
                    + uuid.uuid5(_UID_NAMESPACE, image_ref).hex * 2,
                    "lastState": {},
                    "name": container["name"],
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": _ts(started)}},
                }
            ],
            "hostIP": NODE_IP,
            "hostIPs": [{"ip": NODE_IP}],
            "phase": "Running",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "qosClass": "BestEffort",
            "startTime": _ts(created),
        },
    }


def _deployment(created: datetime) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(
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
                "spec": _template_spec(_web_container()),
            },
        },
        "status": {
            "availableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastUpdateTime": _ts(created + timedelta(seconds=5)),
                    "lastTransitionTime": _ts(created + timedelta(seconds=5)),
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "lastUpdateTime": _ts(created + timedelta(seconds=5)),
                    "lastTransitionTime": _ts(created),
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


def _replicaset(created: datetime) -> Obj:
    labels = {"app": "web", "pod-template-hash": WEB_TEMPLATE_HASH}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _meta(
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
            ownerReferences=[_owner("apps/v1", "Deployment", "web", "default")],
            generation=1,
        ),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": _template_spec(_web_container()),
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


def _service(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("Service", "web", "default", created, labels={"app": "web"}),
        "spec": {
            "clusterIP": WEB_SERVICE_IP,
            "clusterIPs": [WEB_SERVICE_IP],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
            "selector": {"app": "web"},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }


def _pod_ref(pod_name: str) -> Obj:
    return {
        "kind": "Pod",
        "name": pod_name,
        "namespace": "default",
        "uid": stable_uid("Pod", "default", pod_name),
    }


def _endpoints(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": _meta(
            "Endpoints",
            "web",
            "default",
            created,
            labels={"app": "web"},
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": _ts(created)},
        ),
        "subsets": [
            {
                "addresses": [{"ip": WEB_POD_IP, "nodeName": NODE_NAME, "targetRef": _pod_ref("web")}],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            }
        ],
    }


def _endpointslice(created: datetime) -> Obj:
    name = "web-" + stable_uid("EndpointSlice", "default", "web")[:5].replace("-", "x")
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": _meta(
            "EndpointSlice",
            name,
            "default",
            created,
            generateName="web-",
            generation=1,
            labels={
                "app": "web",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": "web",
            },
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": _ts(created)},
            ownerReferences=[_owner("v1", "Service", "web", "default")],
        ),
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": [WEB_POD_IP],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": NODE_NAME,
                "targetRef": _pod_ref("web"),
            }
        ],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
    }


def _configmap(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(
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


def _event(seq: int, reason: str, message: str, at: datetime, *, kubelet: bool, field_path: str = "") -> Obj:
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
        "metadata": _meta("Event", name, "default", at),
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": "Normal",
    }
    if kubelet:
        event.update(
            {
                "source": {"component": "kubelet", "host": NODE_NAME},
                "firstTimestamp": _ts(at),
                "lastTimestamp": _ts(at),
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
                "eventTime": _micro(at),
                "action": "Binding",
                "reportingComponent": "default-scheduler",
                "reportingInstance": f"default-scheduler-{NODE_NAME}",
            }
        )
    return event


def seed_objects(now: datetime) -> list[Obj]:
    """The sandbox's objects, in an order a store can create them in (owners before dependents)."""
    cluster_born = now - timedelta(minutes=30)
    app_born = now - timedelta(minutes=10)
    web_pod_born = app_born + timedelta(seconds=1)
    worker_born = app_born + timedelta(seconds=2)
    container_path = "spec.containers{web}"
    objects: list[Obj] = [_namespace(ns, cluster_born) for ns in NAMESPACES]
    objects.append(_node(cluster_born, now - timedelta(seconds=20)))
    objects.append(_configmap(cluster_born + timedelta(seconds=15)))
    objects.append(_deployment(app_born))
    objects.append(_replicaset(app_born))
    objects.append(
        _running_pod(
            "web",
            _web_container(),
            "docker.io/library/nginx:latest",
            WEB_POD_IP,
            web_pod_born,
            {"app": "web", "pod-template-hash": WEB_TEMPLATE_HASH},
            owner=_owner("apps/v1", "ReplicaSet", WEB_REPLICASET, "default"),
        )
    )
    objects.append(
        _running_pod(
            "worker",
            _worker_container(),
            "docker.io/library/busybox:latest",
            WORKER_POD_IP,
            worker_born,
            {"app": "worker"},
        )
    )
    objects.append(_service(app_born))
    objects.append(_endpoints(app_born + timedelta(seconds=5)))
    objects.append(_endpointslice(app_born + timedelta(seconds=5)))
    objects.extend(
        [
            _event(
                1, "Scheduled", "Successfully assigned default/web to kpy-node", web_pod_born, kubelet=False
            ),
            _event(
                2,
                "Pulled",
                'Container image "nginx" already present on machine',
                web_pod_born + timedelta(seconds=2),
                kubelet=True,
                field_path=container_path,
            ),
            _event(
                3,
                "Created",
                "Created container: web",
                web_pod_born + timedelta(seconds=2),
                kubelet=True,
                field_path=container_path,
            ),
            _event(
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
