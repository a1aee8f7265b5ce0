"""The emulator's resource registry, field selectors and create-time defaults (kube-apiserver 1.32)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

import pytest

from kpy.testing.defaults import allocate_cluster_ip, prepare_create
from kpy.testing.fieldlabels import field_selector_fields
from kpy.testing.resources import (
    ALL_VERBS,
    ResourceRegistry,
    ResourceType,
    sort_versions,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def crontab_crd(**overrides: Any) -> dict[str, Any]:
    crd: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "crontabs",
                "singular": "crontab",
                "kind": "CronTab",
                "shortNames": ["ct"],
                "categories": ["all"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas"}},
                    "selectableFields": [{"jsonPath": ".spec.color"}],
                    "additionalPrinterColumns": [
                        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"}
                    ],
                },
                {"name": "v1beta1", "served": True, "storage": False},
                {"name": "v1alpha1", "served": False, "storage": False},
            ],
        },
    }
    crd["spec"].update(overrides)
    return crd


@pytest.fixture
def reg() -> ResourceRegistry:
    return ResourceRegistry()


# --- builtin types, as `kubectl api-resources` lists them on a 1.32 cluster -------------------------------

BUILTINS = [
    # group, version, resource, kind, namespaced, short names, categories
    ("", "v1", "pods", "Pod", True, ("po",), ("all",)),
    ("", "v1", "services", "Service", True, ("svc",), ("all",)),
    ("", "v1", "namespaces", "Namespace", False, ("ns",), ()),
    ("", "v1", "nodes", "Node", False, ("no",), ()),
    ("", "v1", "configmaps", "ConfigMap", True, ("cm",), ()),
    ("", "v1", "secrets", "Secret", True, (), ()),
    ("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), ()),
    ("", "v1", "endpoints", "Endpoints", True, ("ep",), ()),
    ("", "v1", "events", "Event", True, ("ev",), ()),
    ("events.k8s.io", "v1", "events", "Event", True, ("ev",), ()),
    ("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",)),
    ("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",)),
    ("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",)),
    ("coordination.k8s.io", "v1", "leases", "Lease", True, (), ()),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, (), ()),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
        ("api-extensions",),
    ),
]


@pytest.mark.parametrize(("group", "version", "resource", "kind", "namespaced", "short", "cats"), BUILTINS)
def test_builtin_type_matches_upstream_discovery(
    reg: ResourceRegistry,
    group: str,
    version: str,
    resource: str,
    kind: str,
    namespaced: bool,
    short: tuple[str, ...],
    cats: tuple[str, ...],
) -> None:
    rt = reg.find(group, version, resource)
    assert rt is not None
    assert (rt.kind, rt.namespaced, rt.short_names, rt.categories) == (kind, namespaced, short, cats)
    assert rt.singular == kind.lower()
    assert reg.find_kind(group, version, kind) == rt


def test_namespaces_cannot_be_deleted_as_a_collection(reg: ResourceRegistry) -> None:
    ns = reg.find("", "v1", "namespaces")
    assert ns is not None and "deletecollection" not in ns.verbs
    pods = reg.find("", "v1", "pods")
    assert pods is not None and pods.verbs == ALL_VERBS


def test_pods_serve_status_log_and_portforward_subresources(reg: ResourceRegistry) -> None:
    pods = reg.find("", "v1", "pods")
    assert pods is not None
    assert {"status", "log", "portforward", "exec", "eviction", "binding"} <= set(pods.subresources)


def test_api_version_and_list_kind(reg: ResourceRegistry) -> None:
    pods = reg.find("", "v1", "pods")
    deploy = reg.find("apps", "v1", "deployments")
    assert pods is not None and deploy is not None
    assert (pods.api_version, pods.list_kind, pods.scope) == ("v1", "PodList", "Namespaced")
    assert (deploy.api_version, deploy.list_kind) == ("apps/v1", "DeploymentList")


def test_unknown_resource_is_none(reg: ResourceRegistry) -> None:
    assert reg.find("", "v1", "widgets") is None
    assert reg.find("apps", "v2", "deployments") is None


def test_groups_follow_apiserver_priority_order(reg: ResourceRegistry) -> None:
    groups = reg.groups()
    assert groups.index("apps") < groups.index("events.k8s.io") < groups.index("apiextensions.k8s.io")
    assert groups.index("apiextensions.k8s.io") < groups.index("coordination.k8s.io")
    assert groups.index("coordination.k8s.io") < groups.index("discovery.k8s.io")
    assert "" not in groups


def test_versions_sort_ga_before_beta_before_alpha() -> None:
    assert sort_versions(["v1alpha1", "v1beta1", "v2", "v1", "v1beta2", "foo"]) == [
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v1alpha1",
        "foo",
    ]


# --- CRDs ---------------------------------------------------------------------------------------------------


def test_add_crd_serves_every_served_version(reg: ResourceRegistry) -> None:
    added = reg.add_crd(crontab_crd())
    assert sorted(rt.version for rt in added) == ["v1", "v1beta1"]
    v1 = reg.find("stable.example.com", "v1", "crontabs")
    assert v1 is not None
    assert (v1.kind, v1.singular, v1.short_names, v1.categories) == ("CronTab", "crontab", ("ct",), ("all",))
    assert v1.namespaced and v1.subresources == ("scale", "status")
    assert v1.selectable_fields == (".spec.color",)
    assert v1.printer_columns[0]["name"] == "Spec"
    assert reg.find("stable.example.com", "v1alpha1", "crontabs") is None
    assert reg.preferred_version("stable.example.com") == "v1"
    assert "stable.example.com" in reg.groups()


def test_cluster_scoped_crd_and_defaulted_singular(reg: ResourceRegistry) -> None:
    crd = crontab_crd(scope="Cluster")
    del crd["spec"]["names"]["singular"]
    reg.add_crd(crd)
    rt = reg.find("stable.example.com", "v1", "crontabs")
    assert rt is not None and not rt.namespaced and rt.singular == "crontab"


def test_re_adding_a_crd_replaces_its_types(reg: ResourceRegistry) -> None:
    reg.add_crd(crontab_crd())
    crd = crontab_crd()
    crd["spec"]["versions"] = [{"name": "v2", "served": True, "storage": True}]
    reg.add_crd(crd)
    assert reg.find("stable.example.com", "v1", "crontabs") is None
    assert reg.find("stable.example.com", "v2", "crontabs") is not None


def test_remove_crd_stops_serving_it(reg: ResourceRegistry) -> None:
    before = len(reg.all())
    reg.add_crd(crontab_crd())
    reg.remove_crd("crontabs.stable.example.com")
    assert reg.find("stable.example.com", "v1", "crontabs") is None
    assert "stable.example.com" not in reg.groups()
    assert len(reg.all()) == before


def test_remove_unknown_crd_is_harmless(reg: ResourceRegistry) -> None:
    before = reg.all()
    reg.remove_crd("nothing.example.com")
    assert reg.all() == before


# --- field selectors ----------------------------------------------------------------------------------------


def _rt(reg: ResourceRegistry, group: str, resource: str) -> ResourceType:
    rt = reg.find(group, "v1", resource)
    assert rt is not None
    return rt


def test_pod_field_selector_fields(reg: ResourceRegistry) -> None:
    pod = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "nodeName": "n1",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
        },
        "status": {"phase": "Running", "podIP": "10.0.0.1"},
    }
    fields = field_selector_fields(_rt(reg, "", "pods"), pod)
    assert fields == {
        "metadata.name": "web",
        "metadata.namespace": "default",
        "spec.nodeName": "n1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "default",
        "spec.hostNetwork": "false",
        "status.phase": "Running",
        "status.podIP": "10.0.0.1",
        "status.nominatedNodeName": "",
    }


def test_core_event_field_selector_fields(reg: ResourceRegistry) -> None:
    ev = {
        "metadata": {"name": "e1", "namespace": "default"},
        "involvedObject": {
            "kind": "Pod",
            "name": "web",
            "namespace": "default",
            "uid": "u1",
            "apiVersion": "v1",
            "fieldPath": "spec.containers{web}",
        },
        "reason": "Started",
        "type": "Normal",
        "reportingComponent": "kubelet",
    }
    fields = field_selector_fields(_rt(reg, "", "events"), ev)
    assert fields["involvedObject.kind"] == "Pod"
    assert fields["involvedObject.fieldPath"] == "spec.containers{web}"
    assert fields["reason"] == "Started" and fields["type"] == "Normal"
    # EventToSelectableFields: an empty source.component falls back to the reporting component
    assert fields["source"] == "kubelet"
    assert set(fields) == {
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }


def test_events_v1_field_selector_uses_regarding(reg: ResourceRegistry) -> None:
    ev = {
        "metadata": {"name": "e1", "namespace": "default"},
        "regarding": {"kind": "Pod", "name": "web"},
        "reportingController": "kubelet",
        "reason": "Pulled",
        "type": "Normal",
    }
    fields = field_selector_fields(_rt(reg, "events.k8s.io", "events"), ev)
    assert fields["regarding.kind"] == "Pod" and fields["regarding.name"] == "web"
    assert fields["reportingController"] == "kubelet"


def test_nodes_and_namespaces_do_not_accept_metadata_namespace(reg: ResourceRegistry) -> None:
    node_fields = field_selector_fields(_rt(reg, "", "nodes"), {"metadata": {"name": "n"}, "spec": {}})
    assert node_fields == {"metadata.name": "n", "spec.unschedulable": "false"}
    ns_fields = field_selector_fields(
        _rt(reg, "", "namespaces"), {"metadata": {"name": "d"}, "status": {"phase": "Active"}}
    )
    assert ns_fields == {"metadata.name": "d", "status.phase": "Active"}


@pytest.mark.parametrize(
    ("group", "resource", "obj", "extra"),
    [
        ("", "secrets", {"type": "Opaque"}, {"type": "Opaque"}),
        ("apps", "replicasets", {"status": {"replicas": 3}}, {}),  # apps/v1 registers no field labels
        (
            "",
            "services",
            {"spec": {"clusterIP": "10.96.0.9", "type": "ClusterIP"}},
            {"spec.clusterIP": "10.96.0.9", "spec.type": "ClusterIP"},
        ),
        ("", "configmaps", {}, {}),
        ("coordination.k8s.io", "leases", {}, {}),
    ],
)
def test_kind_specific_field_selectors(
    reg: ResourceRegistry, group: str, resource: str, obj: dict[str, Any], extra: dict[str, str]
) -> None:
    obj = {"metadata": {"name": "x", "namespace": "ns"}, **obj}
    assert field_selector_fields(_rt(reg, group, resource), obj) == {
        "metadata.name": "x",
        "metadata.namespace": "ns",
        **extra,
    }


def test_crd_selectable_fields_are_offered(reg: ResourceRegistry) -> None:
    reg.add_crd(crontab_crd())
    rt = reg.find("stable.example.com", "v1", "crontabs")
    assert rt is not None
    obj = {"metadata": {"name": "c", "namespace": "d"}, "spec": {"color": "blue"}}
    assert field_selector_fields(rt, obj) == {
        "metadata.name": "c",
        "metadata.namespace": "d",
        "spec.color": "blue",
    }


def test_field_set_of_empty_object_lists_the_supported_labels(reg: ResourceRegistry) -> None:
    assert "status.phase" in field_selector_fields(_rt(reg, "", "pods"), {})
    assert "foo" not in field_selector_fields(_rt(reg, "", "pods"), {})


# --- create-time defaults ------------------------------------------------------------------------------------


def test_pod_defaults(reg: ResourceRegistry) -> None:
    pod: dict[str, Any] = {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]},
                {"name": "b", "image": "nginx:1.27"},
                {"name": "c", "image": "nginx:latest"},
                {"name": "d", "image": "reg.io/nginx@sha256:abc"},
                {"name": "e", "image": "localhost:5000/app"},
            ]
        },
    }
    out = prepare_create(_rt(reg, "", "pods"), pod, NOW)
    assert out is pod
    assert (out["apiVersion"], out["kind"]) == ("v1", "Pod")
    spec = out["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    assert [t["key"] for t in spec["tolerations"]] == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]
    pulls = [c["imagePullPolicy"] for c in spec["containers"]]
    assert pulls == ["Always", "IfNotPresent", "Always", "IfNotPresent", "Always"]
    first = spec["containers"][0]
    assert first["terminationMessagePath"] == "/dev/termination-log"
    assert first["terminationMessagePolicy"] == "File"
    assert first["ports"][0]["protocol"] == "TCP"
    assert out["status"]["phase"] == "Pending"


def test_pod_defaults_keep_what_the_client_set(reg: ResourceRegistry) -> None:
    pod: dict[str, Any] = {
        "metadata": {"name": "p"},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": "robot",
            "containers": [{"name": "a", "image": "nginx", "imagePullPolicy": "Never"}],
        },
        "status": {"phase": "Running"},
    }
    out = prepare_create(_rt(reg, "", "pods"), pod, NOW)
    assert out["spec"]["restartPolicy"] == "Never"
    assert out["spec"]["serviceAccount"] == "robot"
    assert out["spec"]["containers"][0]["imagePullPolicy"] == "Never"
    assert out["status"]["phase"] == "Running"


def test_service_defaults_assign_cluster_ip_and_target_port(reg: ResourceRegistry) -> None:
    svc: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]},
    }
    out = prepare_create(_rt(reg, "", "services"), svc, NOW)
    spec = out["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip in ipaddress.ip_network("10.96.0.0/12") and str(ip) not in ("10.96.0.0", "10.96.0.1")
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ports"][0] == {"port": 80, "protocol": "TCP", "targetPort": 80}
    assert spec["ports"][1]["targetPort"] == "https"
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert "nodePort" not in spec["ports"][0]


def test_cluster_ip_allocation_is_stable_and_spreads() -> None:
    assert allocate_cluster_ip("default", "a") == allocate_cluster_ip("default", "a")
    ips = {allocate_cluster_ip("default", f"svc{i}") for i in range(200)}
    assert len(ips) == 200


def test_nodeport_and_headless_and_externalname_services(reg: ResourceRegistry) -> None:
    rt = _rt(reg, "", "services")
    np = prepare_create(
        rt,
        {"metadata": {"name": "n", "namespace": "d"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}},
        NOW,
    )
    assert 30000 <= np["spec"]["ports"][0]["nodePort"] <= 32767
    assert np["spec"]["externalTrafficPolicy"] == "Cluster"
    headless = prepare_create(rt, {"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}}, NOW)
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["clusterIPs"] == ["None"]
    ext = prepare_create(
        rt, {"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "example.com"}}, NOW
    )
    assert "clusterIP" not in ext["spec"]


def test_deployment_defaults(reg: ResourceRegistry) -> None:
    d: dict[str, Any] = {
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "w", "image": "nginx"}]},
            },
        },
    }
    out = prepare_create(_rt(reg, "apps", "deployments"), d, NOW)
    spec = out["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    tspec = spec["template"]["spec"]
    assert (
        tspec["restartPolicy"] == "Always"
        and "serviceAccountName" not in tspec
        and "tolerations" not in tspec
    )
    assert "creationTimestamp" not in spec["template"]["metadata"]  # kube-apiserver 1.34+ omits it


def test_namespace_gets_its_name_label_and_active_phase(reg: ResourceRegistry) -> None:
    out = prepare_create(_rt(reg, "", "namespaces"), {"metadata": {"name": "team"}}, NOW)
    assert out["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    assert out["status"] == {"phase": "Active"} and out["spec"] == {"finalizers": ["kubernetes"]}


def test_lease_and_event_get_no_spec_defaults(reg: ResourceRegistry) -> None:
    lease = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}}
    assert prepare_create(_rt(reg, "coordination.k8s.io", "leases"), lease, NOW) == {
        "metadata": {"name": "l"},
        "spec": {"holderIdentity": "a"},
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
    }
    secret = prepare_create(_rt(reg, "", "secrets"), {"metadata": {"name": "s"}}, NOW)
    assert secret["type"] == "Opaque"
