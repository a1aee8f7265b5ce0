"""certificates.k8s.io/v1 CSRs, RBAC and SelfSubjectReview in the emulator, as kube-apiserver 1.36 answered
them on the realk8s kit (checked by hand: texts of the validation errors and of the approval denial, the
``kubectl get csr`` columns, ``kubectl certificate approve/deny``, ``kubectl auth whoami``), with kubectl as
the client. The signer is the emulator's (the real kit has no controller-manager)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl

from kpy.certs import files, keys
from kpy.certs.inspect import parse_certificates

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is the client here")
CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
CLIENT = "kubernetes.io/kube-apiserver-client"


def k(emu: Any, *args: str, kubeconfig: Path | None = None) -> Any:
    return kubectl(*args, kubeconfig=kubeconfig or emu.kubeconfig_path)


def csr_body(
    name: str, *, user: str = "alice", groups: tuple[str, ...] = ("dev",), **spec: Any
) -> dict[str, Any]:
    key = keys.generate_key()
    request = base64.b64encode(keys.build_csr(key, user, groups)).decode()
    body_spec = {"request": request, "signerName": CLIENT, "usages": ["client auth"], **spec}
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": body_spec,
    }, keys.key_pem(key)


def test_create_fills_the_requestor_and_get_csr_prints_kubectls_columns(emu: Any, api: Api) -> None:
    body, _ = csr_body("t-columns", expirationSeconds=86400, status={"certificate": "eA=="})
    code, created = api.call("POST", CSRS, body)
    assert code == 201, created
    assert created["spec"]["username"] == "kpy-admin"
    assert created["spec"]["groups"] == ["system:masters", "system:authenticated"]
    assert created["status"] == {}
    res = k(emu, "get", "csr", "t-columns")
    assert res.code == 0, res.err
    header, row = res.out.splitlines()
    assert header.split() == ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"]
    cells = row.split()
    assert (cells[0], cells[2:]) == ("t-columns", [CLIENT, "kpy-admin", "24h", "Pending"])


def test_validation_errors_are_the_real_servers(emu: Any, api: Api) -> None:
    body, _ = csr_body("t-invalid", expirationSeconds=100, usages=[])
    del body["spec"]["signerName"]
    code, err = api.call("POST", CSRS, body)
    assert code == 422
    assert err["message"] == (
        'CertificateSigningRequest.certificates.k8s.io "t-invalid" is invalid: [spec.usages: Required value, '
        "spec.signerName: Required value, spec.expirationSeconds: Invalid value: 100: may not specify a "
        "duration less than 600 seconds (10 minutes)]"
    )
    body, _ = csr_body("t-invalid", signerName="bad")
    body["spec"]["request"] = "aGVsbG8="
    code, err = api.call("POST", CSRS, body)
    assert err["message"] == (
        'CertificateSigningRequest.certificates.k8s.io "t-invalid" is invalid: [spec.request: Invalid value: '
        '"aGVsbG8=": PEM block type must be CERTIFICATE REQUEST, spec.signerName: Invalid value: "bad": must be '
        "a fully qualified domain and path of the form 'example.com/signer-name']"
    )


def test_kubectl_approve_issues_a_certificate_that_authenticates(emu: Any, api: Api, tmp_path: Path) -> None:
    body, key_pem = csr_body("t-approve", user="alice", groups=("dev", "ops"), expirationSeconds=3600)
    assert api.call("POST", CSRS, body)[0] == 201
    res = k(emu, "certificate", "approve", "t-approve")
    assert (res.code, res.out.strip()) == (
        0,
        "certificatesigningrequest.certificates.k8s.io/t-approve approved",
    )
    _, csr = api.call("GET", f"{CSRS}/t-approve")
    approved = csr["status"]["conditions"][0]
    assert (approved["type"], approved["status"], approved["reason"]) == (
        "Approved",
        "True",
        "KubectlApprove",
    )
    cert_pem = base64.b64decode(csr["status"]["certificate"])
    (info,) = parse_certificates(cert_pem)
    assert (info.common_name, info.organizations) == ("alice", ("dev", "ops"))
    # 1h requested: under 8h the end is not backdated, the start is (5 minutes)
    assert (info.not_after - info.not_before).total_seconds() == 3600 + 300
    assert k(emu, "get", "csr", "t-approve").out.split()[-1] == "Approved,Issued"
    again = k(emu, "certificate", "deny", "t-approve")
    assert (again.code, again.err.strip()) == (
        1,
        'error: certificate signing request "t-approve" is already Approved',
    )
    kubeconfig = tmp_path / "alice.kubeconfig"
    em = emu.emulator
    files.write_kubeconfig(
        kubeconfig,
        files.user_kubeconfig(
            cluster_name="emu",
            server=em.url,
            ca_pem=em.ca_pem,
            user_name="alice",
            cert_pem=cert_pem,
            key_pem=key_pem,
        ),
    )
    who = k(emu, "auth", "whoami", "-o", "json", kubeconfig=kubeconfig)
    assert who.code == 0, who.err
    user = json.loads(who.out)["status"]["userInfo"]
    assert (user["username"], user["groups"]) == ("alice", ["dev", "ops", "system:authenticated"])
    assert user["extra"]["authentication.kubernetes.io/credential-id"][0].startswith("X509SHA256=")
    denied = k(emu, "get", "pods", kubeconfig=kubeconfig)
    assert denied.err.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group '
        '"" in the namespace "default"'
    )


def test_deny_and_the_signers_validation_failure(emu: Any, api: Api) -> None:
    body, _ = csr_body("t-deny")
    api.call("POST", CSRS, body)
    assert k(emu, "certificate", "deny", "t-deny").code == 0
    assert k(emu, "get", "csr", "t-deny").out.split()[-1] == "Denied"
    body, _ = csr_body("t-fail", usages=["client auth", "server auth"])
    assert api.call("POST", CSRS, body)[0] == 201  # accepted at create: the signer rejects it
    k(emu, "certificate", "approve", "t-fail")
    _, csr = api.call("GET", f"{CSRS}/t-fail")
    failed = csr["status"]["conditions"][-1]
    assert (failed["type"], failed["reason"], failed["message"]) == (
        "Failed",
        "SignerValidationFailure",
        "invalid usage for client certificate: server auth",
    )
    assert k(emu, "get", "csr", "t-fail").out.split()[-1] == "Approved,Failed"


def test_expiration_is_capped_by_the_signing_duration(emu: Any, api: Api) -> None:
    import datetime as dt

    emu.emulator.signers.max_duration = dt.timedelta(hours=10)
    try:
        body, _ = csr_body("t-capped", expirationSeconds=86400)
        api.call("POST", CSRS, body)
        k(emu, "certificate", "approve", "t-capped")
        _, csr = api.call("GET", f"{CSRS}/t-capped")
    finally:
        emu.emulator.signers.max_duration = dt.timedelta(days=365)
    (info,) = parse_certificates(base64.b64decode(csr["status"]["certificate"]))
    assert info.not_after - info.not_before == dt.timedelta(hours=10)


def test_approval_needs_the_approve_verb_on_the_signer(emu: Any, api: Api) -> None:
    em = emu.emulator
    token = em.add_user("bob")
    rules = [
        {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"],
         "verbs": ["get", "list", "watch", "create"]},
        {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"],
         "verbs": ["update"]},
    ]  # fmt: skip
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    api.call("POST", f"{rbac}/clusterroles", {"metadata": {"name": "csr-partial"}, "rules": rules})
    api.call(
        "POST",
        f"{rbac}/clusterrolebindings",
        {
            "metadata": {"name": "csr-partial"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "csr-partial",
            },
            "subjects": [{"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"}],
        },
    )
    bob = Api(em.url, em.ca_pem, token)
    body, _ = csr_body("t-bob")
    code, created = bob.call("POST", CSRS, body)
    assert code == 201, created
    assert (created["spec"]["username"], created["spec"]["groups"]) == ("bob", ["system:authenticated"])
    kubeconfig = em.write_kubeconfig(em._tmpdir / "bob", token=token)
    res = k(emu, "certificate", "approve", "t-bob", kubeconfig=kubeconfig)
    assert res.err.strip() == (
        'Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io "t-bob" is forbidden: '
        'user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"'
    )
    rules.append({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"],
                  "resourceNames": ["kubernetes.io/*"]})  # fmt: skip
    code, role = api.call("GET", f"{rbac}/clusterroles/csr-partial")
    role["rules"] = rules
    assert api.call("PUT", f"{rbac}/clusterroles/csr-partial", role)[0] == 200
    assert k(emu, "certificate", "approve", "t-bob", kubeconfig=kubeconfig).code == 0
    who = k(emu, "auth", "whoami", kubeconfig=kubeconfig)
    assert who.out.split() == ["ATTRIBUTE", "VALUE", "Username", "bob", "Groups", "[system:authenticated]"]


def test_signer_modes_never_and_deny(emu: Any, api: Api) -> None:
    em = emu.emulator
    em.signers.set("example.com/never", "never")
    em.signers.set("example.com/deny", "deny", "PolicyDenied", "no users from tests")
    body, _ = csr_body("t-never", signerName="example.com/never")
    api.call("POST", CSRS, body)
    k(emu, "certificate", "approve", "t-never")
    _, csr = api.call("GET", f"{CSRS}/t-never")
    assert "certificate" not in csr["status"]
    body, _ = csr_body("t-denied", signerName="example.com/deny")
    api.call("POST", CSRS, body)
    _, csr = api.call("GET", f"{CSRS}/t-denied")
    cond = csr["status"]["conditions"][0]
    assert (cond["type"], cond["reason"], cond["message"]) == (
        "Denied",
        "PolicyDenied",
        "no users from tests",
    )


def test_rbac_tables_are_the_real_servers(emu: Any, api: Api) -> None:
    """kube-apiserver 1.36: ``kubectl get rolebinding -o wide`` and ``kubectl get role`` columns and cells."""
    rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
    api.call(
        "POST",
        f"{rbac}/rolebindings",
        {
            "metadata": {"name": "t-rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [
                {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "ServiceAccount", "name": "restricted", "namespace": "default"},
            ],
        },
    )
    api.call("POST", f"{rbac}/roles", {"metadata": {"name": "t-role"}, "rules": []})
    wide = k(emu, "get", "rolebinding", "t-rb", "-o", "wide").out.splitlines()
    assert wide[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    cells = wide[1].split()
    assert (cells[:2], cells[3:]) == (["t-rb", "ClusterRole/view"], ["alice", "devs", "default/restricted"])
    role = k(emu, "get", "role", "t-role").out.splitlines()
    assert role[0].split() == ["NAME", "CREATED", "AT"] and role[1].split()[1].endswith("Z")


def test_kubectl_create_role_and_binding_grant_access(emu: Any, api: Api) -> None:
    """kubectl's typed create commands send protobuf; the binding then authorizes a token user."""
    em = emu.emulator
    token = em.add_user("nora")
    assert (
        k(emu, "create", "clusterrole", "t-cm-reader", "--verb=get,list", "--resource=configmaps").code == 0
    )
    res = k(
        emu, "create", "rolebinding", "t-nora", "--clusterrole=t-cm-reader", "--user=nora", "-n", "default"
    )
    assert res.code == 0, res.err
    _, rb = api.call("GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/t-nora")
    assert rb["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "t-cm-reader",
    }
    kubeconfig = em.write_kubeconfig(em._tmpdir / "nora", token=token)
    assert k(emu, "get", "configmaps", "-n", "default", kubeconfig=kubeconfig).code == 0
    denied = k(emu, "get", "configmaps", "-n", "kube-system", kubeconfig=kubeconfig)
    assert denied.err.strip() == (
        'Error from server (Forbidden): configmaps is forbidden: User "nora" cannot list resource "configmaps" in '
        'API group "" in the namespace "kube-system"'
    )


def test_status_writes_are_checked_as_upstream(emu: Any, api: Api) -> None:
    body, _ = csr_body("t-status")
    _, csr = api.call("POST", CSRS, body)
    csr["status"] = {"certificate": "aGVsbG8="}
    code, err = api.call("PUT", f"{CSRS}/t-status/status", csr)
    assert (code, err["message"]) == (
        422,
        'CertificateSigningRequest.certificates.k8s.io "t-status" is invalid: status.certificate: Invalid value: '
        '"<certificate data>": must contain at least one CERTIFICATE PEM block',
    )
    csr["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "X"}]}
    code, err = api.call("PUT", f"{CSRS}/t-status/status", csr)
    assert err["message"] == (
        'CertificateSigningRequest.certificates.k8s.io "t-status" is invalid: status.conditions: Forbidden: '
        'updates may not add a condition of type "Approved"'
    )
    csr["status"] = {"conditions": [{"type": "Failed", "status": "True", "reason": "X", "message": "m"}]}
    code, failed = api.call("PUT", f"{CSRS}/t-status/status", csr)
    assert code == 200 and failed["status"]["conditions"][0]["lastUpdateTime"]
    failed["status"] = {"conditions": []}
    code, err = api.call("PUT", f"{CSRS}/t-status/status", failed)
    assert err["message"].endswith(
        'status.conditions: Forbidden: updates may not remove a condition of type "Failed"'
    )
    res = k(
        emu,
        "get",
        "csr",
        "--field-selector",
        "spec.signerName=kubernetes.io/kube-apiserver-client",
        "-o",
        "name",
    )
    assert "certificatesigningrequest.certificates.k8s.io/t-status" in res.out.split()
    none = k(emu, "get", "csr", "--field-selector", "spec.signerName=example.com/x")
    assert none.err.strip() == "No resources found"


def test_approval_by_merge_patch(emu: Any, api: Api) -> None:
    body, _ = csr_body("t-patch")
    api.call("POST", CSRS, body)
    patch = {"status": {"conditions": [{"type": "Approved", "status": "True", "reason": "ByPatch"}]}}
    code, csr = api.call(
        "PATCH", f"{CSRS}/t-patch/approval", patch, content_type="application/merge-patch+json"
    )
    assert code == 200, csr
    assert [c["reason"] for c in csr["status"]["conditions"]] == ["ByPatch"]
    _, csr = api.call("GET", f"{CSRS}/t-patch")
    assert csr["status"]["certificate"]  # the signer issued after the patch approved it
