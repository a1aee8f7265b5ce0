"""Discovery documents → ``ResourceInfo`` tables, and kubectl's type-argument resolution. Pure, no I/O.

Both shapes the API server offers are read: aggregated discovery (``apidiscovery.k8s.io`` v2/v2beta1
``APIGroupDiscoveryList``) and legacy (``APIVersions``/``APIGroupList`` + one ``APIResourceList`` per
group-version). Resolution follows kubectl's RESTMapper: a fully specified ``resource.version.group``, else
``resource[.group]`` matched on plural or singular after short-name expansion (case-insensitive), else a kind
(``Kind[.version].group``); among several matches the group served first wins (the core group first), and
within a group its preferred version.
"""

from __future__ import annotations

from kpy.dataclasslite import dataclass, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class ResourceInfo:
    """One resource type of one group-version, as discovery describes it."""

    group: str
    version: str
    resource: str  #: plural, e.g. "pods"
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The URL path: ``/api/v1/namespaces/NS/pods/NAME/SUB`` (namespace ignored for cluster-scoped types)."""
        parts = [self.api_prefix]
        if self.namespaced and namespace:
            parts.append(f"/namespaces/{namespace}")
        parts.append(f"/{self.resource}")
        if name:
            parts.append(f"/{name}")
            if subresource:
                parts.append(f"/{subresource}")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "version": self.version,
            "resource": self.resource,
            "kind": self.kind,
            "namespaced": self.namespaced,
            "singular": self.singular,
            "shortNames": list(self.short_names),
            "verbs": list(self.verbs),
            "categories": list(self.categories),
            "subresources": list(self.subresources),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceInfo:
        return cls(
            str(data["group"]),
            str(data["version"]),
            str(data["resource"]),
            str(data["kind"]),
            bool(data["namespaced"]),
            str(data.get("singular", "")),
            tuple(data.get("shortNames", ())),
            tuple(data.get("verbs", ())),
            tuple(data.get("categories", ())),
            tuple(data.get("subresources", ())),
        )


@dataclass
class DiscoveryTable:
    """Every group (in server order, versions preferred first) and every resource of every group-version."""

    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    resources: dict[tuple[str, str], list[ResourceInfo]] = field(default_factory=dict)

    def add_group(self, group: str, versions: list[str]) -> None:
        for existing, known in self.groups:
            if existing == group:
                known.extend(v for v in versions if v not in known)
                return
        self.groups.append((group, list(versions)))

    def ordered(self) -> list[ResourceInfo]:
        """All resources in RESTMapper priority order."""
        out: list[ResourceInfo] = []
        for group, versions in self.groups:
            for version in versions:
                out.extend(self.resources.get((group, version), []))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": [{"name": g, "versions": vs} for g, vs in self.groups],
            "resources": [r.to_dict() for r in self.ordered()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiscoveryTable:
        table = cls()
        for entry in data.get("groups", []):
            table.add_group(str(entry["name"]), [str(v) for v in entry["versions"]])
        for raw in data.get("resources", []):
            info = ResourceInfo.from_dict(raw)
            table.resources.setdefault((info.group, info.version), []).append(info)
        return table


# -- parsing ------------------------------------------------------------------------------------------------
def is_aggregated(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "APIGroupDiscoveryList"


def add_aggregated(table: DiscoveryTable, doc: dict[str, Any]) -> None:
    """Add an ``APIGroupDiscoveryList`` (from ``/api`` or ``/apis``) to ``table``."""
    for item in doc.get("items") or []:
        group = str((item.get("metadata") or {}).get("name", "") or "")
        versions: list[str] = []
        for entry in item.get("versions") or []:
            version = str(entry.get("version", ""))
            if not version:
                continue
            versions.append(version)
            infos = []
            for res in entry.get("resources") or []:
                kind_ref = res.get("responseKind") or {}
                infos.append(
                    ResourceInfo(
                        group=group,
                        version=version,
                        resource=str(res.get("resource", "")),
                        kind=str(kind_ref.get("kind", "")),
                        namespaced=res.get("scope") == "Namespaced",
                        singular=str(res.get("singularResource", "") or ""),
                        short_names=tuple(res.get("shortNames") or ()),
                        verbs=tuple(res.get("verbs") or ()),
                        categories=tuple(res.get("categories") or ()),
                        subresources=tuple(
                            str(s.get("subresource", "")) for s in res.get("subresources") or ()
                        ),
                    )
                )
            table.resources[(group, version)] = infos
        table.add_group(group, versions)


def legacy_group_versions(doc: dict[str, Any], core: bool) -> list[tuple[str, list[str]]]:
    """Groups with versions (preferred first) from ``APIVersions`` (``/api``) or ``APIGroupList`` (``/apis``)."""
    if core:
        return [("", [str(v) for v in doc.get("versions") or []])]
    out = []
    for group in doc.get("groups") or []:
        versions = [str(v.get("version", "")) for v in group.get("versions") or [] if v.get("version")]
        preferred = str((group.get("preferredVersion") or {}).get("version", "") or "")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        out.append((str(group.get("name", "")), versions))
    return out


def parse_resource_list(group: str, version: str, doc: dict[str, Any]) -> list[ResourceInfo]:
    """An ``APIResourceList``; ``pods/status``-style entries become the parent's subresources."""
    subresources: dict[str, list[str]] = {}
    mains: list[dict[str, Any]] = []
    for res in doc.get("resources") or []:
        name = str(res.get("name", ""))
        if "/" in name:
            parent, _, sub = name.partition("/")
            subresources.setdefault(parent, []).append(sub)
        else:
            mains.append(res)
    return [
        ResourceInfo(
            group=group,
            version=version,
            resource=str(res["name"]),
            kind=str(res.get("kind", "")),
            namespaced=bool(res.get("namespaced", False)),
            singular=str(res.get("singularName", "") or ""),
            short_names=tuple(res.get("shortNames") or ()),
            verbs=tuple(res.get("verbs") or ()),
            categories=tuple(res.get("categories") or ()),
            subresources=tuple(subresources.get(str(res["name"]), ())),
        )
        for res in mains
    ]


# -- resolution -----------------------------------------------------------------------------------------------
def _expand_short_name(table: list[ResourceInfo], resource: str, group: str | None) -> tuple[str, str | None]:
    """kubectl's shortcut expander: ``po`` → (pods, ""), ``deploy`` → (deployments, apps); first match wins."""
    for info in table:
        if group is not None and info.group != group:
            continue
        if resource in (s.lower() for s in info.short_names):
            return info.resource, info.group
    return resource, group


def _by_resource(
    table: list[ResourceInfo], resource: str, group: str | None, version: str | None = None
) -> ResourceInfo | None:
    resource, group = _expand_short_name(table, resource.lower(), group)
    for info in table:
        if group is not None and info.group != group:
            continue
        if version is not None and info.version != version:
            continue
        if resource in (info.resource.lower(), (info.singular or "").lower()):
            return info
    return None


def _by_kind(
    table: list[ResourceInfo], kind: str, group: str | None, version: str | None
) -> ResourceInfo | None:
    for exact in (True, False):
        for info in table:
            if group is not None and info.group != group:
                continue
            if version is not None and info.version != version:
                continue
            if (info.kind == kind) if exact else (info.kind.lower() == kind.lower()):
                return info
    return None


def resolve_type(table: DiscoveryTable, arg: str) -> ResourceInfo | None:
    """What kubectl's ``mappingFor(arg)`` finds, or None."""
    ordered = table.ordered()
    if not arg:
        return None
    if arg.count(".") >= 2:  # resource.version.group (version must exist)
        resource, version, group = arg.split(".", 2)
        found = _by_resource(ordered, resource, group, version)
        if found is not None:
            return found
    resource, dot, group = arg.partition(".")
    found = _by_resource(ordered, resource, group if dot else None)
    if found is not None:
        return found
    if arg.count(".") >= 2:
        kind, version, group = arg.split(".", 2)
        found = _by_kind(ordered, kind, group, version)
        if found is not None:
            return found
    kind, dot, group = arg.partition(".")
    return _by_kind(ordered, kind, group if dot else None, None)
