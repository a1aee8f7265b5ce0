"""metadata.managedFields written by the emulator as kube-apiserver writes them (expected values taken from a
real kube-apiserver 1.36 driven by the same kubectl commands)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def k(emu: Any, *args: str, stdin: str | None = None) -> None:
    res = kubectl(*args, kubeconfig=emu.kubeconfig_path, stdin=stdin)
    assert res.code == 0, res.err


def managed(emu: Any, what: str) -> list[dict[str, Any]]:
    res = kubectl("get", what, "-o", "json", "--show-managed-fields", kubeconfig=emu.kubeconfig_path)
    assert res.code == 0, res.err
    entries = json.loads(res.out)["metadata"]["managedFields"]
    for entry in entries:
        assert entry.pop("fieldsType") == "FieldsV1"
    return [
        {key: e[key] for key in ("manager", "operation", "fieldsV1", "subresource") if key in e}
        for e in entries
    ]


def test_create_label_patch_and_removed_fields(emu: Any) -> None:
    k(emu, "create", "cm", "mf-cm", "--from-literal=a=b")
    k(emu, "label", "cm", "mf-cm", "foo=bar")
    k(emu, "annotate", "cm", "mf-cm", "note=x")
    k(emu, "patch", "cm", "mf-cm", "-p", '{"data":{"c":"d"}}')
    k(emu, "patch", "cm", "mf-cm", "--type=json", "-p", '[{"op":"remove","path":"/data/a"}]')
    k(emu, "label", "cm", "mf-cm", "foo-")  # kubectl-label owns nothing any more: its entry goes
    entries = sorted(managed(emu, "cm/mf-cm"), key=lambda e: e["manager"])
    assert entries == [
        {
            "manager": "kubectl-annotate",
            "operation": "Update",
            "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:note": {}}}},
        },
        {"manager": "kubectl-create", "operation": "Update", "fieldsV1": {"f:data": {}}},
        {"manager": "kubectl-patch", "operation": "Update", "fieldsV1": {"f:data": {"f:c": {}}}},
    ]


def test_create_deployment_then_scale_and_set(emu: Any) -> None:
    k(emu, "create", "deployment", "mf-d", "--image=nginx", "--port=80")
    k(emu, "set", "image", "deploy/mf-d", "nginx=nginx:2")
    k(emu, "set", "env", "deploy/mf-d", "FOO=bar")
    k(emu, "scale", "deploy", "mf-d", "--replicas=2")
    entries = {e["manager"]: e for e in managed(emu, "deploy/mf-d")}
    assert entries["kubectl"] == {
        "manager": "kubectl",
        "operation": "Update",
        "subresource": "scale",
        "fieldsV1": {"f:spec": {"f:replicas": {}}},
    }
    nginx = 'k:{"name":"nginx"}'
    assert entries["kubectl-set"]["fieldsV1"] == {
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        nginx: {
                            "f:env": {".": {}, 'k:{"name":"FOO"}': {".": {}, "f:name": {}, "f:value": {}}},
                            "f:image": {},
                        }
                    }
                }
            }
        }
    }
    assert entries["kubectl-create"]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:progressDeadlineSeconds": {},
            "f:revisionHistoryLimit": {},
            "f:selector": {},
            "f:strategy": {
                "f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
                "f:type": {},
            },
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        nginx: {
                            ".": {},
                            "f:imagePullPolicy": {},
                            "f:name": {},
                            "f:ports": {
                                ".": {},
                                'k:{"containerPort":80,"protocol":"TCP"}': {
                                    ".": {},
                                    "f:containerPort": {},
                                    "f:protocol": {},
                                },
                            },
                            "f:resources": {},
                            "f:terminationMessagePath": {},
                            "f:terminationMessagePolicy": {},
                        }
                    },
                    "f:dnsPolicy": {},
                    "f:restartPolicy": {},
                    "f:schedulerName": {},
                    "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {},
                },
            },
        },
    }


def test_server_side_apply_shares_unchanged_fields_and_loses_changed_ones(emu: Any) -> None:
    first = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mf-ssa, labels: {l: v}}\ndata: {k: v, k2: v2}\n"
    )
    k(emu, "apply", "--server-side", "-f", "-", stdin=first)
    second = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mf-ssa}\ndata: {k: v}\n"
    k(emu, "apply", "--server-side", "--field-manager=other", "-f", "-", stdin=second)
    assert managed(emu, "cm/mf-ssa") == [
        {"manager": "other", "operation": "Apply", "fieldsV1": {"f:data": {"f:k": {}}}},
        {
            "manager": "kubectl",
            "operation": "Apply",
            "fieldsV1": {"f:data": {"f:k": {}, "f:k2": {}}, "f:metadata": {"f:labels": {"f:l": {}}}},
        },
    ]
    k(emu, "patch", "cm", "mf-ssa", "-p", '{"data":{"k":"changed"}}')
    assert managed(emu, "cm/mf-ssa") == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "fieldsV1": {"f:data": {"f:k2": {}}, "f:metadata": {"f:labels": {"f:l": {}}}},
        },
        {"manager": "kubectl-patch", "operation": "Update", "fieldsV1": {"f:data": {"f:k": {}}}},
    ]


def test_allocated_fields_are_owned_by_nobody(emu: Any) -> None:
    k(emu, "create", "svc", "nodeport", "mf-np", "--tcp=80:8080")
    (entry,) = managed(emu, "svc/mf-np")
    assert entry["fieldsV1"]["f:spec"] == {
        "f:externalTrafficPolicy": {},
        "f:internalTrafficPolicy": {},
        "f:ports": {
            ".": {},
            'k:{"port":80,"protocol":"TCP"}': {
                ".": {},
                "f:name": {},
                "f:port": {},
                "f:protocol": {},
                "f:targetPort": {},
            },
        },
        "f:selector": {},
        "f:sessionAffinity": {},
        "f:type": {},
    }
    k(emu, "create", "ns", "mf-ns")
    assert managed(emu, "ns/mf-ns") == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}},
        }
    ]


def test_field_manager_from_the_user_agent_and_times(emu: Any) -> None:
    from tests.integration.clihelpers import Api

    em = emu.emulator
    api = Api(em.url, em.ca_pem, em.token)
    code, obj = api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "mf-ua"}, "data": {"x": "1"}}
    )
    assert code == 201
    (entry,) = obj["metadata"]["managedFields"]
    assert entry["manager"] == "Python-urllib" and entry["time"].endswith("Z") and len(entry["time"]) == 20


def test_server_side_apply_conflicts_as_kube_apiserver_words_them(emu: Any) -> None:
    both = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mf-conflict}\ndata: {k: v, j: w}\n"
    k(emu, "apply", "--server-side", "-f", "-", stdin=both)
    k(emu, "patch", "cm", "mf-conflict", "-p", '{"data":{"k":"x","j":"y"}}')
    res = kubectl("apply", "--server-side", "-f", "-", stdin=both, kubeconfig=emu.kubeconfig_path)
    assert res.code == 1
    assert res.err.startswith(
        'error: Apply failed with 2 conflicts: conflicts with "kubectl-patch" using v1:\n- .data.j\n- .data.k\n'
    )
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mf-conflict}\ndata: {k: v}\n"
    res = kubectl("apply", "--server-side", "-f", "-", stdin=one, kubeconfig=emu.kubeconfig_path)
    assert res.err.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.k\n'
    )
    k(emu, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=one)
    assert managed(emu, "cm/mf-conflict") == [
        {"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:data": {"f:k": {}}}},
        {"manager": "kubectl-patch", "operation": "Update", "fieldsV1": {"f:data": {"f:j": {}}}},
    ]
