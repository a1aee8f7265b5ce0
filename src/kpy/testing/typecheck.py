"""A body whose fields have the wrong JSON type, refused as kube-apiserver's decoder words it (encoding/json's
``UnmarshalTypeError``: the first one in document order), and a body of another kind or version.

Checked against kube-apiserver 1.36 by hand::

    ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct
    field ObjectMeta.metadata.labels of type string
    Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap):
    unknown conversion
    ConfigMap in version "v2" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version
    "v2" in scheme "kubernetes/pkg/api/legacyscheme/scheme.go:30"

The struct is the innermost Go struct, the field the JSON path from the top (no indexes, no map keys). Only the
fields below are typed (metadata of every built-in kind; ConfigMap, Secret; the containers of Pods and
workload templates); other fields are accepted as they are.
"""

from __future__ import annotations

import re
from typing import Any

from kpy.gocompat.gojson import go_type

_META = {
    "name": "string",
    "generateName": "string",
    "namespace": "string",
    "labels": "map[string]string",
    "annotations": "map[string]string",
    "finalizers": "[]string",
}
_CONTAINER = {"name": "string", "image": "string", "command": "[]string", "args": "[]string"}
_POD_SPEC = {
    "containers": "[]v1.Container",
    "initContainers": "[]v1.Container",
    "restartPolicy": "v1.RestartPolicy",
}
_TEMPLATE = {"metadata": "v1.ObjectMeta", "spec": "v1.PodSpec"}
_WORKLOAD_SPEC = {"replicas": "int32", "template": "v1.PodTemplateSpec"}
STRUCTS: dict[str, dict[str, str]] = {
    "ObjectMeta": _META,
    "ConfigMap": {
        "metadata": "v1.ObjectMeta",
        "data": "map[string]string",
        "binaryData": "map[string][]uint8",
    },
    "Secret": {
        "metadata": "v1.ObjectMeta",
        "data": "map[string][]uint8",
        "stringData": "map[string]string",
        "type": "v1.SecretType",
    },
    "Pod": {"metadata": "v1.ObjectMeta", "spec": "v1.PodSpec"},
    "PodSpec": _POD_SPEC,
    "Container": _CONTAINER,
    "PodTemplateSpec": _TEMPLATE,
    "Deployment": {"metadata": "v1.ObjectMeta", "spec": "v1.DeploymentSpec"},
    "DeploymentSpec": _WORKLOAD_SPEC,
    "ReplicaSet": {"metadata": "v1.ObjectMeta", "spec": "v1.ReplicaSetSpec"},
    "ReplicaSetSpec": _WORKLOAD_SPEC,
    "StatefulSet": {"metadata": "v1.ObjectMeta", "spec": "v1.StatefulSetSpec"},
    "StatefulSetSpec": _WORKLOAD_SPEC,
}
_STRINGS = ("string", "v1.SecretType", "v1.RestartPolicy")
_BASE64 = re.compile(r"[^A-Za-z0-9+/=\r\n]")


class TypeMismatch(Exception):
    """The decoder's error text (without the ``KIND in version ... cannot be handled`` prefix)."""


def _check(value: Any, gotype: str, struct: str, path: str) -> None:
    if value is None:
        return

    def wrong() -> TypeMismatch:
        return TypeMismatch(
            f"json: cannot unmarshal {go_type(value)} into Go struct field {struct}.{path} of type {gotype}"
        )

    if gotype in _STRINGS:
        if not isinstance(value, str):
            raise wrong()
    elif gotype == "int32":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
    elif gotype == "[]uint8":
        if not isinstance(value, str):
            raise wrong()
        if bad := _BASE64.search(value):
            raise TypeMismatch(f"illegal base64 data at input byte {bad.start()}")
    elif gotype.startswith("map[string]"):
        if not isinstance(value, dict):
            raise wrong()
        for item in value.values():
            _check(item, gotype.removeprefix("map[string]"), struct, path)
    elif gotype.startswith("[]"):
        if not isinstance(value, list):
            raise wrong()
        for item in value:
            _check(item, gotype[2:], struct, path)
    elif gotype.startswith("v1."):
        if not isinstance(value, dict):
            raise wrong()
        name = gotype[3:]
        for key, item in value.items():
            if key in STRUCTS.get(name, {}):
                _check(item, STRUCTS[name][key], name, f"{path}.{key}")


def check_types(kind: str, body: dict[str, Any]) -> None:
    """Raise :class:`TypeMismatch` for the first wrongly typed field of a ``kind`` object (document order)."""
    fields = STRUCTS.get(kind, {"metadata": "v1.ObjectMeta"})
    for key, value in body.items():
        if key in fields:
            _check(value, fields[key], kind, key)


def internal_package(group: str) -> str:
    """The Go package of a group's internal types (``core.ConfigMap``, ``apps.Deployment``)."""
    return "core" if group == "" else group.split(".")[0]
