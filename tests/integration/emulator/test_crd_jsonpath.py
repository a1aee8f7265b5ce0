"""CRD printer columns and selectable fields are evaluated with client-go's JSONPath (kpy.jsonpath), filters
and indexes included. Expected output recorded from kube-apiserver 1.36 with kubectl 1.32 (the real kit):

    NAME   READY   COLOR   FIRST
    g1     True    red     a

and ``--field-selector spec.color=blue`` finds nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kubectl

from kpy.testing.fieldpath import first_value

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.gc.kpy.dev"},
    "spec": {
        "group": "gc.kpy.dev",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
                "selectableFields": [{"jsonPath": ".spec.color"}],
                "additionalPrinterColumns": [
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                    },
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
                    {"name": "First", "type": "string", "jsonPath": ".spec.parts[0].name"},
                ],
            }
        ],
    },
}
GADGET = {
    "apiVersion": "gc.kpy.dev/v1",
    "kind": "Gadget",
    "metadata": {"name": "g1", "namespace": "default"},
    "spec": {"color": "red", "parts": [{"name": "a"}, {"name": "b"}]},
    "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]},
}


def test_printer_columns_and_selectable_fields_use_kubectls_jsonpath(emu: Any) -> None:
    for obj in (CRD, GADGET):
        res = kubectl("create", "-f", "-", kubeconfig=emu.kubeconfig_path, stdin=json.dumps(obj))
        assert res.code == 0, res
    got = kubectl("get", "gadgets", kubeconfig=emu.kubeconfig_path)
    assert (got.code, got.out) == (0, "NAME   READY   COLOR   FIRST\ng1     True    red     a\n"), got
    red = kubectl(
        "get", "gadgets", "--field-selector", "spec.color=red", "-o", "name", kubeconfig=emu.kubeconfig_path
    )
    assert red.out == "gadget.gc.kpy.dev/g1\n", red
    blue = kubectl("get", "gadgets", "--field-selector", "spec.color=blue", kubeconfig=emu.kubeconfig_path)
    assert (blue.code, blue.out, blue.err) == (0, "", "No resources found in default namespace.\n"), blue


def test_first_value_is_findresults_first_result() -> None:
    assert first_value(GADGET, '.status.conditions[?(@.type=="Ready")].status') == (True, "True")
    assert first_value(GADGET, ".spec.missing") == (False, None)
    assert first_value(GADGET, "{.spec.parts[1].name}") == (True, "b")
    assert first_value(GADGET, ".spec[") == (False, None)  # does not parse: no value
