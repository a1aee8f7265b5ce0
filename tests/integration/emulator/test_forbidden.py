"""A user without RBAC (``Emulator.add_user``; ``nobody_kubeconfig_path``) gets the real server's 403s.

The expected texts are kube-apiserver's answers to the realk8s kit's static-token user "nobody" (no
bindings), read with bench/compare_real.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl

NS = "/api/v1/namespaces/default"


@pytest.fixture(scope="module")
def nobody(emu: Any, api: Api) -> Api:
    return Api(api.url, emu.emulator.ca_pem, emu.emulator.nobody_token)


def _call(client: Api, method: str, path: str) -> tuple[int, Any]:
    req = urllib.request.Request(client.url + path, method=method, data=b"{}" if method == "POST" else None)
    req.add_header("Authorization", f"Bearer {client.token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, context=client.ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


_CASES = [
    (
        "GET",
        f"{NS}/pods",
        'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "default"',
        {"kind": "pods"},
    ),
    (
        "GET",
        f"{NS}/pods/web",
        'pods "web" is forbidden: User "nobody" cannot get resource "pods" in API group "" in the namespace '
        '"default"',
        {"name": "web", "kind": "pods"},
    ),
    (
        "GET",
        "/api/v1/pods",
        'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" at the cluster scope',
        {"kind": "pods"},
    ),
    (
        "GET",
        f"{NS}/pods?watch=1",
        'pods is forbidden: User "nobody" cannot watch resource "pods" in API group "" in the namespace "default"',
        {"kind": "pods"},
    ),
    (
        "GET",
        "/apis/apps/v1/namespaces/default/deployments/web",
        'deployments.apps "web" is forbidden: User "nobody" cannot get resource "deployments" in API group "apps"'
        ' in the namespace "default"',
        {"name": "web", "group": "apps", "kind": "deployments"},
    ),
    (
        "GET",
        f"{NS}/pods/web/log",
        'pods "web" is forbidden: User "nobody" cannot get resource "pods/log" in API group "" in the namespace '
        '"default"',
        {"name": "web", "kind": "pods"},
    ),
    (
        "DELETE",
        f"{NS}/pods/web",
        'pods "web" is forbidden: User "nobody" cannot delete resource "pods" in API group "" in the namespace '
        '"default"',
        {"name": "web", "kind": "pods"},
    ),
    (
        "POST",
        f"{NS}/configmaps",
        'configmaps is forbidden: User "nobody" cannot create resource "configmaps" in API group "" in the '
        'namespace "default"',
        {"kind": "configmaps"},
    ),
    (
        "GET",
        "/apis/coordination.k8s.io/v1/namespaces/default/leases/x",
        'leases.coordination.k8s.io "x" is forbidden: User "nobody" cannot get resource "leases" in API group '
        '"coordination.k8s.io" in the namespace "default"',
        {"name": "x", "group": "coordination.k8s.io", "kind": "leases"},
    ),
    (
        "GET",
        "/api/v1/namespaces/default",
        'namespaces "default" is forbidden: User "nobody" cannot get resource "namespaces" in API group "" in the'
        ' namespace "default"',
        {"name": "default", "kind": "namespaces"},
    ),
]


@pytest.mark.parametrize(("method", "path", "message", "details"), _CASES)
def test_a_user_without_rbac_gets_the_authorizers_403(
    nobody: Api, method: str, path: str, message: str, details: dict[str, str]
) -> None:
    """Upstream: errors.NewForbidden(gr, name, authorizer reason); the subresource is named in the verb's
    resource, the namespace of a Namespace is its own name, a missing object is still 403 (authorization
    comes first)."""
    code, body = _call(nobody, method, path)
    assert (code, body["reason"], body["message"], body["details"]) == (403, "Forbidden", message, details)


def test_a_user_without_rbac_may_discover(nobody: Api) -> None:
    """system:discovery / system:public-info-viewer: discovery, /version and OpenAPI are allowed."""
    for path in ("/api", "/apis", "/api/v1", "/apis/apps/v1", "/version", "/openapi/v3"):
        assert nobody.call("GET", path)[0] == 200, path


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_as_nobody_reports_each_forbidden_type(emu: Any) -> None:
    """What kubectl prints on a real server for `get pods,svc -o json` as a user without RBAC."""
    res = kubectl("get", "pods,svc", "-o", "json", kubeconfig=emu.emulator.nobody_kubeconfig_path)
    assert res.code == 1
    assert json.loads(res.out) == {
        "apiVersion": "v1",
        "items": [],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    assert res.err == (
        'Error from server (Forbidden): pods is forbidden: User "nobody" cannot list resource "pods" in API group'
        ' "" in the namespace "default"\n'
        'Error from server (Forbidden): services is forbidden: User "nobody" cannot list resource "services" in'
        ' API group "" in the namespace "default"\n'
    )


def _anonymous(api: Api, path: str) -> tuple[int, Any]:
    req = urllib.request.Request(api.url + path)  # no credentials at all
    try:
        with urllib.request.urlopen(req, context=api.ctx, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_requests_without_credentials_are_system_anonymous(api: Api) -> None:
    """Upstream (anonymous auth on, the default): no credentials is user system:anonymous, which RBAC lets
    read /version and the health checks only: resources and discovery paths are 403, not 401."""
    assert _anonymous(api, "/version")[0] == 200
    assert _anonymous(api, "/healthz") == (200, b"ok")
    code, body = _anonymous(api, f"{NS}/pods")
    assert (code, body["message"], body["details"]) == (
        403,
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the '
        'namespace "default"',
        {"kind": "pods"},
    )
    for path in ("/api", "/apis", "/openapi/v2"):
        code, body = _anonymous(api, path)
        assert (code, body["reason"], body["message"], body["details"]) == (
            403,
            "Forbidden",
            f'forbidden: User "system:anonymous" cannot get path "{path}"',
            {},
        )
