"""kubectl's everyday writes against the emulator: protobuf bodies from typed clients, the scale subresource.

kubectl 1.32 sends built-in objects from ``kubectl create <kind>`` as protobuf and never falls back to JSON, and
``kubectl scale`` patches ``.../scale``; each command must succeed and read back as kubectl expects.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def k(emu: Any, *args: str, stdin: str | None = None) -> Any:
    return kubectl(*args, kubeconfig=emu.kubeconfig_path, stdin=stdin)


def ok(emu: Any, *args: str, out: str | None = None) -> str:
    res = k(emu, *args)
    assert (res.code, res.err) == (0, ""), res
    if out is not None:
        assert res.out == out
    return str(res.out)


def read(emu: Any, *what: str) -> Any:
    return json.loads(ok(emu, "get", *what, "-o", "json"))


def test_create_configmap_and_secret_from_literals(emu: Any) -> None:
    ok(
        emu,
        "create",
        "cm",
        "w-cm",
        "--from-literal=a=b",
        "--from-literal=empty=",
        out="configmap/w-cm created\n",
    )
    assert read(emu, "cm", "w-cm")["data"] == {"a": "b", "empty": ""}
    ok(
        emu,
        "create",
        "secret",
        "generic",
        "w-secret",
        "--from-literal=password=s3cr3t",
        out="secret/w-secret created\n",
    )
    secret = read(emu, "secret", "w-secret")
    assert (secret["type"], secret["data"]) == ("Opaque", {"password": "czNjcjN0"})


def test_create_deployment_reads_back_with_the_servers_defaults(emu: Any) -> None:
    ok(
        emu,
        "create",
        "deployment",
        "w-deploy",
        "--image=nginx",
        "--port=80",
        "--replicas=0",
        out="deployment.apps/w-deploy created\n",
    )
    deploy = read(emu, "deployment", "w-deploy")
    spec = deploy["spec"]
    assert spec["replicas"] == 0  # a pointer field: zero is kept, not omitted
    assert spec["selector"] == {"matchLabels": {"app": "w-deploy"}}
    (container,) = spec["template"]["spec"]["containers"]
    assert container["name"] == "nginx" and container["image"] == "nginx"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert spec["strategy"]["type"] == "RollingUpdate"


def test_create_namespace_serviceaccount_and_services(emu: Any) -> None:
    ok(emu, "create", "ns", "w-ns", out="namespace/w-ns created\n")
    ok(emu, "create", "sa", "w-sa", "-n", "w-ns", out="serviceaccount/w-sa created\n")
    ok(emu, "create", "svc", "clusterip", "w-svc", "--tcp=80:8080", out="service/w-svc created\n")
    ok(emu, "create", "svc", "nodeport", "w-np", "--tcp=80:http", out="service/w-np created\n")
    assert read(emu, "sa", "w-sa", "-n", "w-ns")["metadata"]["namespace"] == "w-ns"
    assert read(emu, "svc", "w-svc")["spec"]["ports"] == [
        {"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}
    ]
    (port,) = read(emu, "svc", "w-np")["spec"]["ports"]
    assert port["targetPort"] == "http" and port["nodePort"] > 0


def test_scale_deployment_and_its_preconditions(emu: Any) -> None:
    ok(emu, "create", "deployment", "w-scale", "--image=nginx")
    ok(emu, "scale", "deploy", "w-scale", "--replicas=2", out="deployment.apps/w-scale scaled\n")
    assert read(emu, "deploy", "w-scale")["spec"]["replicas"] == 2
    res = k(emu, "scale", "deploy", "w-scale", "--replicas=3", "--current-replicas=1")
    assert (res.code, res.err) == (1, "error: Expected replicas to be 1, was 2\n")
    scale = json.loads(ok(emu, "get", "--raw", "/apis/apps/v1/namespaces/default/deployments/w-scale/scale"))
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=w-scale"


def test_label_annotate_patch_apply_and_delete(emu: Any, api: Api) -> None:
    ok(emu, "create", "cm", "w-edit", "--from-literal=a=b")
    ok(emu, "label", "cm", "w-edit", "tier=web", out="configmap/w-edit labeled\n")
    ok(emu, "annotate", "cm", "w-edit", "note=hi", out="configmap/w-edit annotated\n")
    ok(emu, "patch", "cm", "w-edit", "-p", '{"data":{"c":"d"}}', out="configmap/w-edit patched\n")
    cm = read(emu, "cm", "w-edit")
    assert cm["metadata"]["labels"] == {"tier": "web"}
    assert cm["metadata"]["annotations"] == {"note": "hi"}
    assert cm["data"] == {"a": "b", "c": "d"}
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w-ssa}\ndata: {k: v}\n"
    res = k(emu, "apply", "--server-side", "-f", "-", stdin=manifest)
    assert (res.code, res.out) == (0, "configmap/w-ssa serverside-applied\n"), res.err
    ok(emu, "delete", "cm", "w-edit", "w-ssa", out='configmap "w-edit" deleted\nconfigmap "w-ssa" deleted\n')
    assert api.call("GET", "/api/v1/namespaces/default/configmaps/w-edit")[0] == 404


def test_edit_replace_and_server_side_apply_of_a_deployment(emu: Any) -> None:
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w-ssa}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: w-ssa}}\n  template:\n    metadata: {labels: {app: w-ssa}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n"
    )
    for replicas in ("1", "2"):
        res = k(
            emu,
            "apply",
            "--server-side",
            "-f",
            "-",
            stdin=manifest.replace("replicas: 1", f"replicas: {replicas}"),
        )
        assert (res.code, res.out) == (0, "deployment.apps/w-ssa serverside-applied\n"), res.err
    assert read(emu, "deploy", "w-ssa")["spec"]["replicas"] == 2
    res = kubectl(
        "edit",
        "deploy",
        "w-ssa",
        kubeconfig=emu.kubeconfig_path,
        env={"EDITOR": "sed -i s/image:\\ nginx$/image:\\ nginx:2/", "KUBE_EDITOR": ""},
    )
    assert (res.code, res.out) == (0, "deployment.apps/w-ssa edited\n"), res.err
    assert read(emu, "deploy", "w-ssa")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    current = ok(emu, "get", "deploy", "w-ssa", "-o", "yaml")
    res = k(emu, "replace", "-f", "-", stdin=current)
    assert (res.code, res.out) == (0, "deployment.apps/w-ssa replaced\n"), res.err


def test_scale_subresource_put_checks_the_resource_version(emu: Any, api: Api) -> None:
    ok(emu, "create", "deployment", "w-put", "--image=nginx")
    path = "/apis/apps/v1/namespaces/default/deployments/w-put/scale"
    code, scale = api.call("GET", path)
    assert code == 200 and scale["spec"] == {"replicas": 1}
    stale = json.loads(json.dumps(scale))
    scale["spec"]["replicas"] = 4
    code, updated = api.call("PUT", path, scale)
    assert (code, updated["spec"]) == (200, {"replicas": 4})
    assert updated["metadata"]["resourceVersion"] != stale["metadata"]["resourceVersion"]
    stale["spec"]["replicas"] = 5
    code, status = api.call("PUT", path, stale)
    assert (code, status["reason"]) == (409, "Conflict")
    assert api.call("GET", "/api/v1/namespaces/default/pods/web/scale")[0] == 404
    rs = read(emu, "rs")["items"][0]["metadata"]["name"]
    ok(emu, "scale", "rs", rs, "--replicas=0", out=f"replicaset.apps/{rs} scaled\n")
    assert read(emu, "rs", rs)["spec"]["replicas"] == 0
