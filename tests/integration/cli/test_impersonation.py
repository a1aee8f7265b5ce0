"""Impersonating a uid and user extras (``--as-uid``, a kubeconfig's ``as-uid`` and ``as-user-extra``) like
kubectl: the headers reach the server, and a caller who may impersonate users but not uids gets the API
server's denial, word for word as kubectl shows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kpy, kubectl

RBAC = "/apis/rbac.authorization.k8s.io/v1"


@pytest.fixture(scope="module")
def impersonator(sandbox: Any, api: Api, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig for user "imp", who may impersonate users and list pods, and nothing else."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "imp-users"},
        "rules": [
            {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "imp-users"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "imp-users"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "imp"}],
    }
    assert api.call("POST", f"{RBAC}/clusterroles", role)[0] == 201
    assert api.call("POST", f"{RBAC}/clusterrolebindings", binding)[0] == 201
    token = sandbox.emulator.add_user("imp")
    return Path(sandbox.emulator.write_kubeconfig(tmp_path_factory.mktemp("imp") / "kc", token=token))


def _with_user_fields(sandbox: Any, path: Path, **fields: Any) -> Path:
    config = json.loads(sandbox.emulator.write_kubeconfig(path).read_text())
    config["users"][0]["user"].update(fields)
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("output", [[], ["-o", "name"], ["-o", "yaml"]])
def test_as_uid_reaches_the_server(sandbox: Any, output: list[str]) -> None:
    res = kpy("get", "pods", "--as", "admin-too", "--as-group", "system:masters", "--as-uid", "u-7", *output,
              kubeconfig=sandbox.kubeconfig_path)  # fmt: skip
    assert res.code == 0, res.err
    headers = {k.lower(): v for k, v in sandbox.emulator.requests[-1].headers.items()}
    assert (headers["impersonate-user"], headers["impersonate-uid"]) == ("admin-too", "u-7")


def test_as_uid_without_as_is_kubectls_configuration_error(sandbox: Any) -> None:
    res = kpy("get", "pods", "--as-uid", "u-7", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert res.err == (
        "error: requesting uid, groups or user-extra for kpy-emulator without impersonating a user\n"
    )
    if KUBECTL:
        theirs = kubectl("get", "pods", "--as-uid", "u-7", kubeconfig=sandbox.kubeconfig_path)
        assert (theirs.code, theirs.err.splitlines()[-1:]) == (1, res.err.splitlines())


def test_kubeconfig_uid_and_extras_reach_the_server(sandbox: Any, tmp_path: Path) -> None:
    path = _with_user_fields(
        sandbox,
        tmp_path / "kc",
        **{
            "as": "admin-too",
            "as-groups": ["system:masters"],
            "as-uid": "u-9",
            "as-user-extra": {"scopes": ["read"], "team/x y": ["t"]},
        },
    )
    res = kpy("get", "pods", "-o", "name", kubeconfig=path)
    assert res.code == 0, res.err
    headers = {k.lower(): v for k, v in sandbox.emulator.requests[-1].headers.items()}
    assert headers["impersonate-uid"] == "u-9"
    assert headers["impersonate-extra-scopes"] == "read"
    assert headers["impersonate-extra-team%2fx%20y"] == "t"
    if KUBECTL:  # the emulator reads them as kube-apiserver does: kubectl auth whoami shows them back
        who = kubectl("auth", "whoami", "-o", "json", kubeconfig=path)
        assert who.code == 0, who.err
        info = json.loads(who.out)["status"]["userInfo"]
        assert (info["username"], info["uid"]) == ("admin-too", "u-9")
        assert info["extra"] == {"scopes": ["read"], "team/x y": ["t"]}


def test_a_uid_the_caller_may_not_impersonate_is_the_servers_denial(
    impersonator: Path, tmp_path: Path
) -> None:
    """Recorded from kube-apiserver 1.36: the same message, details and 403 for kubectl 1.32 and kpy."""
    res = kpy("get", "pods", "--as", "bob", "--as-uid", "u-7", kubeconfig=impersonator)
    assert res.code == 1
    assert res.err == (
        'Error from server (Forbidden): uids.authentication.k8s.io "u-7" is forbidden: User "imp" cannot '
        'impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope\n'
    )
    allowed = kpy("get", "pods", "--as", "bob", kubeconfig=impersonator)
    assert allowed.code == 1 and 'User "bob" cannot list resource "pods"' in allowed.err
    if KUBECTL:
        # discovery is denied too, so kubectl only words the denial like this with its discovery cached
        # (with a cold cache it says "unknown", against kube-apiserver as well)
        cache = ("--cache-dir", str(tmp_path / "cache"))
        warm = kubectl("get", "pods", "--as", "bob", *cache, kubeconfig=impersonator)
        assert (warm.code, warm.err) == (allowed.code, allowed.err)
        theirs = kubectl("get", "pods", "--as", "bob", "--as-uid", "u-7", *cache, kubeconfig=impersonator)
        assert (theirs.code, theirs.err) == (1, res.err)
