"""The resource types the emulated kube-apiserver serves, and the per-kind rules it applies.

A :class:`ResourceRegistry` starts with the builtin types kpy needs (names, kinds, short names, verbs,
categories and subresources as a kube-apiserver 1.32 reports them in discovery) and grows/shrinks as
CustomResourceDefinitions are created/deleted. :func:`field_selector_fields` gives the field set an object
exposes to ``fieldSelector`` (each kind's upstream ``GetAttrs``/``SelectableFields``) and
:func:`prepare_create` adds the server-side defaults that show up in kubectl output.

Pure code: no I/O. Metadata (uid, resourceVersion, creationTimestamp, generation) is the store's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
#: namespaces cannot be deleted as a collection.
NO_COLLECTION_VERBS: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One servable resource at one group/version (a row of ``kubectl api-resources``)."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    singular: str
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    #: CRD ``selectableFields`` JSONPaths (e.g. ``.spec.color``), beyond metadata.name/namespace.
    selectable_fields: tuple[str, ...] = field(default=(), compare=False)
    #: CRD ``additionalPrinterColumns`` of this version (dicts: name, type, format, jsonPath, priority, ...).
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    #: Name of the CRD that defines this type ("" for builtins).
    crd_name: str = field(default="", compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def scope(self) -> str:
        """``Namespaced`` or ``Cluster``, as CRDs and aggregated discovery spell it."""
        return "Namespaced" if self.namespaced else "Cluster"


def _rt(
    group: str,
    version: str,
    resource: str,
    kind: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    *,
    verbs: tuple[str, ...] = ALL_VERBS,
    categories: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=short,
        verbs=verbs,
        categories=categories,
        subresources=sub,
    )


def builtin_types() -> list[ResourceType]:
    """The builtin types, as kube-apiserver 1.32's discovery reports them (order as in /api/v1 etc.)."""
    return [
        # core/v1 (the order of the legacy APIResourceList is alphabetical by resource name)
        _rt("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
        _rt("", "v1", "endpoints", "Endpoints", True, ("ep",)),
        _rt("", "v1", "events", "Event", True, ("ev",)),
        _rt(
            "",
            "v1",
            "namespaces",
            "Namespace",
            False,
            ("ns",),
            verbs=NO_COLLECTION_VERBS,
            sub=("finalize", "status"),
        ),
        _rt("", "v1", "nodes", "Node", False, ("no",), sub=("proxy", "status")),
        _rt(
            "",
            "v1",
            "pods",
            "Pod",
            True,
            ("po",),
            categories=("all",),
            sub=(
                "attach",
                "binding",
                "ephemeralcontainers",
                "eviction",
                "exec",
                "log",
                "portforward",
                "proxy",
                "status",
            ),
        ),
        _rt("", "v1", "secrets", "Secret", True),
        _rt("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), sub=("token",)),
        _rt("", "v1", "services", "Service", True, ("svc",), categories=("all",), sub=("proxy", "status")),
        # apps/v1
        _rt(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            True,
            ("deploy",),
            categories=("all",),
            sub=("scale", "status"),
        ),
        _rt(
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            True,
            ("rs",),
            categories=("all",),
            sub=("scale", "status"),
        ),
        _rt(
            "apps",
            "v1",
            "statefulsets",
            "StatefulSet",
            True,
            ("sts",),
            categories=("all",),
            sub=("scale", "status"),
        ),
        # others
        _rt("coordination.k8s.io", "v1", "leases", "Lease", True),
        _rt("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
        _rt("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
        _rt(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            False,
            ("crd", "crds"),
            categories=("api-extensions",),
            sub=("status",),
        ),
        *_auth_types(),
    ]


def _auth_types() -> list[ResourceType]:
    """certificates.k8s.io CSRs, rbac.authorization.k8s.io and SelfSubjectReview (their own modules)."""
    from kpy.testing.certificates import csr_type
    from kpy.testing.rbac import rbac_types

    review = ResourceType(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        False,
        "selfsubjectreview",
        verbs=("create",),
    )
    return [review, csr_type(), *rbac_types()]


#: Group order in /apis (kube-apiserver lists groups by its fixed priority, not alphabetically).
GROUP_ORDER: tuple[str, ...] = (
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
)


def _version_priority_key(version: str) -> tuple[int, int, int, str]:
    """Kubernetes version ordering (GA > beta > alpha, higher numbers first); smaller key sorts first."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)  # non-kube-like versions last, alphabetical
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, "")


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Versions in Kubernetes priority order (v1 > v1beta2 > v1beta1 > v1alpha1 > other)."""
    return sorted(set(versions), key=_version_priority_key)


class ResourceRegistry:
    """What the emulated apiserver serves; CRDs add and remove types at run time."""

    def __init__(self) -> None:
        self._types: list[ResourceType] = builtin_types()
        #: CRD name -> preferred (storage) version, for group ordering of CRD groups.
        self._crd_versions: dict[str, list[str]] = {}

    def all(self) -> list[ResourceType]:
        return list(self._types)

    def find(self, group: str, version: str, resource: str) -> ResourceType | None:
        for rt in self._types:
            if rt.group == group and rt.version == version and rt.resource == resource:
                return rt
        return None

    def find_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        """The type serving ``kind`` at group/version (for objects posted with only apiVersion/kind)."""
        for rt in self._types:
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def groups(self) -> list[str]:
        """Non-core groups in the order /apis lists them: builtin priority order, then CRD groups by name."""
        present = {rt.group for rt in self._types if rt.group}
        known = [g for g in GROUP_ORDER if g in present]
        return known + sorted(present - set(known))

    def versions(self, group: str) -> list[str]:
        """Served versions of ``group``, preferred first."""
        vs = [rt.version for rt in self._types if rt.group == group]
        if not vs:
            return []
        return sort_versions(vs)

    def preferred_version(self, group: str) -> str | None:
        vs = self.versions(group)
        return vs[0] if vs else None

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return sorted(
            (rt for rt in self._types if rt.group == group and rt.version == version),
            key=lambda rt: rt.resource,
        )

    def add_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        """Serve every served version of an apiextensions.k8s.io/v1 CRD (replacing an earlier definition)."""
        name = str((crd.get("metadata") or {}).get("name") or "")
        spec = crd.get("spec") or {}
        group = str(spec.get("group") or "")
        names = spec.get("names") or {}
        plural = str(names.get("plural") or "")
        kind = str(names.get("kind") or "")
        if not name:
            name = f"{plural}.{group}"
        self.remove_crd(name)
        singular = str(names.get("singular") or kind.lower())
        short = tuple(str(s) for s in names.get("shortNames") or ())
        categories = tuple(str(c) for c in names.get("categories") or ())
        namespaced = (spec.get("scope") or "Namespaced") == "Namespaced"
        added: list[ResourceType] = []
        for ver in spec.get("versions") or ():
            if not ver.get("served", True):
                continue
            subs_spec = ver.get("subresources") or {}
            subs = tuple(s for s in ("scale", "status") if s in subs_spec)
            selectable = tuple(
                str(f.get("jsonPath", "")) for f in ver.get("selectableFields") or () if f.get("jsonPath")
            )
            columns = tuple(dict(c) for c in ver.get("additionalPrinterColumns") or () if isinstance(c, dict))
            rt = ResourceType(
                group=group,
                version=str(ver.get("name")),
                resource=plural,
                kind=kind,
                namespaced=namespaced,
                singular=singular,
                short_names=short,
                verbs=ALL_VERBS,
                categories=categories,
                subresources=subs,
                selectable_fields=selectable,
                printer_columns=columns,
                crd_name=name,
            )
            added.append(rt)
        self._types.extend(added)
        return added

    def remove_crd(self, crd_name: str) -> None:
        """Stop serving the types a CRD named ``crd_name`` (``plural.group``) defined."""
        self._types = [rt for rt in self._types if not (rt.crd_name and rt.crd_name == crd_name)]


# ---------------------------------------------------------------------------------------------------------
# Field selectors


def _get(obj: dict[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _meta_fields(obj: dict[str, Any]) -> dict[str, str]:
    # runtime.DefaultMetaV1FieldSelectorConversion: every kind accepts these two unless its group registers
    # its own field label conversion (nodes and namespaces do, and drop metadata.namespace).
    return {
        "metadata.name": _s(_get(obj, "metadata", "name")),
        "metadata.namespace": _s(_get(obj, "metadata", "namespace")),
    }


def _pod_fields(obj: dict[str, Any]) -> dict[str, str]:
    ips = _get(obj, "status", "podIPs") or []
    pod_ip = _s(_get(obj, "status", "podIP"))
    # podIPs selection uses the first (primary) IP like PodToSelectableFields ("status.podIP").
    if not pod_ip and ips and isinstance(ips[0], dict):
        pod_ip = _s(ips[0].get("ip"))
    return {
        "spec.nodeName": _s(_get(obj, "spec", "nodeName")),
        "spec.restartPolicy": _s(_get(obj, "spec", "restartPolicy")),
        "spec.schedulerName": _s(_get(obj, "spec", "schedulerName")),
        "spec.serviceAccountName": _s(_get(obj, "spec", "serviceAccountName")),
        "spec.hostNetwork": "true" if _get(obj, "spec", "hostNetwork") else "false",
        "status.phase": _s(_get(obj, "status", "phase")),
        "status.podIP": pod_ip,
        "status.nominatedNodeName": _s(_get(obj, "status", "nominatedNodeName")),
    }


def _core_event_fields(obj: dict[str, Any]) -> dict[str, str]:
    io = obj.get("involvedObject") or {}
    reporting = _s(obj.get("reportingComponent"))
    # EventToSelectableFields: "source" falls back to the reporting controller when source is empty.
    source = _s(_get(obj, "source", "component")) or reporting
    return {
        "involvedObject.kind": _s(io.get("kind")),
        "involvedObject.namespace": _s(io.get("namespace")),
        "involvedObject.name": _s(io.get("name")),
        "involvedObject.uid": _s(io.get("uid")),
        "involvedObject.apiVersion": _s(io.get("apiVersion")),
        "involvedObject.resourceVersion": _s(io.get("resourceVersion")),
        "involvedObject.fieldPath": _s(io.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingComponent": reporting,
        "source": source,
        "type": _s(obj.get("type")),
    }


def _events_v1_fields(obj: dict[str, Any]) -> dict[str, str]:
    # events.k8s.io/v1 shares storage with core events; its field label conversion maps regarding.* to
    # involvedObject.*, reportingController to reportingComponent, deprecatedSource to source.
    reg = obj.get("regarding") or {}
    src = _s(_get(obj, "deprecatedSource", "component")) or _s(obj.get("reportingController"))
    fields = {
        "regarding.kind": _s(reg.get("kind")),
        "regarding.namespace": _s(reg.get("namespace")),
        "regarding.name": _s(reg.get("name")),
        "regarding.uid": _s(reg.get("uid")),
        "regarding.apiVersion": _s(reg.get("apiVersion")),
        "regarding.resourceVersion": _s(reg.get("resourceVersion")),
        "regarding.fieldPath": _s(reg.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingController": _s(obj.get("reportingController")),
        "deprecatedSource": src,
        "type": _s(obj.get("type")),
    }
    return fields


def _jsonpath_simple(obj: dict[str, Any], path: str) -> str:
    parts = [p for p in path.strip().lstrip(".").split(".") if p]
    return _s(_get(obj, *parts))


_KIND_FIELDS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, str]]] = {
    ("", "pods"): _pod_fields,
    ("", "events"): _core_event_fields,
    ("events.k8s.io", "events"): _events_v1_fields,
    ("", "namespaces"): lambda o: {
        "status.phase": _s(_get(o, "status", "phase")),
    },
    ("", "nodes"): lambda o: {"spec.unschedulable": "true" if _get(o, "spec", "unschedulable") else "false"},
    ("", "secrets"): lambda o: {"type": _s(o.get("type"))},
    ("", "replicationcontrollers"): lambda o: {"status.replicas": _s(_get(o, "status", "replicas") or 0)},
    ("", "services"): lambda o: {
        "spec.clusterIP": _s(_get(o, "spec", "clusterIP")),
        "spec.type": _s(_get(o, "spec", "type")),
    },
}


#: Kinds whose field label conversion accepts metadata.name but not metadata.namespace.
_NO_NAMESPACE_LABEL = {("", "nodes"), ("", "namespaces")}


def has_field_label_conversion(rt: ResourceType) -> bool:
    """Whether the kind registers its own field label conversion (its 400 for other fields says "field label
    not supported: X"); the others use apimachinery's default, which names metadata.name/namespace."""
    return bool(rt.crd_name) or (rt.group, rt.resource) in _KIND_FIELDS


def field_selector_fields(rt: ResourceType, obj: dict[str, Any]) -> dict[str, str]:
    """The field set ``obj`` offers to a fieldSelector; a selector naming any other key is a 400
    (``field label not supported: KEY``)."""
    fields = _meta_fields(obj)
    key = (rt.group, rt.resource)
    fn = _KIND_FIELDS.get(key) if not rt.crd_name else None
    if fn is not None:
        fields.update(fn(obj))
    if not rt.crd_name and key in _NO_NAMESPACE_LABEL:
        del fields["metadata.namespace"]
    for path in rt.selectable_fields:
        fields[path.lstrip(".")] = _jsonpath_simple(obj, path)
    return fields


# ---------------------------------------------------------------------------------------------------------
# Server-side defaults


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
    return obj
