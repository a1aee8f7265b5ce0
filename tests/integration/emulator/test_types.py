"""Type-specific behaviour: events in two API groups, CRDs, discovery, OpenAPI, auth by client certificate."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kpy, kubectl
from tests.integration.emulator.rawhttp import raw

CORE_EVENTS = "/api/v1/namespaces/default/events"
NEW_EVENTS = "/apis/events.k8s.io/v1/namespaces/default/events"


def test_events_k8s_io_and_core_events_are_one_object_converted_both_ways(api: Api) -> None:
    """Upstream (pkg/apis/events/v1 conversion): regarding<->involvedObject, note<->message,
    reportingController<->reportingComponent, deprecated*<->source/firstTimestamp/lastTimestamp/count."""
    new = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "conv"},
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "reportingController": "kpy/test",
        "reportingInstance": "kpy-1",
        "action": "Testing",
        "reason": "Tested",
        "note": "hello",
        "type": "Normal",
        "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
        "series": {"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"},
    }
    code, created = api.call("POST", NEW_EVENTS, new)
    assert code == 201, created
    _, core = api.call("GET", CORE_EVENTS + "/conv")
    assert (core["apiVersion"], core["message"], core["reportingComponent"]) == ("v1", "hello", "kpy/test")
    assert core["involvedObject"] == new["regarding"] and core["series"] == new["series"]
    assert core["firstTimestamp"] is None and core["source"] == {}
    old = {
        "metadata": {"name": "legacy"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Pulled",
        "message": "pulled",
        "type": "Normal",
        "count": 3,
        "source": {"component": "kubelet", "host": "node"},
        "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:05:00Z",
    }
    api.call("POST", CORE_EVENTS, old)
    _, view = api.call("GET", NEW_EVENTS + "/legacy")
    assert view["deprecatedCount"] == 3 and view["deprecatedSource"] == old["source"]
    assert view["deprecatedFirstTimestamp"] == "2024-01-01T00:00:00Z" and view["note"] == "pulled"
    assert view["regarding"] == old["involvedObject"] and view["eventTime"] is None


def test_event_field_selectors(api: Api) -> None:
    """Upstream: events select on involvedObject.*, reason, type, source, reportingComponent."""
    _, body = api.call("GET", CORE_EVENTS + "?fieldSelector=involvedObject.name%3Dweb,reason%3DPulled")
    assert {i["reason"] for i in body["items"]} == {"Pulled"}


def test_creating_a_crd_serves_its_type_and_deleting_it_removes_the_objects(api: Api) -> None:
    """Upstream: apiextensions-apiserver serves a CRD's versions once Established, generically (JSON)."""
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    code, created = api.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201
    assert {c["type"] for c in created["status"]["conditions"]} == {"Established", "NamesAccepted"}
    _, groups = api.call("GET", "/apis")
    assert "example.com" in [g["name"] for g in groups["groups"]]
    _, resources = api.call("GET", "/apis/example.com/v1")
    assert [r["name"] for r in resources["resources"]] == ["widgets"]
    path = "/apis/example.com/v1/namespaces/default/widgets"
    code, w = api.call(
        "POST",
        path,
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}},
    )
    assert code == 201 and w["metadata"]["generation"] == 1
    _, listed = api.call("GET", path)
    assert listed["kind"] == "WidgetList" and listed["items"][0]["kind"] == "Widget"
    # Upstream crdHandler: a subresource the CRD does not declare is NotFound for the object, by name.
    code, body = api.call("GET", path + "/w1/status")
    assert (code, body["message"], body["details"]) == (
        404,
        'widgets.example.com "w1" not found',
        {"name": "w1", "group": "example.com", "kind": "widgets"},
    )
    code, body = api.call(
        "PATCH", path + "/w1", {"spec": {"size": 4}}, "application/strategic-merge-patch+json"
    )
    assert (code, body["reason"]) == (415, "UnsupportedMediaType")
    api.call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    # The group is gone with its last CRD: the apiserver's mux answers, not an API handler.
    assert raw(api, path)[::2] == (404, b"404 page not found\n")
    _, groups = api.call("GET", "/apis")
    assert "example.com" not in [g["name"] for g in groups["groups"]]


def _get(api: Api, path: str, accept: str) -> tuple[str, Any]:
    req = urllib.request.Request(api.url + path)
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Accept", accept)
    with urllib.request.urlopen(req, context=api.ctx, timeout=10) as resp:
        return resp.headers["Content-Type"], json.loads(resp.read())


def test_aggregated_discovery_when_the_accept_header_asks(api: Api) -> None:
    """Upstream: Accept ...;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList returns the aggregated
    document with that content type (kubectl >= 1.30 asks for it)."""
    ctype, doc = _get(
        api, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    )
    assert ctype == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert doc["kind"] == "APIGroupDiscoveryList"
    ctype, doc = _get(api, "/api", "application/json")
    assert doc["kind"] == "APIVersions"


def test_openapi_v3_lists_field_validation_for_every_served_kind(api: Api) -> None:
    """Upstream: /openapi/v3 indexes per-group-version documents; kubectl checks the PATCH operation of a
    kind for the fieldValidation parameter to validate on the server."""
    _, root = _get(api, "/openapi/v3", "application/json")
    url = root["paths"]["apis/coordination.k8s.io/v1"]["serverRelativeURL"]
    _, doc = _get(api, url, "application/json")
    op = doc["paths"]["/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"] == {
        "group": "coordination.k8s.io",
        "version": "v1",
        "kind": "Lease",
    }
    assert "fieldValidation" in [p["name"] for p in op["parameters"]]


def test_client_certificate_authenticates(emu: Any, tmp_path: Path) -> None:
    """Upstream: a client certificate signed by the client CA authenticates as its CN."""
    em = emu.emulator
    ctx = ssl.create_default_context(cadata=em.ca_pem.decode())
    (tmp_path / "c.pem").write_bytes(em.client_cert_pem)
    (tmp_path / "k.pem").write_bytes(em.client_key_pem)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    with urllib.request.urlopen(
        urllib.request.Request(em.url + "/api/v1/namespaces"), context=ctx, timeout=10
    ) as resp:
        assert resp.status == 200
    assert em.requests[-1].user == "kpy-admin"
    config = json.loads(
        em.write_kubeconfig(tmp_path / "kc", auth="cert", namespace="kube-system").read_text()
    )
    assert "client-certificate-data" in config["users"][0]["user"]
    assert config["contexts"][0]["context"]["namespace"] == "kube-system"


def _expired_client_cert(em: Any, tmp_path: Path) -> tuple[Path, Path]:
    """A client certificate of the emulator's CA for CN=late, valid from 3 hours ago until 1 hour ago."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca = x509.load_pem_x509_certificate(em.ca_pem)
    ca_key: Any = serialization.load_pem_private_key(em.ca_key_pem, None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "late")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=3))
        .not_valid_after(now - dt.timedelta(hours=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "late.pem", tmp_path / "late.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_an_expired_client_certificate_is_unauthorized_not_a_refused_handshake(
    emu: Any, tmp_path: Path
) -> None:
    """Upstream (checked against kube-apiserver 1.36): the TLS handshake takes the certificate and the x509
    authenticator rejects it, so kubectl says "You must be logged in" rather than a TLS error."""
    em = emu.emulator
    cert_path, key_path = _expired_client_cert(em, tmp_path)
    ctx = ssl.create_default_context(cadata=em.ca_pem.decode())
    ctx.load_cert_chain(cert_path, key_path)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(em.url + "/api/v1/namespaces"), context=ctx, timeout=10)
    assert caught.value.code == 401
    assert json.loads(caught.value.read())["reason"] == "Unauthorized"
    config = json.loads(em.write_kubeconfig(tmp_path / "kc", auth="cert").read_text())
    user = config["users"][0]["user"]
    user.pop("client-certificate-data"), user.pop("client-key-data")
    user.update({"client-certificate": str(cert_path), "client-key": str(key_path)})
    (tmp_path / "kc").write_text(json.dumps(config))
    ours = kpy("get", "pods", kubeconfig=tmp_path / "kc")
    assert (ours.code, ours.err) == (1, "error: You must be logged in to the server (Unauthorized)\n")
    if KUBECTL:
        theirs = kubectl("get", "pods", kubeconfig=tmp_path / "kc")
        # kubectl's first request is discovery, whose 401 it words generically ("the server has asked for
        # the client to provide credentials"); a TLS refusal would be "Unable to connect to the server"
        assert theirs.code == 1
        assert theirs.err.splitlines()[-1].startswith("error: You must be logged in to the server (")


def test_request_log_redacts_authorization(api: Api, emu: Any) -> None:
    """The request log is for assertions; it never keeps the bearer token."""
    api.call("GET", "/api/v1/namespaces/default/pods?limit=1")
    rec = emu.emulator.requests[-1]
    assert (rec.method, rec.path, rec.query, rec.status) == (
        "GET",
        "/api/v1/namespaces/default/pods",
        {"limit": "1"},
        200,
    )
    assert emu.emulator.token not in json.dumps(rec.headers)
