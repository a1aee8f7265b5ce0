"""``kpy.certs`` user flow against the emulator: CSR → approval → signer → kubeconfig → bindings → verify."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kpy.certs import access, keys
from kpy.certs.request import UserRequest, approval_body, request_certificate
from kpy.certs.user import create_user
from kpy.config import ConnectionFlags, load_client_config
from kpy.errors import CertificateError
from kpy.rest import RestClient

CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
RBAC = "/apis/rbac.authorization.k8s.io/v1"


def config_for(path: Path, tmp: Path) -> Any:
    return load_client_config(
        ConnectionFlags(kubeconfig=str(path), qps=-1.0, cache_dir=str(tmp / "cache")), env={}
    )


async def approve_when_created(client: RestClient, name: str) -> None:
    """An administrator approving the CSR once it exists (polls with a deadline)."""
    async with asyncio.timeout(10):
        while True:
            try:
                csr = (await client.request("GET", f"{CSRS}/{name}")).json()
                break
            except Exception:
                await asyncio.sleep(0.02)
    await client.request("PUT", f"{CSRS}/{name}/approval", json=approval_body(csr, "2026-01-01T00:00:00Z"))


async def test_approve_writes_a_private_kubeconfig_that_works(emulator: Any, tmp_path: Path) -> None:
    out = tmp_path / "alice.kubeconfig"
    config = config_for(emulator.kubeconfig_path, tmp_path)
    request = UserRequest("alice", groups=("dev",), approve=True, wait=10)
    async with RestClient(config) as client:
        outcome = await create_user(client, request, cluster_name="emu", out=out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert (outcome.verified.user, outcome.verified.groups) == ("alice", ("dev", "system:authenticated"))
    assert outcome.verified.method == "SelfSubjectReview"
    assert outcome.issued.approved_by_us and not outcome.issued.reused and outcome.issued.shortened_by is None
    assert outcome.issued.info.lifetime == dt.timedelta(hours=24)
    text = out.read_text()
    assert "client-key-data" in text and "certificate-authority-data" in text and emulator.url in text
    # nothing about the pending key is left behind
    assert not list((tmp_path / "cache").rglob("*.key"))


async def test_without_approve_it_waits_for_an_administrator(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    told: list[str] = []
    config = config_for(emulator.kubeconfig_path, tmp_path)
    async with RestClient(config) as mine:
        admin = asyncio.create_task(approve_when_created(client, "bob"))
        issued = await request_certificate(mine, UserRequest("bob", wait=10), on_waiting=told.append)
        await admin
    assert told == ["waiting for an administrator to run: kubectl certificate approve bob"]
    assert not issued.approved_by_us and issued.info.common_name == "bob"


async def test_approve_not_permitted_prints_the_command_and_waits(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    token = emulator.add_user("carol")
    rules = [{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests",
              "certificatesigningrequests/approval"], "verbs": ["create", "get", "list", "watch", "update"]}]  # fmt: skip
    await client.request("POST", f"{RBAC}/clusterroles", json={"metadata": {"name": "csr"}, "rules": rules})
    await client.request(
        "POST",
        f"{RBAC}/clusterrolebindings",
        json=access.binding_object(access.Binding("ClusterRole", "csr"), "carol"),
    )
    path = emulator.write_kubeconfig(tmp_path / "carol", token=token)
    told: list[str] = []
    async with RestClient(config_for(path, tmp_path)) as carol:
        task = asyncio.create_task(
            request_certificate(carol, UserRequest("dave", approve=True, wait=10), on_waiting=told.append)
        )
        async with asyncio.timeout(10):
            while not told:
                await asyncio.sleep(0.02)
        await approve_when_created(client, "dave")
        issued = await task
    assert told == [
        'you may not approve requests for signer "kubernetes.io/kube-apiserver-client"; waiting for an '
        "administrator to run: kubectl certificate approve dave"
    ]
    assert not issued.approved_by_us


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("deny", 'certificate signing request "erin" was denied (NoTestUsers: no users from tests)'),
        ("fail", 'certificate signing request "erin" failed (NoTestUsers: no users from tests)'),
    ],
)
async def test_denied_and_failed_requests_say_why(
    emulator: Any, client: RestClient, tmp_path: Path, mode: str, message: str
) -> None:
    emulator.signers.set("example.com/tests", mode, "NoTestUsers", "no users from tests")
    request = UserRequest("erin", signer="example.com/tests", approve=True, wait=10)
    with pytest.raises(CertificateError) as err:
        await request_certificate(client, request, key_dir=tmp_path)
    assert str(err.value) == message


async def test_a_signer_that_never_issues_times_out_naming_it(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    emulator.signers.set("kubernetes.io/kube-apiserver-client", "never")
    with pytest.raises(CertificateError) as err:
        await request_certificate(client, UserRequest("frank", approve=True, wait=0.5), key_dir=tmp_path)
    assert str(err.value) == (
        'timed out after 500ms waiting for signer "kubernetes.io/kube-apiserver-client" to issue certificate signing '
        'request "frank": it is approved, but nothing issued a certificate (this signer is not running on the '
        "cluster; EKS-style clusters do not sign client certificates)"
    )
    # a second run picks the same CSR up (its key was kept, 0600) once the signer works
    (kept,) = tmp_path.glob("*.key")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    emulator.signers.set("kubernetes.io/kube-apiserver-client", "sign")
    await client.request("DELETE", f"{CSRS}/frank")
    issued = await request_certificate(client, UserRequest("frank", approve=True, wait=10), key_dir=tmp_path)
    assert not issued.reused  # deleted: a fresh request with the kept key


async def test_rerun_reuses_a_pending_request_of_ours(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    with pytest.raises(CertificateError, match="to be approved"):
        await request_certificate(client, UserRequest("gina", wait=0.2), key_dir=tmp_path)
    issued = await request_certificate(client, UserRequest("gina", approve=True, wait=10), key_dir=tmp_path)
    assert issued.reused and issued.approved_by_us


async def test_someone_elses_request_of_the_same_name_is_refused(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    other = keys.build_csr(keys.generate_key(), "hank")
    body = UserRequest("hank")
    from kpy.certs.request import csr_object

    await client.request("POST", CSRS, json=csr_object(body, other))
    with pytest.raises(CertificateError) as err:
        await request_certificate(client, UserRequest("hank", approve=True, wait=1), key_dir=tmp_path)
    assert str(err.value) == (
        'certificatesigningrequest "hank" already exists (requested by kpy-admin) and was not created by this kpy: '
        "delete it (kubectl delete csr hank) or choose another name"
    )


async def test_a_shortened_certificate_says_by_how_much(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    emulator.signers.max_duration = dt.timedelta(hours=10)
    issued = await request_certificate(client, UserRequest("ivan", approve=True, wait=10), key_dir=tmp_path)
    assert issued.shortened_by == dt.timedelta(hours=14)


async def test_bind_gives_the_new_user_a_role(emulator: Any, client: RestClient, tmp_path: Path) -> None:
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    await client.request("POST", f"{RBAC}/clusterroles", json={"metadata": {"name": "view"}, "rules": rules})
    out = tmp_path / "judy.kubeconfig"
    bindings = [access.Binding.parse("clusterrole/view:default"), access.Binding.parse("view")]
    outcome = await create_user(
        client,
        UserRequest("judy", approve=True, wait=10),
        cluster_name="emu",
        out=out,
        bindings=bindings,
    )
    assert [how for _, how in outcome.bindings] == ["created", "created"]
    async with RestClient(config_for(out, tmp_path)) as judy:
        pods = (await judy.request("GET", "/api/v1/namespaces/default/pods")).json()
    assert pods["kind"] == "PodList"
    again = await access.ensure_binding(client, bindings[0], "judy")
    assert again == "unchanged"
    rb = (await client.request("GET", f"{RBAC}/namespaces/default/rolebindings/kpy-certs:judy:view")).json()
    assert json.dumps(rb["subjects"]) == json.dumps(
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "judy"}]
    )


async def test_a_used_request_is_named_as_such(emulator: Any, client: RestClient, tmp_path: Path) -> None:
    await request_certificate(client, UserRequest("kim", approve=True, wait=10), key_dir=tmp_path)
    with pytest.raises(CertificateError) as err:
        await request_certificate(client, UserRequest("kim", approve=True, wait=10), key_dir=tmp_path)
    assert str(err.value) == (
        'certificatesigningrequest "kim" already exists and its certificate was issued before (a request is used '
        "once; its key is not kept): delete it (kubectl delete csr kim) or choose another name"
    )


async def test_verification_falls_back_to_discovery(emulator: Any, tmp_path: Path) -> None:
    """A server that does not serve SelfSubjectReview (before 1.28) or forbids it: a discovery call proves the
    credentials instead."""
    emulator.faults.forbid("selfsubjectreviews", user="leo")
    async with RestClient(config_for(emulator.kubeconfig_path, tmp_path)) as client:
        outcome = await create_user(
            client,
            UserRequest("leo", approve=True, wait=10),
            cluster_name="emu",
            out=tmp_path / "leo.kubeconfig",
        )
    assert (outcome.verified.method, outcome.verified.user) == ("discovery", "")


async def test_a_dropped_watch_does_not_lose_the_certificate(
    emulator: Any, client: RestClient, tmp_path: Path
) -> None:
    told: list[str] = []
    task = asyncio.create_task(
        request_certificate(client, UserRequest("mia", wait=20), key_dir=tmp_path, on_waiting=told.append)
    )
    await emulator.wait_for_watches(1)
    assert emulator.faults.drop_watches("certificatesigningrequests") == 1
    await approve_when_created(client, "mia")
    issued = await task
    assert issued.info.common_name == "mia" and told


@pytest.mark.parametrize("key_type", ["rsa-2048", "ed25519"])
async def test_every_key_type_authenticates(emulator: Any, tmp_path: Path, key_type: str) -> None:
    async with RestClient(config_for(emulator.kubeconfig_path, tmp_path)) as client:
        outcome = await create_user(
            client,
            UserRequest(f"key-{key_type}", key_type=key_type, approve=True, wait=10),
            cluster_name="emu",
            out=tmp_path / "k.kubeconfig",
        )
    assert outcome.verified.user == f"key-{key_type}"
