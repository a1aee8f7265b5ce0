"""Tables of ``networking.k8s.io`` (ingresses, ingressclasses, networkpolicies) and ``policy``
(poddisruptionbudgets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    as_dict,
    as_list,
    dig,
    format_label_selector,
    to_int,
    translate_timestamp_since,
)

#: loadBalancerWidth: the address column is cut to this many characters unless -o wide
_ADDRESS_WIDTH = 16
_MAX_HOSTS = 3


def _hosts(rules: list[Any]) -> str:
    """formatHosts: the first three rules' hosts, then how many rules more; "*" without any host."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == _MAX_HOSTS:
            more = True
        host = dig(rule, "host")
        if not more and host:
            hosts.append(str(host))
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - _MAX_HOSTS} more..." if more else text


def _address(ingress: Obj, wide: bool) -> str:
    found = set()
    for item in as_list(dig(ingress, "status", "loadBalancer", "ingress")):
        value = dig(item, "ip") or dig(item, "hostname")
        if value:
            found.add(str(value))
    text = ",".join(sorted(found))
    return text if wide or len(text) <= _ADDRESS_WIDTH else text[: _ADDRESS_WIDTH - 3] + "..."


def ingress_row(ingress: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(ingress.get("spec"))
    class_name = spec.get("ingressClassName")
    return [
        dig(ingress, "metadata", "name") or "",
        str(class_name) if class_name is not None else "<none>",
        _hosts(as_list(spec.get("rules"))),
        _address(ingress, wide=False),
        "80, 443" if as_list(spec.get("tls")) else "80",
        translate_timestamp_since(dig(ingress, "metadata", "creationTimestamp"), now),
    ], None


INGRESS_COLUMNS = [
    NAME,
    Column("Class", description="The IngressClass that configures this ingress (spec.ingressClassName)."),
    Column("Hosts", description="Hosts that requests are matched against before the rules."),
    Column("Address", description="Where the load balancer receives the ingress's traffic."),
    Column("Ports", description="Ports served (443 too with TLS)."),
    AGE,
]

#: the annotation that makes an IngressClass the default
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"


def ingressclass_row(ic: Obj, now: datetime) -> tuple[list[Any], None]:
    name = str(dig(ic, "metadata", "name") or "")
    if dig(ic, "metadata", "annotations", DEFAULT_CLASS) == "true":
        name += " (default)"
    parameters = "<none>"
    params = dig(ic, "spec", "parameters")
    if isinstance(params, dict):
        parameters = str(params.get("kind") or "")
        if params.get("apiGroup") is not None:
            parameters += "." + str(params["apiGroup"])
        parameters += "/" + str(params.get("name") or "")
    return [
        name,
        str(dig(ic, "spec", "controller") or ""),
        parameters,
        translate_timestamp_since(dig(ic, "metadata", "creationTimestamp"), now),
    ], None


INGRESSCLASS_COLUMNS = [
    NAME,
    Column("Controller", description="The controller that handles this class."),
    Column("Parameters", description="The resource with more parameters for the controller."),
    AGE,
]


def networkpolicy_row(np: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(np, "metadata", "name") or "",
        format_label_selector(dig(np, "spec", "podSelector") or {}),
        translate_timestamp_since(dig(np, "metadata", "creationTimestamp"), now),
    ], None


NETWORKPOLICY_COLUMNS = [
    NAME,
    Column("Pod-Selector", description="The pods the policy applies to (spec.podSelector)."),
    AGE,
]


def _int_or_string(value: Any) -> str:
    return "N/A" if value is None else str(value)


def pdb_row(pdb: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(pdb.get("spec"))
    return [
        dig(pdb, "metadata", "name") or "",
        _int_or_string(spec.get("minAvailable")),
        _int_or_string(spec.get("maxUnavailable")),
        to_int(dig(pdb, "status", "disruptionsAllowed")),
        translate_timestamp_since(dig(pdb, "metadata", "creationTimestamp"), now),
    ], None


PDB_COLUMNS = [
    NAME,
    Column("Min Available", description="The minimum number of pods that must be available."),
    Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
    Column("Allowed Disruptions", type="integer", description="Pods that may be disrupted now."),
    AGE,
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("networking.k8s.io", "ingresses"): (INGRESS_COLUMNS, ingress_row),
    ("networking.k8s.io", "ingressclasses"): (INGRESSCLASS_COLUMNS, ingressclass_row),
    ("networking.k8s.io", "networkpolicies"): (NETWORKPOLICY_COLUMNS, networkpolicy_row),
    ("policy", "poddisruptionbudgets"): (PDB_COLUMNS, pdb_row),
}
