"""The official Python client (``kubernetes`` package) against the emulator: create, list, watch a pod."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def core(emu: Any) -> Any:
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=str(emu.kubeconfig_path), client_configuration=cfg)
    with client.ApiClient(cfg) as api_client:
        yield client.CoreV1Api(api_client)


def test_python_client_creates_lists_and_watches_a_pod(core: Any) -> None:
    from kubernetes import client, watch

    body = client.V1Pod(
        metadata=client.V1ObjectMeta(name="pyclient", labels={"via": "python"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]),
    )
    created = core.create_namespaced_pod("default", body)
    assert created.metadata.name == "pyclient" and created.spec.restart_policy == "Always"
    listed = core.list_namespaced_pod("default", label_selector="via=python")
    assert [p.metadata.name for p in listed.items] == ["pyclient"]
    w = watch.Watch()
    seen = []
    # no resource_version: the watch starts with the current state as ADDED, then the deletion
    for event in w.stream(
        core.list_namespaced_pod, "default", label_selector="via=python", timeout_seconds=5
    ):
        seen.append(event["type"])
        if len(seen) == 1:
            core.delete_namespaced_pod("pyclient", "default")
        if event["type"] == "DELETED":
            w.stop()
    assert seen == ["ADDED", "DELETED"]


def test_python_client_raises_api_exception_with_the_status_body(core: Any) -> None:
    import json

    from kubernetes.client.rest import ApiException

    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod("missing", "default")
    assert info.value.status == 404
    assert json.loads(info.value.body)["message"] == 'pods "missing" not found'
