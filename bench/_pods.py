"""Realistic pods for the benchmarks (~3.7 KB of compact JSON each), shaped like a Deployment's pods on a real cluster.

Labels, annotations, owner references, two containers with env, probes, resources and volume mounts, and a
status with conditions and container statuses. Deterministic: the same ``count`` gives the same objects.
"""

from __future__ import annotations

from typing import Any

PHASES = ("Running", "Running", "Running", "Pending", "Succeeded", "Failed")


def realistic_pod(i: int, namespace: str = "default") -> dict[str, Any]:
    app = f"app-{i % 50}"
    rs = f"{app}-{7 + i % 13:x}5d9c{i % 7}f"
    name = f"{rs}-{i:05d}"
    ts = f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z"
    phase = PHASES[i % len(PHASES)]
    ready = "True" if phase == "Running" else "False"
    image = f"registry.example.com/team/{app}:v1.{i % 9}.{i % 4}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"{i:08x}-1c2d-4e5f-8a9b-{i * 2654435761 % 16**12:012x}",
            "resourceVersion": str(100000 + i),
            "creationTimestamp": ts,
            "labels": {
                "app": app,
                "app.kubernetes.io/name": app,
                "app.kubernetes.io/part-of": "shop",
                "pod-template-hash": rs.rsplit("-", 1)[1],
                "tier": "backend" if i % 3 else "frontend",
            },
            "annotations": {
                "kubectl.kubernetes.io/restartedAt": ts,
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9090",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs,
                    "uid": f"{i % 50:08x}-aaaa-4bbb-8ccc-0000{i % 50:08x}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["--port=8080", f"--shard={i % 16}"],
                    "ports": [
                        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
                        {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
                    ],
                    "env": [
                        {"name": "APP_NAME", "value": app},
                        {"name": "LOG_FORMAT", "value": "json"},
                        {"name": "FEATURE_FLAG", "value": "on" if i % 2 else "off"},
                        {
                            "name": "POD_NAME",
                            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
                        },
                    ],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "livenessProbe": {
                        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                        "initialDelaySeconds": 10,
                        "periodSeconds": 10,
                        "timeoutSeconds": 1,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
                        "periodSeconds": 5,
                        "timeoutSeconds": 1,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                },
                {
                    "name": "sidecar",
                    "image": "registry.example.com/proxy:2.4.1",
                    "imagePullPolicy": "IfNotPresent",
                    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                },
            ],
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}}],
            "nodeName": f"node-{i % 20}",
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "securityContext": {},
        },
        "status": {
            "phase": phase,
            "hostIP": f"192.168.{i % 20}.10",
            "podIP": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "podIPs": [{"ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}],
            "qosClass": "Burstable",
            "startTime": ts,
            "conditions": [
                {
                    "type": t,
                    "status": ready if t in ("Ready", "ContainersReady") else "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": ts,
                }
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": c,
                    "ready": ready == "True",
                    "restartCount": i % 5 if c == "main" else 0,
                    "started": ready == "True",
                    "image": image if c == "main" else "registry.example.com/proxy:2.4.1",
                    "imageID": f"registry.example.com/team/{c}@sha256:{i * 40503 % 16**16:016x}{'ab' * 24}",
                    "lastState": {},
                    "containerID": f"containerd://{i:016x}{'cd' * 24}",
                    "state": {"running": {"startedAt": ts}},
                }
                for c in ("main", "sidecar")
            ],
        },
    }


def realistic_pods(count: int, namespace: str = "default") -> list[dict[str, Any]]:
    return [realistic_pod(i, namespace) for i in range(count)]


def pod_list(count: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PodList",
        "metadata": {"resourceVersion": "99"},
        "items": realistic_pods(count),
    }
