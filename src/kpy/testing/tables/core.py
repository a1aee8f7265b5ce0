"""Tables of the core group (``/api/v1``): pods, services, endpoints, nodes, namespaces, secrets,
configmaps, serviceaccounts (printers.go's printPod, printService, ...).
"""

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
    aware,
    dig,
    format_labels,
    human_duration,
    parse_time,
    to_int,
    translate_timestamp_since,
)

# ---------------------------------------------------------------------------------------------------------
# Pods


def _restartable_init(c: Any) -> bool:
    return isinstance(c, dict) and c.get("restartPolicy") == "Always"


def _has_condition(conditions: Any, ctype: str) -> bool:
    return any(dig(c, "type") == ctype and dig(c, "status") == "True" for c in as_list(conditions))


def _later(a: datetime | None, b: Any) -> datetime | None:
    t = parse_time(b)
    if t is None:
        return a
    return t if a is None or t > a else a


def pod_row(pod: Obj, now: datetime) -> tuple[list[Any], list[dict[str, Any]] | None]:
    """Cells of printPod (wide included)."""
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    meta = as_dict(pod.get("metadata"))
    restarts = 0
    restartable_restarts = 0
    init_specs = {str(dig(c, "name")): c for c in as_list(spec.get("initContainers"))}
    total = len(as_list(spec.get("containers"))) + sum(1 for c in init_specs.values() if _restartable_init(c))
    ready = 0
    last_restart: datetime | None = None
    last_restartable_restart: datetime | None = None
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or "") or phase
    for cond in as_list(status.get("conditions")):
        if dig(cond, "type") == "PodScheduled" and dig(cond, "reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions: list[dict[str, Any]] | None = None
    if phase == "Succeeded":
        conditions = [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    elif phase == "Failed":
        conditions = [
            {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
        ]

    initializing = False
    init_statuses = as_list(status.get("initContainerStatuses"))
    n_init = len(as_list(spec.get("initContainers")))
    for i, cs in enumerate(init_statuses):
        cs = as_dict(cs)
        restarts += to_int(cs.get("restartCount"))
        last_restart = _later(last_restart, dig(cs, "lastState", "terminated", "finishedAt"))
        is_sidecar = _restartable_init(init_specs.get(str(cs.get("name"))))
        if is_sidecar:
            restartable_restarts += to_int(cs.get("restartCount"))
            last_restartable_restart = _later(
                last_restartable_restart, dig(cs, "lastState", "terminated", "finishedAt")
            )
        terminated = (
            as_dict(dig(cs, "state", "terminated")) if dig(cs, "state", "terminated") is not None else None
        )
        waiting = as_dict(dig(cs, "state", "waiting")) if dig(cs, "state", "waiting") is not None else None
        if terminated is not None and to_int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if to_int(terminated.get("signal")) != 0:
                    reason = f"Init:Signal:{to_int(terminated.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{to_int(terminated.get('exitCode'))}"
            else:
                reason = "Init:" + str(terminated.get("reason"))
            initializing = True
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + str(waiting.get("reason"))
            initializing = True
        else:
            reason = f"Init:{i}/{n_init}"
            initializing = True
        break

    if not initializing or _has_condition(status.get("conditions"), "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_dict(cs)
            restarts += to_int(cs.get("restartCount"))
            last_restart = _later(last_restart, dig(cs, "lastState", "terminated", "finishedAt"))
            state = as_dict(cs.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif isinstance(terminated, dict):
                if to_int(terminated.get("signal")) != 0:
                    reason = f"Signal:{to_int(terminated.get('signal'))}"
                else:
                    reason = f"ExitCode:{to_int(terminated.get('exitCode'))}"
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(status.get("conditions"), "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = f"{restarts} ({human_duration(aware(now) - last_restart)} ago)"

    pod_ip = str(dig(status, "podIPs", 0, "ip") or "") or "<none>"
    node_name = str(spec.get("nodeName") or "") or "<none>"
    nominated = str(status.get("nominatedNodeName") or "") or "<none>"
    gates = as_list(spec.get("readinessGates"))
    readiness = "<none>"
    if gates:
        true_count = 0
        for gate in gates:
            for cond in as_list(status.get("conditions")):
                if dig(cond, "type") == dig(gate, "conditionType"):
                    if dig(cond, "status") == "True":
                        true_count += 1
                    break
        readiness = f"{true_count}/{len(gates)}"
    cells: list[Any] = [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_str,
        translate_timestamp_since(meta.get("creationTimestamp"), now),
        pod_ip,
        node_name,
        nominated,
        readiness,
    ]
    return cells, conditions


POD_COLUMNS = [
    NAME,
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column(
        "Restarts", description="How often the pod's containers restarted, and when the last restart was."
    ),
    AGE,
    Column("IP", priority=1, description="The pod's primary IP address (status.podIPs[0])."),
    Column("Node", priority=1, description="The node the pod is bound to (spec.nodeName)."),
    Column(
        "Nominated Node",
        priority=1,
        description="The node the scheduler nominated (status.nominatedNodeName).",
    ),
    Column("Readiness Gates", priority=1, description="How many of spec.readinessGates are satisfied."),
]


# ---------------------------------------------------------------------------------------------------------
# Services, endpoints


def _service_external_ip(svc: Obj) -> str:
    spec = as_dict(svc.get("spec"))
    stype = spec.get("type")
    external = [str(x) for x in as_list(spec.get("externalIPs"))]
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        found: set[str] = set()
        for ing in as_list(dig(svc, "status", "loadBalancer", "ingress")):
            if dig(ing, "ip"):
                found.add(str(dig(ing, "ip")))
            elif dig(ing, "hostname"):
                found.add(str(dig(ing, "hostname")))
        lb = ",".join(sorted(found))  # wide: the server renders wide cells, so no 16-byte clipping
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def _port_string(ports: Any) -> str:
    pieces = []
    for p in as_list(ports):
        port = to_int(dig(p, "port"))
        proto = str(dig(p, "protocol") or "")
        node_port = to_int(dig(p, "nodePort"))
        pieces.append(f"{port}:{node_port}/{proto}" if node_port > 0 else f"{port}/{proto}")
    return ",".join(pieces)


def service_row(svc: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(svc.get("spec"))
    ips = as_list(spec.get("clusterIPs"))
    internal = str(ips[0]) if ips else "<none>"
    ports = _port_string(spec.get("ports")) or "<none>"
    cells = [
        dig(svc, "metadata", "name") or "",
        str(spec.get("type") or ""),
        internal,
        _service_external_ip(svc),
        ports,
        translate_timestamp_since(dig(svc, "metadata", "creationTimestamp"), now),
        format_labels(as_dict(spec.get("selector"))),
    ]
    return cells, None


SERVICE_COLUMNS = [
    NAME,
    Column("Type", description="How the service is exposed (spec.type)."),
    Column("Cluster-IP", description="The service's cluster IP (spec.clusterIPs[0])."),
    Column("External-IP", description="External addresses: spec.externalIPs or the load balancer's."),
    Column("Port(s)", description="The service's ports (port[:nodePort]/protocol)."),
    AGE,
    Column("Selector", priority=1, description="The label selector of the pods behind the service."),
]


def format_endpoints(ep: Obj) -> str:
    subsets = as_list(ep.get("subsets"))
    if not subsets:
        return "<none>"
    items: list[str] = []
    limit = 3
    more = False
    count = 0
    for ss in subsets:
        addresses = as_list(dig(ss, "addresses"))
        ports = as_list(dig(ss, "ports"))
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == limit:
                    more = True
                    break
                items.append(str(dig(a, "ip") or ""))
            continue
        for port in ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == limit:
                    more = True
                    break
                ip = str(dig(a, "ip") or "")
                host = f"[{ip}]" if ":" in ip else ip
                items.append(f"{host}:{to_int(dig(port, 'port'))}")
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if more else text


def endpoints_row(ep: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(ep, "metadata", "name") or "",
        format_endpoints(ep),
        translate_timestamp_since(dig(ep, "metadata", "creationTimestamp"), now),
    ], None


ENDPOINTS_COLUMNS = [NAME, Column("Endpoints", description="Addresses and ports of the endpoints."), AGE]


# ---------------------------------------------------------------------------------------------------------
# Cluster objects


def node_row(node: Obj, now: datetime) -> tuple[list[Any], None]:
    status = as_dict(node.get("status"))
    conds = {str(dig(c, "type")): c for c in as_list(status.get("conditions"))}
    states: list[str] = []
    if "Ready" in conds:
        states.append("Ready" if dig(conds["Ready"], "status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if dig(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    roles: set[str] = set()
    for k, v in as_dict(dig(node, "metadata", "labels")).items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/") :]:
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    info = as_dict(status.get("nodeInfo"))

    def address(kind: str) -> str:
        for a in as_list(status.get("addresses")):
            if dig(a, "type") == kind:
                return str(dig(a, "address") or "")
        return "<none>"

    return [
        dig(node, "metadata", "name") or "",
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        translate_timestamp_since(dig(node, "metadata", "creationTimestamp"), now),
        str(info.get("kubeletVersion") or ""),
        address("InternalIP"),
        address("ExternalIP"),
        str(info.get("osImage") or "") or "<unknown>",
        str(info.get("kernelVersion") or "") or "<unknown>",
        str(info.get("containerRuntimeVersion") or "") or "<unknown>",
    ], None


NODE_COLUMNS = [
    NAME,
    Column("Status", description="The status of the node"),
    Column("Roles", description="The roles of the node"),
    AGE,
    Column("Version", description="Kubelet version reported by the node."),
    Column("Internal-IP", priority=1, description="The node's InternalIP address."),
    Column("External-IP", priority=1, description="The node's ExternalIP address."),
    Column("OS-Image", priority=1, description="OS image reported by the node."),
    Column("Kernel-Version", priority=1, description="Kernel version reported by the node."),
    Column("Container-Runtime", priority=1, description="Container runtime version reported by the node."),
]


def namespace_row(ns: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(ns, "metadata", "name") or "",
        str(dig(ns, "status", "phase") or ""),
        translate_timestamp_since(dig(ns, "metadata", "creationTimestamp"), now),
    ], None


NAMESPACE_COLUMNS = [NAME, Column("Status", description="The status of the namespace"), AGE]


def secret_row(s: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(s, "metadata", "name") or "",
        str(s.get("type") or ""),
        len(as_dict(s.get("data"))),
        translate_timestamp_since(dig(s, "metadata", "creationTimestamp"), now),
    ], None


SECRET_COLUMNS = [
    NAME,
    Column("Type", description="The secret's type."),
    Column("Data", description="Number of data keys."),
    AGE,
]


def configmap_row(cm: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(cm, "metadata", "name") or "",
        len(as_dict(cm.get("data"))) + len(as_dict(cm.get("binaryData"))),
        translate_timestamp_since(dig(cm, "metadata", "creationTimestamp"), now),
    ], None


CONFIGMAP_COLUMNS = [NAME, Column("Data", description="Number of data and binaryData keys."), AGE]


def serviceaccount_row(sa: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(sa, "metadata", "name") or "",
        len(as_list(sa.get("secrets"))),
        translate_timestamp_since(dig(sa, "metadata", "creationTimestamp"), now),
    ], None


SERVICEACCOUNT_COLUMNS = [NAME, Column("Secrets", description="Number of secrets listed."), AGE]


def resourcequota_row(quota: Obj, now: datetime) -> tuple[list[Any], None]:
    """printResourceQuota: ``RESOURCE: used/hard`` of ``status.hard`` (set by the quota controller), sorted,
    ``limits.*`` in the Limit column, the rest in Request."""
    hard, used = as_dict(dig(quota, "status", "hard")), as_dict(dig(quota, "status", "used"))
    columns: dict[bool, list[str]] = {False: [], True: []}
    for resource in sorted(hard):
        columns[resource.split(".")[0] == "limits" and "." in resource].append(
            f"{resource}: {used.get(resource, '0')}/{hard[resource]}"
        )
    return [
        dig(quota, "metadata", "name") or "",
        ", ".join(columns[False]),
        ", ".join(columns[True]),
        translate_timestamp_since(dig(quota, "metadata", "creationTimestamp"), now),
    ], None


RESOURCEQUOTA_COLUMNS = [
    NAME,
    Column(
        "Request",
        description="Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    Column(
        "Limit",
        description="Limits control the maximum amount of cpu/memory that a container may use independent of "
        "contention on the node.",
    ),
    AGE,
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): (POD_COLUMNS, pod_row),
    ("", "services"): (SERVICE_COLUMNS, service_row),
    ("", "endpoints"): (ENDPOINTS_COLUMNS, endpoints_row),
    ("", "nodes"): (NODE_COLUMNS, node_row),
    ("", "namespaces"): (NAMESPACE_COLUMNS, namespace_row),
    ("", "secrets"): (SECRET_COLUMNS, secret_row),
    ("", "configmaps"): (CONFIGMAP_COLUMNS, configmap_row),
    ("", "serviceaccounts"): (SERVICEACCOUNT_COLUMNS, serviceaccount_row),
    ("", "resourcequotas"): (RESOURCEQUOTA_COLUMNS, resourcequota_row),
}
