"""The resource types the emulated kube-apiserver serves, and the per-kind rules it applies.

A :class:`ResourceRegistry` starts with the builtin types kpy needs (names, kinds, short names, verbs,
categories and subresources as a kube-apiserver 1.32 reports them in discovery) and grows/shrinks as
CustomResourceDefinitions are created/deleted. Field selectors per kind are in
:mod:`kpy.testing.fieldlabels`, server-side defaults in :mod:`kpy.testing.defaults`.

Pure code: no I/O. Metadata (uid, resourceVersion, creationTimestamp, generation) is the store's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
        _rt("", "v1", "limitranges", "LimitRange", True, ("limits",)),
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
        _rt("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), sub=("status",)),
        _rt("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), sub=("status",)),
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
        _rt("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",), sub=("status",)),
        _rt("", "v1", "secrets", "Secret", True),
        _rt("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), sub=("token",)),
        _rt("", "v1", "services", "Service", True, ("svc",), categories=("all",), sub=("proxy", "status")),
        # apps/v1
        _rt("apps", "v1", "controllerrevisions", "ControllerRevision", True),
        _rt("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), categories=("all",), sub=("status",)),
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
        # batch/v1 (no controllers: Jobs and CronJobs are stored and printed, never run)
        _rt("batch", "v1", "cronjobs", "CronJob", True, ("cj",), categories=("all",), sub=("status",)),
        _rt("batch", "v1", "jobs", "Job", True, categories=("all",), sub=("status",)),
        # networking.k8s.io/v1 (not ipaddresses and servicecidrs: the real server makes objects of those itself)
        _rt("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
        _rt("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), sub=("status",)),
        _rt("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
        # policy/v1
        _rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), sub=("status",)),
        # scheduling.k8s.io/v1, storage.k8s.io/v1 (storage classes only)
        _rt("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ("pc",)),
        _rt("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
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
        # authentication, certificates and RBAC: kpy.testing.userinfo, .certificates, .rbac
        _rt(
            "authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=("create",)
        ),
        _rt(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "SelfSubjectAccessReview",
            False,
            verbs=("create",),
        ),
        _rt(
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
            "SelfSubjectRulesReview",
            False,
            verbs=("create",),
        ),
        _rt(
            "certificates.k8s.io",
            "v1",
            "certificatesigningrequests",
            "CertificateSigningRequest",
            False,
            ("csr",),
            sub=("approval", "status"),
        ),
        _rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
        _rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
        _rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
        _rt("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ]


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
