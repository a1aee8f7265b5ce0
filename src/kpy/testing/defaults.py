"""Server-side defaults on create that show up in kubectl output (each kind's upstream ``SetDefaults_*``
and admission: pod spec defaults, service cluster IPs and node ports, workload strategies ...).

Pure code: no I/O. Metadata (uid, resourceVersion, creationTimestamp, generation) is the store's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kpy.gocompat.metav1 import format_time
from kpy.testing.quantity import canonical_map
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
    resources = _setdefault(c, "resources", {})
    if isinstance(resources, dict):
        canonical_map(resources.get("requests"))
        canonical_map(resources.get("limits"))
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


def _deployment_spec_defaults(spec: dict[str, Any]) -> None:
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
        template.setdefault("metadata", {})  # 1.34+: no "creationTimestamp: null" (metav1.Time is omitzero)


def _replicaset_spec_defaults(spec: dict[str, Any]) -> None:
    _setdefault(spec, "replicas", 1)
    _pod_template_defaults(spec)


def _statefulset_spec_defaults(spec: dict[str, Any]) -> None:
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


def _daemonset_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_DaemonSet and the create strategy: RollingUpdate (1 unavailable, no surge), 10 revisions, the
    template generation annotation, and the status counters that are never omitted (non-pointer int32s)."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _daemonset_spec_defaults(spec)
    annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(annotations, dict):
        annotations[DAEMONSET_TEMPLATE_GENERATION] = "1"
    obj["status"] = dict.fromkeys(DAEMONSET_STATUS_COUNTERS, 0)


def _daemonset_spec_defaults(spec: dict[str, Any]) -> None:
    strategy = _setdefault(spec, "updateStrategy", {})
    if isinstance(strategy, dict) and _setdefault(strategy, "type", "RollingUpdate") == "RollingUpdate":
        ru = _setdefault(strategy, "rollingUpdate", {})
        if isinstance(ru, dict):
            _setdefault(ru, "maxUnavailable", 1)
            _setdefault(ru, "maxSurge", 0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _pod_template_defaults(spec)


#: where apps/v1 keeps a DaemonSet's internal ``spec.templateGeneration``: 1 at create, one more at every update
#: that changes ``spec.template``; what a client writes there is not taken (the update strategy keeps the stored
#: value, and the conversion writes it back)
DAEMONSET_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"

#: DaemonSetStatus fields without omitempty: every DaemonSet carries them
DAEMONSET_STATUS_COUNTERS = (
    "currentNumberScheduled",
    "desiredNumberScheduled",
    "numberMisscheduled",
    "numberReady",
)
#: the labels a Job's generated selector puts on its pod template (legacy names first, as kube-apiserver does)
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")
JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def _job_spec_defaults(spec: dict[str, Any]) -> None:
    """SetDefaults_Job on a JobSpec (feature gates as 1.36 has them on). A null field is no field, as Go decodes it."""
    for key in [k for k, v in spec.items() if v is None]:
        del spec[key]
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _setdefault(spec, "parallelism", 1)
    _setdefault(spec, "backoffLimit", 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6)
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    _setdefault(
        spec,
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed",
    )
    _setdefault(spec, "manualSelector", False)
    _pod_template_defaults(spec)


def _job_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_Job (a Job without labels takes its template's: the same map in Go, see
    ``job_prepare_for_create``)."""
    meta = obj.setdefault("metadata", {})
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict) or not isinstance(meta, dict):
        return
    _job_spec_defaults(spec)
    labels = _template_labels(spec.get("template"))
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    obj["status"] = {}


def _template_labels(template: Any) -> dict[str, Any] | None:
    labels = (template.get("metadata") or {}).get("labels") if isinstance(template, dict) else None
    return labels if isinstance(labels, dict) else None


def job_prepare_for_create(obj: dict[str, Any], had_labels: bool) -> None:
    """The create strategy, after the managed fields were recorded (so the fields it sets belong to nobody, as
    on kube-apiserver): unless ``manualSelector``, the pod template gets the job-name and controller-uid labels
    and the selector matches the uid. A Job that came without labels ends up with its template's final labels
    (in Go the defaulted Job shares its template's label map, or defaulting copies it again when the stored
    object is read)."""
    meta = obj.get("metadata")
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(meta, dict) or not isinstance(spec, dict) or not isinstance(template, dict):
        return
    if spec.get("manualSelector") is not True:
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        if isinstance(labels, dict):
            for key in JOB_NAME_LABELS:
                labels.setdefault(key, str(meta.get("name") or ""))
            for key in JOB_UID_LABELS:
                labels.setdefault(key, str(meta.get("uid") or ""))
        selector = _setdefault(spec, "selector", {})
        if isinstance(selector, dict):
            match = _setdefault(selector, "matchLabels", {})
            if isinstance(match, dict):
                match.setdefault(JOB_UID_LABELS[1], str(meta.get("uid") or ""))
    labels = _template_labels(template)
    if labels and not had_labels:
        meta["labels"] = dict(labels)


def _cronjob_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_CronJob; the job template gets the pod template's defaults only (SetDefaults_Job is for Jobs:
    a Job made from the template is defaulted then)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    _setdefault(spec, "concurrencyPolicy", "Allow")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "successfulJobsHistoryLimit", 3)
    _setdefault(spec, "failedJobsHistoryLimit", 1)
    job_template = _setdefault(spec, "jobTemplate", {})
    if isinstance(job_template, dict):
        job_template.setdefault("metadata", {})
        job_spec = job_template.setdefault("spec", {})
        if isinstance(job_spec, dict):
            _pod_template_defaults(job_spec)
    obj["status"] = {}


def _ingress_defaults(obj: dict[str, Any]) -> None:
    obj["status"] = {"loadBalancer": {}}  # IngressStatus.loadBalancer is a struct: never omitted


def _ingressclass_defaults(obj: dict[str, Any]) -> None:
    parameters = _get(obj, "spec", "parameters")
    if isinstance(parameters, dict):
        _setdefault(parameters, "scope", "Cluster")


def _networkpolicy_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_NetworkPolicy: TCP ports, and policyTypes Ingress (plus Egress with egress rules)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or ():
            for port in (rule.get("ports") or ()) if isinstance(rule, dict) else ():
                if isinstance(port, dict):
                    _setdefault(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


#: PodDisruptionBudgetStatus fields without omitempty
PDB_STATUS_COUNTERS = ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods")


def _pdb_defaults(obj: dict[str, Any]) -> None:
    obj["status"] = dict.fromkeys(PDB_STATUS_COUNTERS, 0)


def _pvc_defaults(obj: dict[str, Any]) -> None:
    """SetDefaults_PersistentVolumeClaim, the status the create strategy starts with (Pending), canonical
    quantities (the protection finalizer: ``prepare_after_fields``)."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "volumeMode", "Filesystem")
        resources = spec.get("resources")
        if isinstance(resources, dict):
            canonical_map(resources.get("requests"))
            canonical_map(resources.get("limits"))
    obj["status"] = {"phase": "Pending"}


def _pv_defaults(obj: dict[str, Any], now: datetime) -> None:
    """SetDefaults_PersistentVolume (Retain, Filesystem, a hostPath's type ""), Pending since now, canonical
    quantities (the protection finalizer: ``prepare_after_fields``)."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _setdefault(spec, "persistentVolumeReclaimPolicy", "Retain")
        _setdefault(spec, "volumeMode", "Filesystem")
        canonical_map(spec.get("capacity"))
        host_path = spec.get("hostPath")
        if isinstance(host_path, dict):
            _setdefault(host_path, "type", "")
    obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": format_time(now)}


#: the finalizers admission (StorageObjectInUseProtection) puts on new claims and volumes
_PROTECTION = {
    ("", "persistentvolumeclaims"): "kubernetes.io/pvc-protection",
    ("", "persistentvolumes"): "kubernetes.io/pv-protection",
}


def prepare_after_fields(rt: ResourceType, obj: dict[str, Any], had_labels: bool) -> None:
    """What a create changes after the managed fields were recorded (create strategies, admission), so that
    those fields belong to no manager, as on kube-apiserver: a Job's generated selector, protection
    finalizers."""
    key = (rt.group, rt.resource)
    if key == ("batch", "jobs"):
        job_prepare_for_create(obj, had_labels)
    elif key in _PROTECTION:
        _add_finalizer(obj, _PROTECTION[key])


#: the spec defaults an update of these types gets again (SetDefaults_* on the decoded object); the first
#: three are all that a create of theirs gets too
_SPEC_DEFAULTS: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("apps", "deployments"): _deployment_spec_defaults,
    ("apps", "replicasets"): _replicaset_spec_defaults,
    ("apps", "statefulsets"): _statefulset_spec_defaults,
    ("apps", "daemonsets"): _daemonset_spec_defaults,
    ("batch", "jobs"): _job_spec_defaults,
}


def prepare_update_for_fields(rt: ResourceType, new: dict[str, Any]) -> None:
    """What the field manager sees of an update of the object itself: kube-apiserver decodes it with the
    defaults (SetDefaults_*, not the create strategies or admission: a container added to a template gets its
    defaults and canonical quantities, and the writer owns them) to the internal type and back, where a
    DaemonSet's template generation is a field: an annotation the client removed reads as "0" (a change the
    writer then owns, not a removal)."""
    if rt.crd_name:
        return
    key = (rt.group, rt.resource)
    spec = new.get("spec")
    if isinstance(spec, dict):
        if key == ("", "pods"):
            default_pod_spec(spec)
        elif key in _SPEC_DEFAULTS:
            _SPEC_DEFAULTS[key](spec)
        elif key == ("batch", "cronjobs"):
            job_spec = _get(spec, "jobTemplate", "spec")
            if isinstance(job_spec, dict):
                _pod_template_defaults(job_spec)
    if key == ("apps", "daemonsets"):
        annotations = new.setdefault("metadata", {}).setdefault("annotations", {})
        if isinstance(annotations, dict):
            annotations.setdefault(DAEMONSET_TEMPLATE_GENERATION, "0")


def prepare_update_after_fields(rt: ResourceType, current: dict[str, Any], new: dict[str, Any]) -> None:
    """What an update of the object itself (not its status) changes after the managed fields were recorded
    (update strategies), so that the managers keep what they wrote: a DaemonSet's template generation."""
    if (rt.group, rt.resource) != ("apps", "daemonsets"):
        return
    try:
        generation = int(_get(current, "metadata", "annotations", DAEMONSET_TEMPLATE_GENERATION) or 1)
    except ValueError:
        generation = 1
    if _get(current, "spec", "template") != _get(new, "spec", "template"):
        generation += 1
    annotations = new.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(annotations, dict):
        annotations[DAEMONSET_TEMPLATE_GENERATION] = str(generation)


def _add_finalizer(obj: dict[str, Any], name: str) -> None:
    finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
    if isinstance(finalizers, list) and name not in finalizers:
        finalizers.append(name)


#: a deprecated annotation kube-apiserver warns about when a claim or volume is created with it
STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def create_warnings(rt: ResourceType, obj: Any) -> list[str]:
    """The warnings kube-apiserver sends with a create of ``obj`` (WarningsOnCreate), beyond field validation."""
    if (rt.group, rt.resource) not in (("", "persistentvolumes"), ("", "persistentvolumeclaims")):
        return []
    annotations = _get(obj, "metadata", "annotations")
    if isinstance(annotations, dict) and STORAGE_CLASS_ANNOTATION in annotations:
        return [
            f"metadata.annotations[{STORAGE_CLASS_ANNOTATION}]: deprecated since v1.8; "
            'use "storageClassName" attribute instead'
        ]
    return []


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
    elif key in (("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets")):
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            _SPEC_DEFAULTS[key](spec)
    elif key == ("apps", "daemonsets"):
        _daemonset_defaults(obj)
    elif key == ("networking.k8s.io", "ingresses"):
        _ingress_defaults(obj)
    elif key == ("networking.k8s.io", "ingressclasses"):
        _ingressclass_defaults(obj)
    elif key == ("networking.k8s.io", "networkpolicies"):
        _networkpolicy_defaults(obj)
    elif key == ("policy", "poddisruptionbudgets"):
        _pdb_defaults(obj)
    elif key == ("", "persistentvolumeclaims"):
        _pvc_defaults(obj)
    elif key == ("", "persistentvolumes"):
        _pv_defaults(obj, now)
    elif key == ("storage.k8s.io", "storageclasses"):
        _setdefault(obj, "reclaimPolicy", "Delete")
        _setdefault(obj, "volumeBindingMode", "Immediate")
    elif key == ("scheduling.k8s.io", "priorityclasses"):
        _setdefault(obj, "preemptionPolicy", "PreemptLowerPriority")
    elif key == ("batch", "jobs"):
        _job_defaults(obj)
    elif key == ("batch", "cronjobs"):
        _cronjob_defaults(obj)
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
