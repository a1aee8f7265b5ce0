"""The sandbox's seed objects: what issue 2 promises `kpy sandbox` users, well-formed for kubectl."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kpy.testing.fieldlabels import field_selector_fields
from kpy.testing.resources import ResourceRegistry, ResourceType
from kpy.testing.seed import seed_objects, stable_uid
from kpy.testing.tables import to_table

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def objects() -> list[Obj]:
    return seed_objects(NOW)


def find(objects: list[Obj], kind: str, name: str, namespace: str | None = "default") -> Obj:
    for o in objects:
        meta = o["metadata"]
        if o["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
            return o
    raise AssertionError(f"no {kind} {namespace}/{name} in the seed")


def type_of(obj: Obj) -> ResourceType:
    group, _, version = obj["apiVersion"].rpartition("/")
    rt = ResourceRegistry().find_kind(group, version, obj["kind"])
    assert rt is not None, obj["kind"]
    return rt


def test_namespaces(objects: list[Obj]) -> None:
    names = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    assert names == {"default", "kube-system", "kube-public", "kube-node-lease"}


def test_every_object_is_a_served_type_with_unique_identity(objects: list[Obj]) -> None:
    keys = set()
    for o in objects:
        rt = type_of(o)
        meta = o["metadata"]
        assert meta["name"] and meta["uid"] and meta["creationTimestamp"].endswith("Z")
        assert ("namespace" in meta) == rt.namespaced
        keys.add((rt.group, rt.resource, meta.get("namespace"), meta["name"]))
    assert len(keys) == len(objects)


def test_namespaced_objects_live_in_seeded_namespaces(objects: list[Obj]) -> None:
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    assert {o["metadata"]["namespace"] for o in objects if "namespace" in o["metadata"]} <= namespaces


def test_pod_web_runs_nginx_with_port_80_named_http(objects: list[Obj]) -> None:
    web = find(objects, "Pod", "web")
    (container,) = web["spec"]["containers"]
    assert (container["name"], container["image"]) == ("web", "nginx")
    assert container["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}]
    assert web["metadata"]["labels"]["app"] == "web"
    assert web["status"]["phase"] == "Running"
    (cs,) = web["status"]["containerStatuses"]
    assert cs["ready"] and "startedAt" in cs["state"]["running"]
    assert web["spec"]["nodeName"] == "kpy-node" and web["status"]["podIP"]


def test_both_pods_print_as_running_and_ready(objects: list[Obj]) -> None:
    pods = [find(objects, "Pod", "web"), find(objects, "Pod", "worker")]
    table = to_table(type_of(pods[0]), pods, now=NOW, list_meta={})
    assert [r["cells"][:4] for r in table["rows"]] == [
        ["web", "1/1", "Running", "0"],
        ["worker", "1/1", "Running", "0"],
    ]


def test_service_web_targets_the_named_port(objects: list[Obj]) -> None:
    svc = find(objects, "Service", "web")
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["spec"]["clusterIPs"] == [svc["spec"]["clusterIP"]]


def test_deployment_selects_pod_web_through_its_replicaset(objects: list[Obj]) -> None:
    deploy = find(objects, "Deployment", "web")
    selector = deploy["spec"]["selector"]["matchLabels"]
    web = find(objects, "Pod", "web")
    assert selector.items() <= web["metadata"]["labels"].items()
    assert deploy["spec"]["replicas"] == 1 and deploy["status"]["readyReplicas"] == 1
    owner = web["metadata"]["ownerReferences"][0]
    rs = find(objects, "ReplicaSet", owner["name"])
    assert owner["uid"] == rs["metadata"]["uid"] and owner["kind"] == "ReplicaSet" and owner["controller"]
    assert rs["metadata"]["name"].startswith("web-")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == deploy["metadata"]["uid"]
    assert rs["spec"]["selector"]["matchLabels"].items() <= web["metadata"]["labels"].items()
    cells = to_table(type_of(deploy), [deploy], now=NOW)["rows"][0]["cells"]
    assert cells[:4] == ["web", "1/1", 1, 1]


def test_endpoints_point_at_pod_web(objects: list[Obj]) -> None:
    web = find(objects, "Pod", "web")
    ep = find(objects, "Endpoints", "web")
    (subset,) = ep["subsets"]
    assert subset["addresses"][0]["ip"] == web["status"]["podIP"]
    assert subset["addresses"][0]["targetRef"]["uid"] == web["metadata"]["uid"]
    assert subset["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    slices = [o for o in objects if o["kind"] == "EndpointSlice"]
    assert len(slices) == 1 and slices[0]["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    assert slices[0]["endpoints"][0]["addresses"] == [web["status"]["podIP"]]


def test_node_is_ready(objects: list[Obj]) -> None:
    node = find(objects, "Node", "kpy-node", None)
    cells = to_table(type_of(node), [node], now=NOW)["rows"][0]["cells"]
    assert cells[1] == "Ready"


def test_root_ca_configmap(objects: list[Obj]) -> None:
    assert "ca.crt" in find(objects, "ConfigMap", "kube-root-ca.crt")["data"]


def test_events_describe_pod_web_starting(objects: list[Obj]) -> None:
    events = [o for o in objects if o["kind"] == "Event"]
    assert [e["reason"] for e in events] == ["Scheduled", "Pulled", "Created", "Started"]
    uid = stable_uid("Pod", "default", "web")
    for e in events:
        assert e["type"] == "Normal" and e["involvedObject"]["uid"] == uid
        assert field_selector_fields(type_of(e), e)["involvedObject.name"] == "web"
    rows = to_table(type_of(events[0]), events, now=NOW, list_meta={})["rows"]
    assert all(r["cells"][3] == "pod/web" for r in rows)
    assert rows[0]["cells"][5] == "default-scheduler, default-scheduler-kpy-node"


def test_seed_is_deterministic_for_a_given_now() -> None:
    assert seed_objects(NOW) == seed_objects(NOW)
