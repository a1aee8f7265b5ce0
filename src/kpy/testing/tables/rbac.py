"""Tables of ``rbac.authorization.k8s.io``: roles and bindings (printRole, printRoleBinding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    format_rfc3339,
    translate_timestamp_since,
)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


ROLE_COLUMNS = [NAME, Column("Created At", type="date", description=AGE.description)]


def role_row(role: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = role.get("metadata") or {}
    return [meta.get("name", ""), format_rfc3339(meta.get("creationTimestamp"))], None


BINDING_COLUMNS = [
    NAME,
    Column(
        "Role",
        description="RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If "
        "the RoleRef cannot be resolved, the Authorizer must return an error.",
    ),
    AGE,
    Column("Users", priority=1, description="Users in the roleBinding"),
    Column("Groups", priority=1, description="Groups in the roleBinding"),
    Column("ServiceAccounts", priority=1, description="ServiceAccounts in the roleBinding"),
]


def binding_row(binding: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = binding.get("metadata") or {}
    ref = _d(binding.get("roleRef"))
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for s in binding.get("subjects") or []:
        if not isinstance(s, dict):
            continue
        kind, name = s.get("kind"), str(s.get("name", ""))
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{s.get('namespace', '')}/{name}")
    cells = [
        meta.get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        translate_timestamp_since(meta.get("creationTimestamp"), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]
    return cells, None


PRINTERS: dict[tuple[str, str], Printer] = {
    ("rbac.authorization.k8s.io", "roles"): (ROLE_COLUMNS, role_row),
    ("rbac.authorization.k8s.io", "clusterroles"): (ROLE_COLUMNS, role_row),
    ("rbac.authorization.k8s.io", "rolebindings"): (BINDING_COLUMNS, binding_row),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): (BINDING_COLUMNS, binding_row),
}
