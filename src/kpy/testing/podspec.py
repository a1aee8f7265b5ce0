"""Validation of a pod spec (a Pod's ``spec``, a workload's ``spec.template.spec``) as kube-apiserver's
``ValidatePodSpec`` words it, for the mistakes hand-written manifests make: no containers, a container without
name or image, a name that is not a DNS label or is used twice (init containers included), a port out of range,
an unknown ``restartPolicy``. Texts checked against kube-apiserver 1.36 by hand; everything else is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from kpy.testing import status

Cause = dict[str, str]
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_TEXT = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_RESTART_POLICIES = ["Always", "OnFailure", "Never"]


def _required(field: str) -> Cause:
    return {"field": field, "reason": "FieldValueRequired", "message": "Required value"}


def _containers(items: Any, field: str, seen: set[str]) -> list[Cause]:
    errors: list[Cause] = []
    for i, container in enumerate(items if isinstance(items, list) else []):
        path = f"{field}[{i}]"
        c = container if isinstance(container, dict) else {}
        name = c.get("name") or ""
        if not name:
            errors.append(_required(f"{path}.name"))
        elif not isinstance(name, str) or len(name) > 63 or not _DNS_LABEL.match(name):
            errors.append(
                {
                    "field": f"{path}.name",
                    "reason": "FieldValueInvalid",
                    "message": f"Invalid value: {status.go_quote(str(name))}: {_LABEL_TEXT}",
                }
            )
        elif name in seen:
            errors.append(
                {
                    "field": f"{path}.name",
                    "reason": "FieldValueDuplicate",
                    "message": f"Duplicate value: {status.go_quote(name)}",
                }
            )
        if isinstance(name, str) and name:
            seen.add(name)
        if not c.get("image"):
            errors.append(_required(f"{path}.image"))
        ports = c.get("ports")
        for j, port in enumerate(ports if isinstance(ports, list) else []):
            number = port.get("containerPort") if isinstance(port, dict) else None
            pfield = f"{path}.ports[{j}].containerPort"
            if not number:
                errors.append(_required(pfield))
            elif isinstance(number, int) and not 1 <= number <= 65535:
                errors.append(
                    {
                        "field": pfield,
                        "reason": "FieldValueInvalid",
                        "message": f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                    }
                )
    return errors


def spec_errors(spec: Any, field: str) -> list[Cause]:
    """The causes ValidatePodSpec would report for ``spec`` at ``field`` (``spec``, ``spec.template.spec``)."""
    spec = spec if isinstance(spec, dict) else {}
    errors: list[Cause] = []
    names: set[str] = set()
    if not spec.get("containers"):
        errors.append(_required(f"{field}.containers"))
    else:
        errors += _containers(spec["containers"], f"{field}.containers", names)
    errors += _containers(spec.get("initContainers"), f"{field}.initContainers", names)
    policy = spec.get("restartPolicy")
    if policy not in (None, "", *_RESTART_POLICIES):
        errors.append(status.not_supported_field(f"{field}.restartPolicy", str(policy), _RESTART_POLICIES))
    return errors


#: (group, resource) → where the pod spec of its objects is
_SPEC_AT = {
    ("", "pods"): ("spec",),
    ("", "podtemplates"): ("template", "spec"),
    ("", "replicationcontrollers"): ("spec", "template", "spec"),
    ("apps", "deployments"): ("spec", "template", "spec"),
    ("apps", "replicasets"): ("spec", "template", "spec"),
    ("apps", "statefulsets"): ("spec", "template", "spec"),
    ("apps", "daemonsets"): ("spec", "template", "spec"),
    ("batch", "jobs"): ("spec", "template", "spec"),
    ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template", "spec"),
}


def object_errors(group: str, resource: str, obj: dict[str, Any]) -> list[Cause]:
    """The pod spec causes for an object of a built-in workload type (none for other types)."""
    where = _SPEC_AT.get((group, resource))
    if where is None:
        return []
    node: Any = obj
    for key in where:
        node = node.get(key) if isinstance(node, dict) else None
    return spec_errors(node, ".".join(where))
