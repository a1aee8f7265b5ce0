"""Pure rules of the emulator's RBAC authorizer and CSR signer (upstream's semantics, table-driven)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kpy.testing import csrsigner, rbac
from kpy.testing.userinfo import UserInfo

POD_READER = {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}


@pytest.mark.parametrize(
    ("rule", "verb", "group", "resource", "name", "allowed"),
    [
        (POD_READER, "get", "", "pods", "web", True),
        (POD_READER, "list", "", "pods/log", "", True),
        (POD_READER, "delete", "", "pods", "web", False),
        (POD_READER, "get", "apps", "pods", "web", False),
        (POD_READER, "get", "", "pods/exec", "web", False),
        ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, "delete", "apps", "deployments/scale", "x", True),
        ({"apiGroups": [""], "resources": ["*/status"], "verbs": ["update"]}, "update", "", "pods/status", "", True),
        ({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}, "get", "", "pods/log", "", True),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": ["a"]}, "get", "", "pods", "b",
         False),
        ({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"],
          "resourceNames": ["kubernetes.io/*"]}, "approve", "certificates.k8s.io", "signers", "kubernetes.io/*", True),
    ],
)  # fmt: skip
def test_rule_matching(rule: Any, verb: str, group: str, resource: str, name: str, allowed: bool) -> None:
    assert rbac.rule_allows(rule, verb, group, resource, name) is allowed


class _Store:
    def __init__(self, objects: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        self.objects = objects

    def get(self, gr: tuple[str, str], namespace: str, name: str) -> dict[str, Any] | None:
        for obj in self.objects.get(gr, []):
            meta = obj["metadata"]
            if meta["name"] == name and meta.get("namespace", "") == namespace:
                return obj
        return None

    def list(self, gr: tuple[str, str], namespace: str | None = None) -> list[dict[str, Any]]:
        return [
            o
            for o in self.objects.get(gr, [])
            if namespace is None or o["metadata"].get("namespace") == namespace
        ]


def test_bindings_by_user_group_and_namespace() -> None:
    g = rbac.GROUP
    store = _Store(
        {
            (g, "clusterroles"): [{"metadata": {"name": "reader"}, "rules": [POD_READER]}],
            (g, "rolebindings"): [
                {
                    "metadata": {"name": "b", "namespace": "team"},
                    "roleRef": {"kind": "ClusterRole", "name": "reader"},
                    "subjects": [{"kind": "Group", "name": "devs"}],
                }
            ],
        }
    )
    dev = UserInfo("ann", ("devs", "system:authenticated"))
    other = UserInfo("bob")
    assert rbac.allows(store, dev, "get", "", "pods", "team", "web")
    assert not rbac.allows(store, dev, "get", "", "pods", "default", "web")
    assert not rbac.allows(store, other, "get", "", "pods", "team", "web")
    assert rbac.allows(store, other, "create", "authentication.k8s.io", "selfsubjectreviews", "", "")
    assert rbac.allows(store, UserInfo("root", ("system:masters",)), "delete", "", "nodes", "", "x")


@pytest.mark.parametrize(
    ("requested", "cap", "issued"),
    [
        (3600, dt.timedelta(days=365), dt.timedelta(hours=1)),
        (86400, dt.timedelta(hours=10), dt.timedelta(hours=10)),
        (None, dt.timedelta(hours=10), dt.timedelta(hours=10)),
        (300, dt.timedelta(days=1), dt.timedelta(minutes=10)),  # below the minimum: raised to 10m
    ],
)
def test_signed_duration_is_kube_controller_managers(
    requested: int | None, cap: dt.timedelta, issued: dt.timedelta
) -> None:
    assert csrsigner.signed_duration(requested, cap) == issued


def test_usages_the_client_signer_accepts() -> None:
    assert csrsigner.usages_error(["digital signature", "key encipherment", "client auth"]) is None
    assert csrsigner.usages_error(["digital signature"]) == (
        "missing required usage for client certificate: client auth"
    )
    assert csrsigner.usages_error(["client auth", "server auth"]) == (
        "invalid usage for client certificate: server auth"
    )
