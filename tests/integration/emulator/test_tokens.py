"""``kubectl create token`` against the emulator: the TokenRequest subresource answers as kube-apiserver 1.36 did
(checked by hand on the realk8s kit), and the token then authenticates as the ServiceAccount."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is the client here")


def k(emu: Any, *args: str) -> Any:
    return kubectl(*args, kubeconfig=emu.kubeconfig_path)


@pytest.fixture(scope="module")
def account(emu: Any, api: Api) -> dict[str, Any]:
    code, sa = api.call(
        "POST", "/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "builder"}}
    )
    assert code == 201, sa
    return dict(sa)


def test_create_token_returns_a_token_request(emu: Any, account: dict[str, Any]) -> None:
    res = k(emu, "create", "token", "builder", "-o", "json")
    assert res.code == 0, res.err
    body = json.loads(res.out)
    assert (body["kind"], body["apiVersion"]) == ("TokenRequest", "authentication.k8s.io/v1")
    meta = body["metadata"]
    assert (meta["name"], meta["namespace"], meta["uid"]) == (
        "builder",
        "default",
        account["metadata"]["uid"],
    )
    assert body["spec"] == {
        "audiences": ["https://kubernetes.default.svc.cluster.local"],
        "expirationSeconds": 3600,
        "boundObjectRef": None,
    }
    assert body["status"]["token"] and body["status"]["expirationTimestamp"].endswith("Z")


@pytest.mark.parametrize(
    ("args", "spec"),
    [
        (
            ("--audience", "a", "--audience", "b"),
            '{"audiences":["a","b"],"boundObjectRef":null,"expirationSeconds":3600}',
        ),
        (
            ("--duration=20m",),
            '{"audiences":["https://kubernetes.default.svc.cluster.local"],'
            '"boundObjectRef":null,"expirationSeconds":1200}',
        ),
        (
            ("--bound-object-kind", "Pod", "--bound-object-name", "web"),
            '{"audiences":["https://kubernetes.default.svc.cluster.local"],'
            '"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"web"},"expirationSeconds":3600}',
        ),
    ],
)
def test_create_token_options(emu: Any, account: dict[str, Any], args: tuple[str, ...], spec: str) -> None:
    res = k(emu, "create", "token", "builder", *args, "-o", "jsonpath={.spec}")
    assert (res.code, res.out, res.err) == (0, spec, "")


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (("nosuch",), 'serviceaccounts "nosuch" not found'),
        (("builder", "-n", "nosuchns"), 'namespaces "nosuchns" not found'),
        (
            ("nosuch", "--duration=1s"),
            'serviceaccounts "nosuch" not found',
        ),  # the account before the duration
        (
            ("builder", "--duration=1s"),
            'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
            "Invalid value: 1: may not specify a duration less than 10 minutes",
        ),
        (
            ("builder", "--bound-object-kind", "Pod", "--bound-object-name", "nosuch"),
            'pods "nosuch" not found',
        ),
    ],
)
def test_create_token_errors(emu: Any, account: dict[str, Any], args: tuple[str, ...], err: str) -> None:
    res = k(emu, "create", "token", *args)
    assert (res.code, res.out, res.err) == (1, "", f"error: failed to create token: {err}\n")


def test_the_token_authenticates_as_the_service_account(emu: Any, api: Api, account: dict[str, Any]) -> None:
    token = k(emu, "create", "token", "builder").out.strip()
    res = k(emu, "--token", token, "get", "pod", "web", "-o", "name")
    assert (res.code, res.out) == (0, "pod/web\n"), res.err
    seen = [r for r in emu.emulator.requests if r.path == "/api/v1/namespaces/default/pods/web"]
    assert seen[-1].user == "system:serviceaccount:default:builder"
    # a new ServiceAccount of the same name does not inherit the old one's tokens
    assert api.call("DELETE", "/api/v1/namespaces/default/serviceaccounts/builder")[0] == 200
    assert (
        api.call("POST", "/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "builder"}})[0]
        == 201
    )
    res = k(emu, "--token", token, "get", "pod", "web", "-o", "name")
    assert (res.code, res.err) == (1, "error: You must be logged in to the server (Unauthorized)\n")
