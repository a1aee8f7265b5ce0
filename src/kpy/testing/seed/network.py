"""Service ``web`` with its Endpoints and EndpointSlice."""

from __future__ import annotations

from datetime import datetime

from kpy.testing.seed.common import (
    NODE_NAME,
    WEB_POD_IP,
    WEB_SERVICE_IP,
    Obj,
    object_meta,
    owner_ref,
    stable_uid,
    ts,
)


def service_object(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta("Service", "web", "default", created, labels={"app": "web"}),
        "spec": {
            "clusterIP": WEB_SERVICE_IP,
            "clusterIPs": [WEB_SERVICE_IP],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
            "selector": {"app": "web"},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }


def pod_ref(pod_name: str) -> Obj:
    return {
        "kind": "Pod",
        "name": pod_name,
        "namespace": "default",
        "uid": stable_uid("Pod", "default", pod_name),
    }


def endpoints_object(created: datetime) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": object_meta(
            "Endpoints",
            "web",
            "default",
            created,
            labels={"app": "web"},
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": ts(created)},
        ),
        "subsets": [
            {
                "addresses": [{"ip": WEB_POD_IP, "nodeName": NODE_NAME, "targetRef": pod_ref("web")}],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            }
        ],
    }


def endpointslice_object(created: datetime) -> Obj:
    name = "web-" + stable_uid("EndpointSlice", "default", "web")[:5].replace("-", "x")
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": object_meta(
            "EndpointSlice",
            name,
            "default",
            created,
            generateName="web-",
            generation=1,
            labels={
                "app": "web",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": "web",
            },
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": ts(created)},
            ownerReferences=[owner_ref("v1", "Service", "web", "default")],
        ),
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": [WEB_POD_IP],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": NODE_NAME,
                "targetRef": pod_ref("web"),
            }
        ],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
    }
