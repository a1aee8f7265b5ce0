"""Server-side defaults on create that show up in kubectl output (each kind's upstream ``SetDefaults_*``
and admission: pod spec defaults, service cluster IPs and node ports, workload strategies ...).

Pure code: no I/O. Metadata (uid, resourceVersion, creationTimestamp, generation) is the store's job.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from kpy.testing.resources import ResourceType


def _get(obj: dict[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _setdefault(d: dict[str, Any], key: str, value: Any) -> Any:
    if d.get(key) is None:
        d[key] = value
    return d[key]


def _image_tag_is_latest(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return True
    return last.rsplit(":", 1)[1] == "latest"


def _default_container(c: dict[str, Any]) -> None:
    _setdefault(c, "terminationMessagePath", "/dev/termination-log")
    _setdefault(c, "terminationMessagePolicy", "File")
    image = str(c.get("image") or "")
    _setdefault(c, "imagePullPolicy", "Always" if _image_tag_is_latest(image) else "IfNotPresent")
    _setdefault(c, "resources", {})
    for port in c.get("ports") or ():
        if isinstance(port, dict):
            _setdefault(port, "protocol", "TCP")


def default_pod_spec(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec / SetDefaults_Container for the fields kubectl shows (pods and templates)."""
    _setdefault(spec, "restartPolicy", "Always")
    _setdefault(spec, "dnsPolicy", "ClusterFirst")
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    _setdefault(spec, "schedulerName", "default-scheduler")
    _setdefault(spec, "securityContext", {})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                _default_container(c)


def _pod_admission(spec: dict[str, Any]) -> None:
    """What admission plugins add to pods (not templates): ServiceAccount, Priority, DefaultTolerationSeconds."""
    _setdefault(spec, "enableServiceLinks", True)
    _setdefault(spec, "preemptionPolicy", "PreemptLowerPriority")
    _setdefault(spec, "priority", 0)
    if spec.get("serviceAccountName") is None and spec.get("serviceAccount") is None:
        spec["serviceAccountName"] = "default"
    if spec.get("serviceAccountName") is None:
        spec["serviceAccountName"] = spec["serviceAccount"]
    spec["serviceAccount"] = spec["serviceAccountName"]
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(isinstance(t, dict) and t.get("key") == key for t in tolerations):
                tolerations.append(
                    {"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}
                )


def _pod_defaults(obj: dict[str, Any], now: datetime) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pod_spec(spec)
        _pod_admission(spec)
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        _setdefault(status, "phase", "Pending")
        _setdefault(status, "qosClass", "BestEffort")


def allocate_cluster_ip(namespace: str, name: str) -> str:
    """A stable address in 10.96.0.0/12 for a service (10.96.0.1 is the ``kubernetes`` service's)."""
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    n = int.from_bytes(digest[:4], "big") % ((1 << 20) - 3) + 2  # skip .0 (network) and .1 (kubernetes)
    base = (10 << 24) | (96 << 16)
    value = base + n
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


def allocate_node_port(namespace: str, name: str, port: int) -> int:
    digest = hashlib.sha256(f"{namespace}/{name}/{port}".encode()).digest()
    return 30000 + int.from_bytes(digest[:4], "big") % (32767 - 30000 + 1)


def _service_defaults(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    stype = _setdefault(spec, "type", "ClusterIP")
    _setdefault(spec, "sessionAffinity", "None")
    ns = str(_get(obj, "metadata", "namespace") or "default")
    name = str(_get(obj, "metadata", "name") or "")
    if stype != "ExternalName":
        if spec.get("clusterIP") in (None, ""):
            spec["clusterIP"] = allocate_cluster_ip(ns, name)
        if spec["clusterIP"] == "None":
            _setdefault(spec, "clusterIPs", ["None"])
        else:
            _setdefault(spec, "clusterIPs", [spec["clusterIP"]])
        _setdefault(spec, "ipFamilies", ["IPv4"])
        _setdefault(spec, "ipFamilyPolicy", "SingleStack")
        _setdefault(spec, "internalTrafficPolicy", "Cluster")
    if stype in ("NodePort", "LoadBalancer"):
        _setdefault(spec, "externalTrafficPolicy", "Cluster")
    if stype == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
    for port in spec.get("ports") or ():
        if not isinstance(port, dict):
            continue
        _setdefault(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
        if stype in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = allocate_node_port(ns, name, int(port.get("port") or 0))
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        _setdefault(status, "loadBalancer", {})


def _deployment_defaults(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "replicas", 1)
    strategy = _setdefault(spec, "strategy", {})
    if isinstance(strategy, dict):
        stype = _setdefault(strategy, "type", "RollingUpdate")
        if stype == "RollingUpdate":
            ru = _setdefault(strategy, "rollingUpdate", {})
            if isinstance(ru, dict):
                _setdefault(ru, "maxUnavailable", "25%")
                _setdefault(ru, "maxSurge", "25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    _pod_template_defaults(spec)


def _pod_template_defaults(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        tspec = template.setdefault("spec", {})
        if isinstance(tspec, dict):
            default_pod_spec(tspec)
        template.setdefault("metadata", {}).setdefault("creationTimestamp", None)


def _replicaset_defaults(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "replicas", 1)
        _pod_template_defaults(spec)


def _statefulset_defaults(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "replicas", 1)
        _setdefault(spec, "podManagementPolicy", "OrderedReady")
        _setdefault(spec, "revisionHistoryLimit", 10)
        strategy = _setdefault(spec, "updateStrategy", {"type": "RollingUpdate"})
        if isinstance(strategy, dict) and strategy.get("type", "RollingUpdate") == "RollingUpdate":
            _setdefault(strategy, "type", "RollingUpdate")
            _setdefault(strategy, "rollingUpdate", {"partition": 0})
        _setdefault(
            spec, "persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"}
        )
        _pod_template_defaults(spec)


def _namespace_defaults(obj: dict[str, Any]) -> None:
    name = str(_get(obj, "metadata", "name") or "")
    labels = obj.setdefault("metadata", {}).setdefault("labels", {})
    if isinstance(labels, dict) and name:
        labels["kubernetes.io/metadata.name"] = name
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "finalizers", ["kubernetes"])
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        _setdefault(status, "phase", "Active")


def _secret_defaults(obj: dict[str, Any]) -> None:
    _setdefault(obj, "type", "Opaque")


def prepare_create(rt: ResourceType, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Apply the defaults the real apiserver adds on create. Mutates ``obj`` in place and returns it.

    Sets ``apiVersion``/``kind`` when absent. Metadata bookkeeping is left to the store.
    """
    obj.setdefault("apiVersion", rt.api_version)
    obj.setdefault("kind", rt.kind)
    if rt.crd_name:
        return obj
    key = (rt.group, rt.resource)
    if key == ("", "pods"):
        _pod_defaults(obj, now)
    elif key == ("", "services"):
        _service_defaults(obj)
    elif key == ("apps", "deployments"):
        _deployment_defaults(obj)
    elif key == ("apps", "replicasets"):
        _replicaset_defaults(obj)
    elif key == ("apps", "statefulsets"):
        _statefulset_defaults(obj)
    elif key == ("", "namespaces"):
        _namespace_defaults(obj)
    elif key == ("", "secrets"):
        _secret_defaults(obj)
    elif key == ("", "limitranges"):
        _limitrange_defaults(obj)
    return obj


def _limitrange_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_LimitRangeItem: a Container item's default limit falls back to max, its default request
    to the default limit, then to min."""
    for item in (obj.get("spec") or {}).get("limits") or []:
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for key, value in (item.get("max") or {}).items():
            default.setdefault(key, value)
        for source in (default, item.get("min") or {}):
            for key, value in source.items():
                request.setdefault(key, value)
        for name, values in (("default", default), ("defaultRequest", request)):
            if values:
                item[name] = values
