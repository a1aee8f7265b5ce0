"""Paths outside the resource API answered as a real kube-apiserver answers them: the mux's plain-text 404,
JSON bodies ending with a newline (what `kubectl get --raw` prints), an indented /version, and /openapi/v2
(texts read off a real server with bench/compare_real.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl
from tests.integration.emulator.rawhttp import raw

PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


@pytest.mark.parametrize("path", ["/nosuch", "/healthz/x", "/apis/nosuch.io", "/apis/nosuch.io/v1/things"])
def test_paths_no_api_group_serves_get_the_muxs_plain_404(api: Api, path: str) -> None:
    """Upstream: the apiserver's NotFoundHandler writes "404 page not found", not a Status."""
    code, ctype, body = raw(api, path)
    assert (code, ctype.split(";")[0], body) == (404, "text/plain", b"404 page not found\n")


@pytest.mark.parametrize("path", ["/api/v2", "/apis/apps/v2", "/api/v1/namespaces/default/foos"])
def test_unknown_paths_inside_a_served_group_get_a_not_found_status(api: Api, path: str) -> None:
    code, _ctype, body = raw(api, path)
    assert code == 404
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could '
        b'not find the requested resource","reason":"NotFound","details":{},"code":404}\n'
    )


def test_objects_and_discovery_end_with_a_newline_and_version_is_indented(api: Api) -> None:
    """Upstream: the serializer's json.Encoder ends every body with a newline; /version is written with
    json.MarshalIndent (two spaces, no newline) - `kubectl get --raw` prints either as is."""
    for path in ("/api", "/api/v1/namespaces/default/pods/web"):
        body = raw(api, path)[2]
        assert body.endswith(b"}\n") and body.count(b"\n") == 1
    body = raw(api, "/version")[2]
    assert body.startswith(b'{\n  "major": "1",\n  "minor": "32",\n') and body.endswith(b'"\n}')


def test_openapi_v2_is_a_swagger_document_without_paths(api: Api) -> None:
    code, ctype, body = raw(api, "/openapi/v2", "application/json")
    doc = json.loads(body)
    assert (code, ctype, doc["swagger"], doc["paths"], doc["definitions"]) == (
        200,
        "application/json",
        "2.0",
        {},
        {},
    )
    assert raw(api, "/openapi/v2", "text/html")[0] == 406


def _protobuf_fields(data: bytes) -> dict[int, bytes]:
    """Length-delimited fields of a protobuf message (all this document has)."""
    fields: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        assert key & 7 == 2, "only length-delimited fields expected"
        size, i = _varint(data, i)
        fields[key >> 3] = data[i : i + size]
        i += size
    return fields


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def test_openapi_v2_as_protobuf_for_client_go(api: Api) -> None:
    """client-go's OpenAPISchema() asks for gnostic's protobuf (the deprecated "@v1.0" name) and unmarshals an
    openapi_v2.Document: swagger=1, info=2 {title=1, version=2}, paths=8, definitions=9."""
    code, ctype, body = raw(api, "/openapi/v2", PROTOBUF_V2)
    assert (code, ctype) == (200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
    doc = _protobuf_fields(body)
    info = _protobuf_fields(doc[2])
    assert (doc[1], info[1], doc[8], doc[9]) == (b"2.0", b"Kubernetes", b"", b"")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_apply_reads_openapi_v2_and_patches_without_warnings(emu: Any) -> None:
    """kubectl apply on an existing object fetches /openapi/v2 (protobuf) for the kind's PATCH types; with no
    paths there it patches from its compiled-in types, quietly, as after a 404 - but one request, answered
    200 like a real server's."""
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied-v2}\ndata: {a: '%s'}\n"
    first = kubectl("apply", "-f", "-", kubeconfig=emu.kubeconfig_path, stdin=manifest % "1")
    assert (first.code, first.out, first.err) == (0, "configmap/applied-v2 created\n", "")
    seen = len(emu.emulator.requests)
    second = kubectl("apply", "-f", "-", kubeconfig=emu.kubeconfig_path, stdin=manifest % "2")
    assert (second.code, second.out, second.err) == (0, "configmap/applied-v2 configured\n", "")
    asked = [
        (r.path, r.status)
        for r in list(emu.emulator.requests)[seen:]
        if "swagger" in r.path or "v2" in r.path
    ]
    assert ("/openapi/v2", 200) in asked and not [p for p, _ in asked if "swagger" in p]
