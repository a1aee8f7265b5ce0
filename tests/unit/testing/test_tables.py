"""Server-side Tables: columns and cells as kube-apiserver's printers (printers.go) produce them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.unit.testing.kubectl_oracle import KUBECTL, discovery_route, kubectl, serve

from kpy.testing import discovery as d
from kpy.testing.resources import ResourceRegistry, ResourceType
from kpy.testing.tables import (
    format_endpoints,
    human_duration,
    selector_string,
    to_table,
    translate_timestamp_since,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
REG = ResourceRegistry()


def ago(**kw: float) -> str:
    return (NOW - timedelta(**kw)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rt(group: str, resource: str, version: str = "v1") -> ResourceType:
    found = REG.find(group, version, resource)
    assert found is not None
    return found


def cells(group: str, resource: str, obj: dict[str, Any]) -> list[Any]:
    table = to_table(rt(group, resource), [obj], now=NOW)
    return list(table["rows"][0]["cells"])


# --- HumanDuration (cases from apimachinery's duration_test.go) ----------------------------------------------

S, M, H, D = 1.0, 60.0, 3600.0, 86400.0
MS = 0.001


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (1, "1s"),
        (70, "70s"),
        (190, "3m10s"),
        (70 * M, "70m"),
        (47 * H, "47h"),
        (49 * H, "2d1h"),
        ((8 * 24 + 2) * H, "8d"),
        (367 * D, "367d"),
        ((365 * 2 * 24 + 25) * H, "2y1d"),
        ((365 * 8 * 24 + 2) * H, "8y"),
        (-2, "<invalid>"),
        (-2 + 1e-6, "0s"),
        (0, "0s"),
        (1 - MS, "0s"),
        (2 * M - MS, "119s"),
        (2 * M, "2m"),
        (2 * M + 1, "2m1s"),
        (10 * M - MS, "9m59s"),
        (10 * M, "10m"),
        (10 * M + 1, "10m"),
        (3 * H - MS, "179m"),
        (3 * H, "3h"),
        (3 * H + M, "3h1m"),
        (8 * H - MS, "7h59m"),
        (8 * H, "8h"),
        (8 * H + 59 * M, "8h"),
        (2 * D - MS, "47h"),
        (2 * D, "2d"),
        (2 * D + H, "2d1h"),
        (8 * D - MS, "7d23h"),
        (8 * D, "8d"),
        (8 * D + 23 * H, "8d"),
        (2 * 365 * D - MS, "729d"),
        (2 * 365 * D, "2y"),
        (2 * 365 * D + 23 * H, "2y"),
        (2 * 365 * D + D, "2y1d"),
        (3 * 365 * D, "3y"),
        (8 * 365 * D - MS, "7y364d"),
        (8 * 365 * D, "8y"),
        (8 * 365 * D + 364 * D, "8y"),
        (9 * 365 * D, "9y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: float, want: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == want


def test_translate_timestamp_since_unknown_for_unset_time() -> None:
    assert translate_timestamp_since(None, NOW) == "<unknown>"
    assert translate_timestamp_since(ago(minutes=5), NOW) == "5m"
    assert translate_timestamp_since("2025-03-01T11:59:59.123456Z", NOW) == "0s"


# --- table shape ---------------------------------------------------------------------------------------------


def test_table_shape_with_partial_object_metadata() -> None:
    pod = {
        "metadata": {
            "name": "p",
            "namespace": "d",
            "resourceVersion": "7",
            "creationTimestamp": ago(seconds=5),
        },
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Pending"},
    }
    table = to_table(rt("", "pods"), [pod], list_meta={"resourceVersion": "9", "continue": "abc"}, now=NOW)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "9", "continue": "abc"}
    assert [(c["name"], c["type"], c["format"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        ("Age", "string", "", 0),
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ]
    assert all(c["description"] for c in table["columnDefinitions"])
    row = table["rows"][0]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": pod["metadata"],
    }
    assert "conditions" not in row


def test_include_object_none_and_object() -> None:
    obj = {"metadata": {"name": "c", "resourceVersion": "3"}, "data": {"a": "b"}}
    none = to_table(rt("", "configmaps"), [obj], include_object="None", now=NOW)
    assert "object" not in none["rows"][0]
    assert none["metadata"] == {"resourceVersion": "3"}  # a single GET copies the object's resourceVersion
    full = to_table(rt("", "configmaps"), [obj], include_object="Object", now=NOW)
    assert full["rows"][0]["object"] is obj


def test_no_headers_leaves_out_column_definitions() -> None:
    table = to_table(rt("", "configmaps"), [], now=NOW, list_meta={"resourceVersion": "1"}, no_headers=True)
    assert "columnDefinitions" not in table and table["rows"] == []


# --- pods (scenarios after printers_test.go TestPrintPod*) ----------------------------------------------------


def pod(
    status: dict[str, Any],
    *,
    containers: int = 1,
    spec: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    s = {"containers": [{"name": f"c{i}"} for i in range(containers)], **(spec or {})}
    return {"metadata": {"name": "test1", **(meta or {})}, "spec": s, "status": status}


def running(ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(hours=1)}},
        **extra,
    }


def test_running_pod_cells_include_wide_columns() -> None:
    p = pod(
        {"phase": "Running", "podIPs": [{"ip": "1.1.1.1"}], "containerStatuses": [running()]},
        spec={"nodeName": "node1"},
        meta={"creationTimestamp": ago(minutes=3, seconds=10)},
    )
    assert cells("", "pods", p) == [
        "test1",
        "1/1",
        "Running",
        "0",
        "3m10s",
        "1.1.1.1",
        "node1",
        "<none>",
        "<none>",
    ]


def test_pod_without_creation_timestamp_has_unknown_age() -> None:
    assert cells("", "pods", pod({"phase": "Pending"}))[:5] == ["test1", "0/1", "Pending", "0", "<unknown>"]


def test_pod_ready_needs_running_state() -> None:
    p = pod(
        {
            "phase": "podPhase",
            "containerStatuses": [{"ready": True, "restartCount": 3, "state": {}}, running(restarts=3)],
        },
        containers=2,
    )
    assert cells("", "pods", p)[1:4] == ["1/2", "podPhase", "6"]


def test_container_waiting_reason_overrides_phase_first_container_wins() -> None:
    p = pod(
        {
            "phase": "Running",
            "containerStatuses": [
                {"restartCount": 3, "state": {"waiting": {"reason": "ContainerWaitingReason"}}},
                {"restartCount": 3, "state": {"terminated": {"reason": "ContainerTerminatedReason"}}},
            ],
        },
        containers=2,
    )
    assert cells("", "pods", p)[1:4] == ["0/2", "ContainerWaitingReason", "6"]


def test_crashloop_restarts_show_time_since_last_termination() -> None:
    p = pod(
        {
            "phase": "Running",
            "containerStatuses": [
                {
                    "restartCount": 4,
                    "ready": False,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(minutes=2, seconds=5)}},
                }
            ],
        }
    )
    assert cells("", "pods", p)[1:4] == ["0/1", "CrashLoopBackOff", "4 (2m5s ago)"]


def test_terminated_without_reason_shows_exit_code_or_signal() -> None:
    exit_code = pod({"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 3}}}]})
    assert cells("", "pods", exit_code)[2] == "ExitCode:3"
    signal = pod(
        {"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 0, "signal": 9}}}]}
    )
    assert cells("", "pods", signal)[2] == "Signal:9"


def test_succeeded_pod_is_completed_with_row_condition() -> None:
    p = pod(
        {
            "phase": "Succeeded",
            "containerStatuses": [{"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}],
        }
    )
    table = to_table(rt("", "pods"), [p], now=NOW)
    assert table["rows"][0]["cells"][1:3] == ["0/1", "Completed"]
    assert table["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_completed_container_with_running_sibling_reports_running_or_notready() -> None:
    statuses = [running(), {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]
    ready = pod(
        {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": statuses,
        },
        containers=2,
    )
    assert cells("", "pods", ready)[1:3] == ["1/2", "Running"]
    not_ready = pod({"phase": "Running", "containerStatuses": statuses}, containers=2)
    assert cells("", "pods", not_ready)[2] == "NotReady"


def test_deleted_pod_is_terminating_unless_terminal_or_node_lost() -> None:
    meta = {"deletionTimestamp": ago(seconds=1)}
    assert cells("", "pods", pod({"phase": "Running"}, meta=meta))[2] == "Terminating"
    assert cells("", "pods", pod({"phase": "Succeeded"}, meta=meta))[2] == "Succeeded"
    assert cells("", "pods", pod({"phase": "Running", "reason": "NodeLost"}, meta=meta))[2] == "Unknown"


def test_pod_status_reason_and_scheduling_gated() -> None:
    assert cells("", "pods", pod({"phase": "Failed", "reason": "Evicted"}))[2] == "Evicted"
    gated = pod(
        {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
        }
    )
    assert cells("", "pods", gated)[2] == "SchedulingGated"


def test_init_container_states() -> None:
    spec = {"initContainers": [{"name": "init"}]}
    waiting = pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "init", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ],
        },
        spec=spec,
    )
    assert cells("", "pods", waiting)[2:4] == ["Init:CrashLoopBackOff", "2"]
    progressing = pod(
        {"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"running": {}}}]}, spec=spec
    )
    assert cells("", "pods", progressing)[2] == "Init:0/1"
    failed = pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 2}}}],
        },
        spec=spec,
    )
    assert cells("", "pods", failed)[2] == "Init:ExitCode:2"


def test_restartable_init_container_counts_as_container() -> None:
    spec = {"initContainers": [{"name": "sidecar", "restartPolicy": "Always"}]}
    p = pod(
        {
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [
                {
                    "name": "sidecar",
                    "ready": True,
                    "started": True,
                    "restartCount": 1,
                    "state": {"running": {}},
                }
            ],
            "containerStatuses": [running()],
        },
        spec=spec,
    )
    assert cells("", "pods", p)[1:4] == ["2/2", "Running", "1"]


def test_readiness_gates_count_true_conditions() -> None:
    p = pod(
        {
            "phase": "Running",
            "conditions": [{"type": "a", "status": "True"}, {"type": "b", "status": "False"}],
        },
        spec={"readinessGates": [{"conditionType": "a"}, {"conditionType": "b"}]},
    )
    assert cells("", "pods", p)[8] == "1/2"


# --- services, endpoints -------------------------------------------------------------------------------------


def svc(spec: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "s", "creationTimestamp": ago(days=3)}, "spec": spec, "status": status or {}}


@pytest.mark.parametrize(
    ("spec", "status", "want"),
    [
        (
            {
                "type": "ClusterIP",
                "clusterIPs": ["10.96.0.10"],
                "ports": [{"port": 80, "protocol": "TCP"}],
                "selector": {"b": "2", "a": "1"},
            },
            None,
            ["s", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "3d", "a=1,b=2"],
        ),
        (
            {
                "type": "NodePort",
                "clusterIPs": ["10.96.0.11"],
                "externalIPs": ["1.2.3.4"],
                "ports": [
                    {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                    {"port": 53, "protocol": "UDP"},
                ],
            },
            None,
            ["s", "NodePort", "10.96.0.11", "1.2.3.4", "80:30080/TCP,53/UDP", "3d", "<none>"],
        ),
        (
            {"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"], "ports": []},
            None,
            ["s", "LoadBalancer", "10.96.0.12", "<pending>", "<none>", "3d", "<none>"],
        ),
        (
            {"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"]},
            {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example.com"}]}},
            ["s", "LoadBalancer", "10.96.0.12", "5.6.7.8,lb.example.com", "<none>", "3d", "<none>"],
        ),
        (
            {"type": "ExternalName", "externalName": "example.com"},
            None,
            ["s", "ExternalName", "<none>", "example.com", "<none>", "3d", "<none>"],
        ),
        (
            {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]},
            None,
            ["s", "ClusterIP", "None", "<none>", "<none>", "3d", "<none>"],
        ),
    ],
)
def test_service_cells(spec: dict[str, Any], status: dict[str, Any] | None, want: list[Any]) -> None:
    assert cells("", "services", svc(spec, status)) == want


def test_endpoints_list_at_most_three_addresses() -> None:
    ep = {
        "subsets": [
            {
                "addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 5)],
                "ports": [{"port": 80}, {"port": 443}],
            }
        ]
    }
    assert format_endpoints(ep) == "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 5 more..."
    assert format_endpoints({"subsets": []}) == "<none>"
    assert format_endpoints({"subsets": [{"addresses": [{"ip": "1.1.1.1"}]}]}) == "1.1.1.1"


def test_endpointslice_cells() -> None:
    es = {
        "metadata": {"name": "web-abc", "creationTimestamp": ago(hours=2)},
        "addressType": "IPv4",
        "ports": [{"port": 80}, {"name": "x"}, {}],
        "endpoints": [{"addresses": ["10.0.0.1"]}],
    }
    assert cells("discovery.k8s.io", "endpointslices", es) == [
        "web-abc",
        "IPv4",
        "80,x,*",
        "10.0.0.1",
        "120m",
    ]
    empty = {"metadata": {"name": "e"}, "addressType": "IPv4"}
    assert cells("discovery.k8s.io", "endpointslices", empty)[2:4] == ["<unset>", "<unset>"]


# --- workloads -----------------------------------------------------------------------------------------------

TEMPLATE = {"spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "log", "image": "busybox"}]}}


def test_deployment_cells() -> None:
    d = {
        "metadata": {"name": "web", "creationTimestamp": ago(minutes=70)},
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
            },
            "template": TEMPLATE,
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert cells("apps", "deployments", d) == [
        "web",
        "2/3",
        3,
        2,
        "70m",
        "web,log",
        "nginx,busybox",
        "app=web,tier in (a,b)",
    ]
    assert [c["name"] for c in to_table(rt("apps", "deployments"), [], now=NOW)["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]


def test_replicaset_and_statefulset_cells() -> None:
    rs = {
        "metadata": {"name": "web-1"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    assert cells("apps", "replicasets", rs) == [
        "web-1",
        2,
        2,
        1,
        "<unknown>",
        "web,log",
        "nginx,busybox",
        "app=web",
    ]
    sts = {
        "metadata": {"name": "db"},
        "spec": {"replicas": 3, "template": TEMPLATE},
        "status": {"readyReplicas": 3},
    }
    assert cells("apps", "statefulsets", sts) == ["db", "3/3", "<unknown>", "web,log", "nginx,busybox"]


def test_selector_string_operators() -> None:
    sel = {
        "matchExpressions": [
            {"key": "z", "operator": "DoesNotExist"},
            {"key": "a", "operator": "Exists"},
            {"key": "m", "operator": "NotIn", "values": ["x"]},
        ]
    }
    assert selector_string(sel) == "a,m notin (x),!z"
    assert selector_string({}) == ""


# --- cluster objects -----------------------------------------------------------------------------------------


def test_node_cells() -> None:
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": ago(days=10),
            "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker"},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.0.2"}],
            "nodeInfo": {"kubeletVersion": "v1.32.0"},
        },
    }
    assert cells("", "nodes", node) == [
        "n1",
        "NotReady,SchedulingDisabled",
        "control-plane,worker",
        "10d",
        "v1.32.0",
        "192.168.0.2",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]
    assert cells("", "nodes", {"metadata": {"name": "n2"}})[1:3] == ["Unknown", "<none>"]


@pytest.mark.parametrize(
    ("group", "resource", "obj", "want"),
    [
        (
            "",
            "namespaces",
            {"metadata": {"name": "default"}, "status": {"phase": "Active"}},
            ["default", "Active", "<unknown>"],
        ),
        (
            "",
            "configmaps",
            {"metadata": {"name": "c"}, "data": {"a": "1"}, "binaryData": {"b": "AA=="}},
            ["c", 2, "<unknown>"],
        ),
        (
            "",
            "secrets",
            {"metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "dg=="}},
            ["s", "Opaque", 1, "<unknown>"],
        ),
        ("", "serviceaccounts", {"metadata": {"name": "default"}}, ["default", 0, "<unknown>"]),
        (
            "coordination.k8s.io",
            "leases",
            {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}},
            ["l", "me", "<unknown>"],
        ),
        ("coordination.k8s.io", "leases", {"metadata": {"name": "l"}, "spec": {}}, ["l", "", "<unknown>"]),
    ],
)
def test_simple_kinds(group: str, resource: str, obj: dict[str, Any], want: list[Any]) -> None:
    assert cells(group, resource, obj) == want


# --- events --------------------------------------------------------------------------------------------------


def test_core_event_cells() -> None:
    ev = {
        "metadata": {"name": "web.1"},
        "type": "Warning",
        "reason": "BackOff",
        "message": " restarting \n",
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{web}"},
        "source": {"component": "kubelet", "host": "node1"},
        "firstTimestamp": ago(hours=1),
        "lastTimestamp": ago(minutes=1),
        "count": 12,
    }
    assert cells("", "events", ev) == [
        "60s",
        "Warning",
        "BackOff",
        "pod/web",
        "spec.containers{web}",
        "kubelet, node1",
        "restarting",
        "60m",
        12,
        "web.1",
    ]
    cols = to_table(rt("", "events"), [], now=NOW)["columnDefinitions"]
    assert [c["name"] for c in cols if c["priority"] == 0] == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Message",
    ]


def test_event_with_event_time_only_and_series() -> None:
    ev = {
        "metadata": {"name": "e"},
        "eventTime": "2025-03-01T11:55:00.000000Z",
        "reportingComponent": "sched",
        "reportingInstance": "sched-1",
        "involvedObject": {"kind": "Node"},
    }
    assert cells("", "events", ev)[:9] == ["5m", "", "", "node", "", "sched, sched-1", "", "5m", 1]
    series = {**ev, "series": {"count": 4, "lastObservedTime": "2025-03-01T11:59:00.000000Z"}}
    got = cells("", "events", series)
    assert (got[0], got[8]) == ("60s", 4)


def test_events_k8s_io_event_printed_like_core() -> None:
    ev = {
        "metadata": {"name": "e"},
        "regarding": {"kind": "Pod", "name": "web"},
        "note": "pulled",
        "reason": "Pulled",
        "type": "Normal",
        "reportingController": "kubelet",
        "reportingInstance": "n1",
        "eventTime": "2025-03-01T11:59:50.000000Z",
        "deprecatedCount": 2,
    }
    assert cells("events.k8s.io", "events", ev) == [
        "10s",
        "Normal",
        "Pulled",
        "pod/web",
        "",
        "kubelet, n1",
        "pulled",
        "10s",
        2,
        "e",
    ]


# --- default and custom-resource tables ----------------------------------------------------------------------


def test_types_without_printer_use_name_and_created_at() -> None:
    crd_rt = rt("apiextensions.k8s.io", "customresourcedefinitions")
    table = to_table(
        crd_rt,
        [{"metadata": {"name": "x.example.com", "creationTimestamp": "2024-05-06T07:08:09Z"}}],
        now=NOW,
    )
    assert [(c["name"], c["type"]) for c in table["columnDefinitions"]] == [
        ("Name", "string"),
        ("Created At", "date"),
    ]
    assert table["rows"][0]["cells"] == ["x.example.com", "2024-05-06T07:08:09Z"]


def test_custom_resources_get_age_or_their_printer_columns() -> None:
    reg = ResourceRegistry()
    crd: dict[str, Any] = {
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {"plural": "crontabs", "kind": "CronTab"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "additionalPrinterColumns": [
                        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "priority": 1},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                },
                {"name": "v2", "served": True},
            ],
        },
    }
    reg.add_crd(crd)
    obj = {
        "metadata": {"name": "c1", "creationTimestamp": ago(minutes=4)},
        "spec": {"cronSpec": "* * * * */5", "replicas": 2},
    }
    v1 = reg.find("stable.example.com", "v1", "crontabs")
    v2 = reg.find("stable.example.com", "v2", "crontabs")
    assert v1 is not None and v2 is not None
    t1 = to_table(v1, [obj], now=NOW)
    assert [(c["name"], c["priority"]) for c in t1["columnDefinitions"]] == [
        ("Name", 0),
        ("Spec", 0),
        ("Replicas", 1),
        ("Age", 0),
    ]
    assert t1["rows"][0]["cells"] == ["c1", "* * * * */5", 2, "4m"]
    missing = to_table(v1, [{"metadata": {"name": "c2"}}], now=NOW)
    assert missing["rows"][0]["cells"] == ["c2", None, None, None]
    t2 = to_table(v2, [obj], now=NOW)
    assert [(c["name"], c["type"]) for c in t2["columnDefinitions"]] == [("Name", "string"), ("Age", "date")]
    assert t2["rows"][0]["cells"] == ["c1", "4m"]


# --- kubectl renders our Table -------------------------------------------------------------------------------


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_prints_our_pod_table(tmp_path: Path) -> None:
    reg = ResourceRegistry()
    now = NOW  # the table is rendered with the same fixed clock: kubectl prints the cells as sent
    created = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    p = pod(
        {"phase": "Running", "podIPs": [{"ip": "10.244.0.5"}], "containerStatuses": [running()]},
        spec={"nodeName": "kpy-node"},
        meta={"creationTimestamp": created, "namespace": "default"},
    )
    p["metadata"]["name"] = "web"
    base = discovery_route(reg, True)

    def route(path: str, accept: str) -> tuple[int, str, Any] | None:
        if path.startswith("/api/v1/namespaces/default/pods"):
            assert "as=Table" in accept
            table = to_table(rt("", "pods"), [p], list_meta={"resourceVersion": "5"}, now=now)
            return 200, "application/json;as=Table;v=v1;g=meta.k8s.io", table
        answer: tuple[int, str, Any] | None = base(path, accept)
        return answer

    with serve(route) as url:
        plain = kubectl(url, tmp_path, "get", "pods", "-n", "default")
        wide = kubectl(url, tmp_path, "get", "pods", "-n", "default", "-o", "wide")
    assert d.SERVER_MINOR == "32"
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split("\n")[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert plain.stdout.split("\n")[1].split() == ["web", "1/1", "Running", "0", "5m"]
    assert wide.stdout.split("\n")[1].split() == [
        "web",
        "1/1",
        "Running",
        "0",
        "5m",
        "10.244.0.5",
        "kpy-node",
        "<none>",
        "<none>",
    ]
