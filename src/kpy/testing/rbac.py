"""rbac.authorization.k8s.io/v1 (Roles, ClusterRoles and their bindings) and the authorizer the emulator
applies to users outside ``system:masters``.

The evaluation is upstream's RBAC authorizer in small: a request is allowed when a rule of a role bound to the
user (kind User) or one of their groups (kind Group, ServiceAccount subjects by their user name) matches
verb, API group, resource (``resource/subresource`` for subresources) and, when the rule names some,
resourceNames. ClusterRoleBindings apply everywhere, RoleBindings in their namespace (to a Role there or a
ClusterRole). Bootstrap policy that matters here: every authenticated user may create the self-reviews
(``system:basic-user``) and GET the discovery URLs (``system:discovery``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpy.testing.userinfo import AUTHENTICATED, UserInfo

if TYPE_CHECKING:
    from kpy.testing.store import Store

GROUP = "rbac.authorization.k8s.io"


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _matches(values: Any, wanted: str) -> bool:
    items = values if isinstance(values, list) else []
    return "*" in items or wanted in items


def rule_allows(rule: Any, verb: str, group: str, resource: str, name: str) -> bool:
    """One PolicyRule against one resource request (``resource`` may be ``pods/log``)."""
    if not isinstance(rule, dict):
        return False
    if not _matches(rule.get("verbs"), verb) or not _matches(rule.get("apiGroups"), group):
        return False
    resources = _l(rule.get("resources"))
    base, _, sub = resource.partition("/")
    if not (
        "*" in resources
        or resource in resources
        or (sub and f"*/{sub}" in resources)
        or (sub and f"{base}/*" in resources)
    ):
        return False
    names = rule.get("resourceNames")
    return not names or (isinstance(names, list) and name in names)


def _subject_matches(subject: Any, user: UserInfo) -> bool:
    if not isinstance(subject, dict):
        return False
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == user.name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace', '')}:{name}"
    return False


def allows(
    store: Store, user: UserInfo, verb: str, group: str, resource: str, namespace: str, name: str
) -> bool:
    """Whether RBAC objects in ``store`` allow the request (``namespace`` "" = cluster scope)."""
    if user.is_admin:
        return True
    return allowed_by(store, user, verb, group, resource, namespace, name) is not None


#: bootstrap policy every authenticated user gets (system:basic-user): the self-reviews
_BASIC_USER = (
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
)
#: the non-resource URLs of ClusterRole system:discovery (bound to system:authenticated)
_DISCOVERY_URLS = (
    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
    "/version", "/version/", "/.well-known", "/.well-known/*",
)  # fmt: skip


def _bootstrap(name: str) -> str:
    return f'RBAC: allowed by ClusterRoleBinding "{name}" of ClusterRole "{name}" to Group "{AUTHENTICATED}"'


def _describe_subject(subject: dict[str, Any], binding_ns: str) -> str:
    kind, name = subject.get("kind", ""), subject.get("name", "")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_ns}"'
    return f'{kind} "{name}"'


def allowed_by(
    store: Store, user: UserInfo, verb: str, group: str, resource: str, namespace: str, name: str
) -> str | None:
    """The RBAC authorizer's reason for allowing the request ("RBAC: allowed by ClusterRoleBinding ..."), or
    None when no binding allows it (``system:masters`` is not RBAC: check ``user.is_admin`` first)."""
    if AUTHENTICATED in user.groups and verb == "create" and (group, resource) in _BASIC_USER:
        return _bootstrap("system:basic-user")

    def role_rules(kind: str, role_name: str, role_ns: str) -> list[Any]:
        if kind == "ClusterRole":
            role = store.get((GROUP, "clusterroles"), "", role_name)
        else:
            role = store.get((GROUP, "roles"), role_ns, role_name)
        rules = (role or {}).get("rules")
        return rules if isinstance(rules, list) else []

    bindings: list[tuple[Any, str]] = [(b, "") for b in store.list((GROUP, "clusterrolebindings"), None)]
    if namespace:
        bindings += [(b, namespace) for b in store.list((GROUP, "rolebindings"), namespace)]
    for binding, ns in bindings:
        subject = next((s for s in _l(binding.get("subjects")) if _subject_matches(s, user)), None)
        if subject is None:
            continue
        ref = _d(binding.get("roleRef"))
        kind, role = str(ref.get("kind", "")), str(ref.get("name", ""))
        for rule in role_rules(kind, role, ns):
            if rule_allows(rule, verb, group, resource, name):
                bname = _d(binding.get("metadata")).get("name", "")
                what = f'RoleBinding "{bname}/{ns}"' if ns else f'ClusterRoleBinding "{bname}"'
                return f'RBAC: allowed by {what} of {kind} "{role}" to {_describe_subject(subject, ns)}'
    return None


def rules_of(store: Store, user: UserInfo, namespace: str) -> list[tuple[dict[str, Any], bool]]:
    """The PolicyRules of the roles bound to ``user`` (cluster-wide, and in ``namespace``), each with whether
    it came from a ClusterRoleBinding (only those grant non-resource URLs)."""
    found: list[tuple[dict[str, Any], bool]] = []
    bindings: list[tuple[Any, str]] = [(b, "") for b in store.list((GROUP, "clusterrolebindings"), None)]
    bindings += [(b, namespace) for b in store.list((GROUP, "rolebindings"), namespace)]
    for binding, ns in bindings:
        if not any(_subject_matches(s, user) for s in _l(binding.get("subjects"))):
            continue
        ref = _d(binding.get("roleRef"))
        if ref.get("kind") == "ClusterRole":
            role = store.get((GROUP, "clusterroles"), "", str(ref.get("name", "")))
        else:
            role = store.get((GROUP, "roles"), ns, str(ref.get("name", "")))
        found += [(rule, not ns) for rule in _l((role or {}).get("rules")) if isinstance(rule, dict)]
    return found


def non_resource_allowed_by(store: Store, user: UserInfo, verb: str, path: str) -> str | None:
    """The reason RBAC allows ``verb`` on a non-resource URL (``/healthz``), or None."""
    if AUTHENTICATED in user.groups and verb == "get" and _url_matches(_DISCOVERY_URLS, path):
        return _bootstrap("system:discovery")
    for binding in store.list((GROUP, "clusterrolebindings"), None):
        subject = next((s for s in _l(binding.get("subjects")) if _subject_matches(s, user)), None)
        ref = _d(binding.get("roleRef"))
        if subject is None or ref.get("kind") != "ClusterRole":
            continue
        role = store.get((GROUP, "clusterroles"), "", str(ref.get("name", "")))
        for rule in _l((role or {}).get("rules")):
            if _matches(_d(rule).get("verbs"), verb) and _url_matches(
                _l(_d(rule).get("nonResourceURLs")), path
            ):
                bname = _d(binding.get("metadata")).get("name", "")
                return (
                    f'RBAC: allowed by ClusterRoleBinding "{bname}" of ClusterRole "{ref.get("name", "")}" '
                    f"to {_describe_subject(subject, '')}"
                )
    return None


def _url_matches(patterns: Any, path: str) -> bool:
    """rbacv1helpers.NonResourceURLMatches: exact, ``*``, or a prefix ending in ``*``."""
    return any(
        p == "*" or p == path or (isinstance(p, str) and p.endswith("*") and path.startswith(p[:-1]))
        for p in patterns
    )
