"""rbac.authorization.k8s.io/v1 (Roles, ClusterRoles and their bindings) and the authorizer the emulator
applies to users outside ``system:masters``.

The evaluation is upstream's RBAC authorizer in small: a request is allowed when a rule of a role bound to the
user (kind User) or one of their groups (kind Group, ServiceAccount subjects by their user name) matches
verb, API group, resource (``resource/subresource`` for subresources) and, when the rule names some,
resourceNames. ClusterRoleBindings apply everywhere, RoleBindings in their namespace (to a Role there or a
ClusterRole). Bootstrap policy that matters here: every authenticated user may create SelfSubjectReviews
(``system:basic-user``).
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
    if AUTHENTICATED in user.groups and (group, resource, verb) == (
        "authentication.k8s.io",
        "selfsubjectreviews",
        "create",
    ):
        return True

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
        subjects = _l(binding.get("subjects"))
        if not any(_subject_matches(s, user) for s in subjects):
            continue
        ref = _d(binding.get("roleRef"))
        for rule in role_rules(str(ref.get("kind", "")), str(ref.get("name", "")), ns):
            if rule_allows(rule, verb, group, resource, name):
                return True
    return False
