"""kubectl against the emulator, answered as kube-apiserver 1.36 answers (expected texts recorded from the
realk8s kit with the same kubectl commands; bench/compare_real.py --only fidelity repeats them on any server).

Each test names what it covers; stdout, stderr and the exit code are compared literally where the server
decides them (ages, uids and times are never part of the expectation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def k(emu: Any, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    res = kubectl(*args, kubeconfig=emu.kubeconfig_path, stdin=stdin)
    return res.code, res.out, res.err


def test_auth_can_i_asks_self_subject_access_reviews(emu: Any) -> None:
    assert k(emu, "auth", "can-i", "get", "pods") == (0, "yes\n", "")
    assert k(emu, "auth", "can-i", "get", "pods", "--as=nobody") == (1, "no\n", "")
    assert k(emu, "auth", "can-i", "get", "/api", "--as=nobody") == (0, "yes\n", "")  # system:discovery
    warning = "Warning: resource 'selfsubjectaccessreviews' is not namespace scoped in group 'authorization.k8s.io'\n\n"
    assert k(emu, "auth", "can-i", "create", "selfsubjectaccessreviews", "--as=nobody") == (
        0,
        "yes\n",
        warning,
    )


def test_impersonation_changes_who_the_request_is(emu: Any) -> None:
    expected = "ATTRIBUTE   VALUE\nUsername    bob\nGroups      [g1 system:authenticated]\n"
    assert k(emu, "auth", "whoami", "--as=bob", "--as-group=g1") == (0, expected, "")


def test_access_review_names_the_binding_that_allows_it(emu: Any, tmp_path: Path) -> None:
    assert k(emu, "create", "ns", "ssar")[0] == 0
    assert k(emu, "create", "role", "fid-reader", "-n", "ssar", "--verb=get", "--resource=pods")[0] == 0
    rb = ("create", "rolebinding", "fid-rb", "-n", "ssar", "--role=fid-reader", "--user=alice")
    assert k(emu, *rb, "--serviceaccount=ssar:sa1")[0] == 0
    body = tmp_path / "ssar.json"
    attrs = {"namespace": "ssar", "verb": "get", "resource": "pods"}
    body.write_text(json.dumps({"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attrs}}))
    code, out, err = k(emu, "create", "--raw", SSAR, "-f", str(body), "--as=alice")
    assert (code, err) == (0, "")
    review = json.loads(out)
    assert review["status"] == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "fid-rb/ssar" of Role "fid-reader" to User "alice"',
    }
    (entry,) = review["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Update")
    assert entry["fieldsV1"] == {
        "f:spec": {"f:resourceAttributes": {".": {}, "f:namespace": {}, "f:resource": {}, "f:verb": {}}}
    }
    code, out, err = k(emu, "create", "--raw", SSAR, "-f", str(body), "--as=system:serviceaccount:ssar:sa1")
    reason = 'RBAC: allowed by RoleBinding "fid-rb/ssar" of Role "fid-reader" to ServiceAccount "sa1/ssar"'
    assert json.loads(out)["status"] == {"allowed": True, "reason": reason}
    body.write_text('{"spec":{}}')
    assert k(emu, "create", "--raw", SSAR, "-f", str(body)) == (
        1,
        "",
        "The request is invalid: spec.resourceAttributes: Invalid value: null: exactly one of "
        "nonResourceAttributes or resourceAttributes must be specified\n",
    )


