"""Server-side ``meta.k8s.io/v1`` Tables, with the columns and cells kube-apiserver's printers produce.

The apiserver always renders the wide (priority 1) cells; kubectl drops priority>0 columns unless ``-o wide``.
Cells follow pkg/printers/internalversion/printers.go: the pod STATUS reason logic, RESTARTS with
"(5m ago)", ages through :func:`human_duration` (apimachinery's ``duration.HumanDuration``) against an
injected ``now``. Types without a printer get the default table (Name, Created At); custom resources get
Name + their additionalPrinterColumns (Age by default).

Pure functions: no I/O, no clock of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kpy.printers.duration import human_duration as _human_seconds
from kpy.testing.resources import ResourceType

Obj = dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Time


def human_duration(d: timedelta) -> str:
    """Go's ``duration.HumanDuration`` of a timedelta."""
    return _human_seconds(d.total_seconds())


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (``metav1.Time`` or ``MicroTime``) as an aware datetime; None when unset/bad."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def translate_timestamp_since(value: Any, now: datetime) -> str:
    """``translateTimestampSince``: "<unknown>" for an unset time, else the human age."""
    ts = parse_time(value)
    if ts is None:
        return "<unknown>"
    return human_duration(_aware(now) - ts)


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def format_rfc3339(value: Any) -> str:
    """``Time.UTC().Format(time.RFC3339)``; the zero time for an unset one (as Go prints it)."""
    ts = parse_time(value)
    if ts is None:
        return "0001-01-01T00:00:00Z"
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------------
# Small helpers shared by the printers


def _get(obj: Any, *path: str | int) -> Any:
    cur = obj
    for p in path:
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                return None
            cur = cur[p]
        else:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
    return cur


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: sorted "k=v" pairs joined by commas, "<none>" when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Any) -> str:
    """``LabelSelectorAsSelector(sel).String()``: requirements sorted by key ("" for none/empty)."""
    sel = _dict(selector)
    reqs: list[tuple[str, str]] = []
    for k, v in _dict(sel.get("matchLabels")).items():
        reqs.append((k, f"{k}={v}"))
    for expr in _list(sel.get("matchExpressions")):
        if not isinstance(expr, dict):
            continue
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        values = ",".join(sorted(str(v) for v in _list(expr.get("values"))))
        if op == "In":
            reqs.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: like :func:`selector_string` but "<none>" when empty."""
    return selector_string(selector) or "<none>"


def layout_container_cells(containers: Any) -> tuple[str, str]:
    names = [str(_get(c, "name") or "") for c in _list(containers)]
    images = [str(_get(c, "image") or "") for c in _list(containers)]
    return ",".join(names), ",".join(images)


# ---------------------------------------------------------------------------------------------------------
# Column definitions


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    priority: int = 0
    format: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


_NAME_DOC = "Name must be unique within a namespace; see the object's metadata.name."
_AGE_DOC = "Time since the object's metadata.creationTimestamp (set by the server, RFC 3339, UTC)."
NAME = Column("Name", format="name", description=_NAME_DOC)
AGE = Column("Age", description=_AGE_DOC)
_CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
_IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")

RowFn = Callable[[Obj, datetime], tuple[list[Any], list[dict[str, Any]] | None]]


# ---------------------------------------------------------------------------------------------------------
# Pods


def _restartable_init(c: Any) -> bool:
    return isinstance(c, dict) and c.get("restartPolicy") == "Always"


def _has_condition(conditions: Any, ctype: str) -> bool:
    return any(_get(c, "type") == ctype and _get(c, "status") == "True" for c in _list(conditions))


def _later(a: datetime | None, b: Any) -> datetime | None:
    t = parse_time(b)
    if t is None:
        return a
    return t if a is None or t > a else a


def pod_row(pod: Obj, now: datetime) -> tuple[list[Any], list[dict[str, Any]] | None]:
    """Cells of printPod (wide included)."""
    spec = _dict(pod.get("spec"))
    status = _dict(pod.get("status"))
    meta = _dict(pod.get("metadata"))
    restarts = 0
    restartable_restarts = 0
    init_specs = {str(_get(c, "name")): c for c in _list(spec.get("initContainers"))}
    total = len(_list(spec.get("containers"))) + sum(1 for c in init_specs.values() if _restartable_init(c))
    ready = 0
    last_restart: datetime | None = None
    last_restartable_restart: datetime | None = None
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or "") or phase
    for cond in _list(status.get("conditions")):
        if _get(cond, "type") == "PodScheduled" and _get(cond, "reason") == "SchedulingGated":
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
    init_statuses = _list(status.get("initContainerStatuses"))
    n_init = len(_list(spec.get("initContainers")))
    for i, cs in enumerate(init_statuses):
        cs = _dict(cs)
        restarts += _int(cs.get("restartCount"))
        last_restart = _later(last_restart, _get(cs, "lastState", "terminated", "finishedAt"))
        is_sidecar = _restartable_init(init_specs.get(str(cs.get("name"))))
        if is_sidecar:
            restartable_restarts += _int(cs.get("restartCount"))
            last_restartable_restart = _later(
                last_restartable_restart, _get(cs, "lastState", "terminated", "finishedAt")
            )
        terminated = (
            _dict(_get(cs, "state", "terminated")) if _get(cs, "state", "terminated") is not None else None
        )
        waiting = _dict(_get(cs, "state", "waiting")) if _get(cs, "state", "waiting") is not None else None
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if _int(terminated.get("signal")) != 0:
                    reason = f"Init:Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
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
        for cs in reversed(_list(status.get("containerStatuses"))):
            cs = _dict(cs)
            restarts += _int(cs.get("restartCount"))
            last_restart = _later(last_restart, _get(cs, "lastState", "terminated", "finishedAt"))
            state = _dict(cs.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif isinstance(terminated, dict):
                if _int(terminated.get("signal")) != 0:
                    reason = f"Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"ExitCode:{_int(terminated.get('exitCode'))}"
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
        restarts_str = f"{restarts} ({human_duration(_aware(now) - last_restart)} ago)"

    pod_ip = str(_get(status, "podIPs", 0, "ip") or "") or "<none>"
    node_name = str(spec.get("nodeName") or "") or "<none>"
    nominated = str(status.get("nominatedNodeName") or "") or "<none>"
    gates = _list(spec.get("readinessGates"))
    readiness = "<none>"
    if gates:
        true_count = 0
        for gate in gates:
            for cond in _list(status.get("conditions")):
                if _get(cond, "type") == _get(gate, "conditionType"):
                    if _get(cond, "status") == "True":
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
    spec = _dict(svc.get("spec"))
    stype = spec.get("type")
    external = [str(x) for x in _list(spec.get("externalIPs"))]
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        found: set[str] = set()
        for ing in _list(_get(svc, "status", "loadBalancer", "ingress")):
            if _get(ing, "ip"):
                found.add(str(_get(ing, "ip")))
            elif _get(ing, "hostname"):
                found.add(str(_get(ing, "hostname")))
        lb = ",".join(sorted(found))  # wide: the server renders wide cells, so no 16-byte clipping
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def _port_string(ports: Any) -> str:
    pieces = []
    for p in _list(ports):
        port = _int(_get(p, "port"))
        proto = str(_get(p, "protocol") or "")
        node_port = _int(_get(p, "nodePort"))
        pieces.append(f"{port}:{node_port}/{proto}" if node_port > 0 else f"{port}/{proto}")
    return ",".join(pieces)


def service_row(svc: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = _dict(svc.get("spec"))
    ips = _list(spec.get("clusterIPs"))
    internal = str(ips[0]) if ips else "<none>"
    ports = _port_string(spec.get("ports")) or "<none>"
    cells = [
        _get(svc, "metadata", "name") or "",
        str(spec.get("type") or ""),
        internal,
        _service_external_ip(svc),
        ports,
        translate_timestamp_since(_get(svc, "metadata", "creationTimestamp"), now),
        format_labels(_dict(spec.get("selector"))),
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
    subsets = _list(ep.get("subsets"))
    if not subsets:
        return "<none>"
    items: list[str] = []
    limit = 3
    more = False
    count = 0
    for ss in subsets:
        addresses = _list(_get(ss, "addresses"))
        ports = _list(_get(ss, "ports"))
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == limit:
                    more = True
                    break
                items.append(str(_get(a, "ip") or ""))
            continue
        for port in ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == limit:
                    more = True
                    break
                ip = str(_get(a, "ip") or "")
                host = f"[{ip}]" if ":" in ip else ip
                items.append(f"{host}:{_int(_get(port, 'port'))}")
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if more else text


def endpoints_row(ep: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(ep, "metadata", "name") or "",
        format_endpoints(ep),
        translate_timestamp_since(_get(ep, "metadata", "creationTimestamp"), now),
    ], None


ENDPOINTS_COLUMNS = [NAME, Column("Endpoints", description="Addresses and ports of the endpoints."), AGE]


def _list_with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def endpointslice_row(es: Obj, now: datetime) -> tuple[list[Any], None]:
    limit = 3
    ports: list[str] = []
    more = False
    count = 0
    for p in _list(es.get("ports")):
        if len(ports) < limit:
            if _get(p, "port") is not None:
                ports.append(str(_int(_get(p, "port"))))
            elif _get(p, "name") is not None:
                ports.append(str(_get(p, "name")))
            else:
                ports.append("*")
        elif len(ports) == limit:
            more = True
        count += 1
    port_text = _list_with_more(ports, more, count, limit)
    addrs: list[str] = []
    more = False
    count = 0
    for e in _list(es.get("endpoints")):
        for a in _list(_get(e, "addresses")):
            if len(addrs) < limit:
                addrs.append(str(a))
            elif len(addrs) == limit:
                more = True
            count += 1
    return [
        _get(es, "metadata", "name") or "",
        str(es.get("addressType") or ""),
        port_text,
        _list_with_more(addrs, more, count, limit),
        translate_timestamp_since(_get(es, "metadata", "creationTimestamp"), now),
    ], None


ENDPOINTSLICE_COLUMNS = [
    NAME,
    Column("AddressType", description="The type of addresses in this slice."),
    Column("Ports", description="The ports of this slice."),
    Column("Endpoints", description="The addresses of this slice's endpoints."),
    AGE,
]


# ---------------------------------------------------------------------------------------------------------
# Workloads


def deployment_row(d: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = _dict(d.get("spec"))
    status = _dict(d.get("status"))
    names, images = layout_container_cells(_get(spec, "template", "spec", "containers"))
    replicas = _int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        _get(d, "metadata", "name") or "",
        f"{_int(status.get('readyReplicas'))}/{replicas}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        translate_timestamp_since(_get(d, "metadata", "creationTimestamp"), now),
        names,
        images,
        selector_string(spec.get("selector")) if spec.get("selector") is not None else "",
    ], None


DEPLOYMENT_COLUMNS = [
    NAME,
    Column("Ready", description="Number of the pod with ready state"),
    Column("Up-to-date", description="Replicas updated to the current pod template."),
    Column("Available", description="Replicas available (ready for minReadySeconds)."),
    AGE,
    _CONTAINERS,
    _IMAGES,
    Column("Selector", priority=1, description="Label selector of the deployment's pods."),
]


def replicaset_row(rs: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = _dict(rs.get("spec"))
    status = _dict(rs.get("status"))
    names, images = layout_container_cells(_get(spec, "template", "spec", "containers"))
    replicas = _int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        _get(rs, "metadata", "name") or "",
        replicas,
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        translate_timestamp_since(_get(rs, "metadata", "creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


REPLICASET_COLUMNS = [
    NAME,
    Column("Desired", type="integer", description="Desired number of replicas (spec.replicas)."),
    Column("Current", type="integer", description="Most recently observed number of replicas."),
    Column("Ready", type="integer", description="Number of ready replicas."),
    AGE,
    _CONTAINERS,
    _IMAGES,
    Column("Selector", priority=1, description="Label selector of the replica set's pods."),
]


def statefulset_row(sts: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = _dict(sts.get("spec"))
    names, images = layout_container_cells(_get(spec, "template", "spec", "containers"))
    replicas = _int(spec.get("replicas")) if spec.get("replicas") is not None else 1
    return [
        _get(sts, "metadata", "name") or "",
        f"{_int(_get(sts, 'status', 'readyReplicas'))}/{replicas}",
        translate_timestamp_since(_get(sts, "metadata", "creationTimestamp"), now),
        names,
        images,
    ], None


STATEFULSET_COLUMNS = [
    NAME,
    Column("Ready", description="Number of the pod with ready state"),
    AGE,
    _CONTAINERS,
    _IMAGES,
]


# ---------------------------------------------------------------------------------------------------------
# Cluster objects


def node_row(node: Obj, now: datetime) -> tuple[list[Any], None]:
    status = _dict(node.get("status"))
    conds = {str(_get(c, "type")): c for c in _list(status.get("conditions"))}
    states: list[str] = []
    if "Ready" in conds:
        states.append("Ready" if _get(conds["Ready"], "status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if _get(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    roles: set[str] = set()
    for k, v in _dict(_get(node, "metadata", "labels")).items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/") :]:
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    info = _dict(status.get("nodeInfo"))

    def address(kind: str) -> str:
        for a in _list(status.get("addresses")):
            if _get(a, "type") == kind:
                return str(_get(a, "address") or "")
        return "<none>"

    return [
        _get(node, "metadata", "name") or "",
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        translate_timestamp_since(_get(node, "metadata", "creationTimestamp"), now),
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
        _get(ns, "metadata", "name") or "",
        str(_get(ns, "status", "phase") or ""),
        translate_timestamp_since(_get(ns, "metadata", "creationTimestamp"), now),
    ], None


NAMESPACE_COLUMNS = [NAME, Column("Status", description="The status of the namespace"), AGE]


def secret_row(s: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(s, "metadata", "name") or "",
        str(s.get("type") or ""),
        len(_dict(s.get("data"))),
        translate_timestamp_since(_get(s, "metadata", "creationTimestamp"), now),
    ], None


SECRET_COLUMNS = [
    NAME,
    Column("Type", description="The secret's type."),
    Column("Data", description="Number of data keys."),
    AGE,
]


def configmap_row(cm: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(cm, "metadata", "name") or "",
        len(_dict(cm.get("data"))) + len(_dict(cm.get("binaryData"))),
        translate_timestamp_since(_get(cm, "metadata", "creationTimestamp"), now),
    ], None


CONFIGMAP_COLUMNS = [NAME, Column("Data", description="Number of data and binaryData keys."), AGE]


def serviceaccount_row(sa: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(sa, "metadata", "name") or "",
        len(_list(sa.get("secrets"))),
        translate_timestamp_since(_get(sa, "metadata", "creationTimestamp"), now),
    ], None


SERVICEACCOUNT_COLUMNS = [NAME, Column("Secrets", description="Number of secrets listed."), AGE]


def lease_row(lease: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(lease, "metadata", "name") or "",
        str(_get(lease, "spec", "holderIdentity") or ""),
        translate_timestamp_since(_get(lease, "metadata", "creationTimestamp"), now),
    ], None


LEASE_COLUMNS = [NAME, Column("Holder", description="The lease's current holder (spec.holderIdentity)."), AGE]


# ---------------------------------------------------------------------------------------------------------
# Events (core/v1 and events.k8s.io/v1 share the printer; the latter is converted first)


def core_event_view(ev: Obj) -> Obj:
    """An events.k8s.io/v1 Event seen with core/v1 field names (what the internal printer reads)."""
    if "regarding" not in ev and "note" not in ev and "deprecatedCount" not in ev:
        return ev
    view = dict(ev)
    view["involvedObject"] = ev.get("regarding") or {}
    view["message"] = ev.get("note", "")
    view["firstTimestamp"] = ev.get("deprecatedFirstTimestamp")
    view["lastTimestamp"] = ev.get("deprecatedLastTimestamp")
    view["count"] = ev.get("deprecatedCount", 0)
    view["source"] = ev.get("deprecatedSource") or {}
    view["reportingComponent"] = ev.get("reportingController", "")
    return view


def event_row(raw: Obj, now: datetime) -> tuple[list[Any], None]:
    ev = core_event_view(raw)
    first = translate_timestamp_since(ev.get("firstTimestamp"), now)
    if parse_time(ev.get("firstTimestamp")) is None:
        first = translate_timestamp_since(ev.get("eventTime"), now)
    last = translate_timestamp_since(ev.get("lastTimestamp"), now)
    if parse_time(ev.get("lastTimestamp")) is None:
        last = first
    count = _int(ev.get("count"))
    series = ev.get("series")
    if isinstance(series, dict):
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1
    io = _dict(ev.get("involvedObject"))
    kind = str(io.get("kind") or "").lower()
    target = f"{kind}/{io['name']}" if io.get("name") else kind
    source = _dict(ev.get("source"))
    component = str(source.get("component") or "") or str(ev.get("reportingComponent") or "")
    instance = str(source.get("host") or "") or str(ev.get("reportingInstance") or "")
    source_text = f"{component}, {instance}" if instance else component
    return [
        last,
        str(ev.get("type") or ""),
        str(ev.get("reason") or ""),
        target,
        str(io.get("fieldPath") or ""),
        source_text,
        str(ev.get("message") or "").strip(),
        first,
        count,
        _get(ev, "metadata", "name") or "",
    ], None


EVENT_COLUMNS = [
    Column("Last Seen", description="When the event was last observed."),
    Column("Type", description="Normal or Warning."),
    Column("Reason", description="Short machine-readable reason."),
    Column("Object", description="The object the event is about (kind/name)."),
    Column("Subobject", priority=1, description="Field path within the object (involvedObject.fieldPath)."),
    Column("Source", priority=1, description="The component (and host) that reported the event."),
    Column("Message", description="Human-readable description."),
    Column("First Seen", priority=1, description="When the event was first observed."),
    Column("Count", priority=1, description="How many times it occurred."),
    Column("Name", priority=1, format="name", description=_NAME_DOC),
]


# ---------------------------------------------------------------------------------------------------------
# Default and custom-resource tables


def default_row(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        _get(obj, "metadata", "name") or "",
        format_rfc3339(_get(obj, "metadata", "creationTimestamp")),
    ], None


DEFAULT_COLUMNS = [NAME, Column("Created At", type="date", description=_AGE_DOC)]

#: additionalPrinterColumns a CRD version gets when it declares none.
DEFAULT_CRD_PRINTER_COLUMNS: tuple[dict[str, Any], ...] = (
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)


def _simple_jsonpath(obj: Any, path: str) -> tuple[bool, Any]:
    """Evaluate a simple JSONPath (``.a.b``, ``.a[0].b``, ``.a['x.y']``) as CRD printer columns use them."""
    tokens: list[str | int] = []
    i = 0
    p = path.strip()
    if p.startswith("{") and p.endswith("}"):
        p = p[1:-1]
    while i < len(p):
        ch = p[i]
        if ch == ".":
            j = i + 1
            while j < len(p) and p[j] not in ".[":
                j += 1
            if j > i + 1:
                tokens.append(p[i + 1 : j])
            i = j
        elif ch == "[":
            j = p.index("]", i)
            inner = p[i + 1 : j].strip()
            if inner.startswith(("'", '"')):
                tokens.append(inner[1:-1])
            else:
                try:
                    tokens.append(int(inner))
                except ValueError:
                    return False, None
            i = j + 1
        else:
            j = i
            while j < len(p) and p[j] not in ".[":
                j += 1
            tokens.append(p[i:j])
            i = j
    cur = obj
    for t in tokens:
        if isinstance(t, int):
            if not isinstance(cur, list) or not -len(cur) <= t < len(cur):
                return False, None
            cur = cur[t]
        else:
            if not isinstance(cur, dict) or t not in cur:
                return False, None
            cur = cur[t]
    return True, cur


def _print_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _typed_cell(ctype: str, value: Any, now: datetime) -> Any:
    if value is None:
        return None
    if ctype == "string":
        return _print_value(value)
    if ctype == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if ctype == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if ctype == "boolean" and isinstance(value, bool):
        return value
    if ctype == "date" and isinstance(value, str):
        ts = parse_time(value)
        return "<invalid>" if ts is None else human_duration(_aware(now) - ts)
    return None


def crd_columns(printer_columns: Iterable[Mapping[str, Any]]) -> list[Column]:
    cols = [NAME]
    for c in printer_columns:
        desc = str(
            c.get("description")
            or f"Custom resource definition column (in JSONPath format): {c.get('jsonPath', '')}"
        )
        cols.append(
            Column(
                name=str(c.get("name", "")),
                type=str(c.get("type", "string")),
                format=str(c.get("format") or ""),
                priority=_int(c.get("priority")),
                description=desc,
            )
        )
    return cols


def crd_row_fn(printer_columns: tuple[Mapping[str, Any], ...]) -> RowFn:
    def row(obj: Obj, now: datetime) -> tuple[list[Any], None]:
        cells: list[Any] = [_get(obj, "metadata", "name") or ""]
        for c in printer_columns:
            found, value = _simple_jsonpath(obj, str(c.get("jsonPath", "")))
            cells.append(_typed_cell(str(c.get("type", "string")), value, now) if found else None)
        return cells, None

    return row


_PRINTERS: dict[tuple[str, str], tuple[list[Column], RowFn]] = {
    ("", "pods"): (POD_COLUMNS, pod_row),
    ("", "services"): (SERVICE_COLUMNS, service_row),
    ("", "endpoints"): (ENDPOINTS_COLUMNS, endpoints_row),
    ("discovery.k8s.io", "endpointslices"): (ENDPOINTSLICE_COLUMNS, endpointslice_row),
    ("apps", "deployments"): (DEPLOYMENT_COLUMNS, deployment_row),
    ("apps", "replicasets"): (REPLICASET_COLUMNS, replicaset_row),
    ("apps", "statefulsets"): (STATEFULSET_COLUMNS, statefulset_row),
    ("", "nodes"): (NODE_COLUMNS, node_row),
    ("", "namespaces"): (NAMESPACE_COLUMNS, namespace_row),
    ("", "secrets"): (SECRET_COLUMNS, secret_row),
    ("", "configmaps"): (CONFIGMAP_COLUMNS, configmap_row),
    ("", "serviceaccounts"): (SERVICEACCOUNT_COLUMNS, serviceaccount_row),
    ("coordination.k8s.io", "leases"): (LEASE_COLUMNS, lease_row),
    ("", "events"): (EVENT_COLUMNS, event_row),
    ("events.k8s.io", "events"): (EVENT_COLUMNS, event_row),
}


def printer_for(rt: ResourceType) -> tuple[list[Column], RowFn]:
    """The columns and row function kube-apiserver uses for ``rt``."""
    if rt.crd_name:
        pcs = tuple(rt.printer_columns) or DEFAULT_CRD_PRINTER_COLUMNS
        return crd_columns(pcs), crd_row_fn(pcs)
    if rt.group in ("certificates.k8s.io", "rbac.authorization.k8s.io"):
        from kpy.testing.certtables import PRINTERS

        return PRINTERS.get((rt.group, rt.resource), (DEFAULT_COLUMNS, default_row))
    return _PRINTERS.get((rt.group, rt.resource), (DEFAULT_COLUMNS, default_row))


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def to_table(
    rt: ResourceType,
    objs: list[Obj],
    *,
    include_object: str = "Metadata",
    list_meta: dict[str, Any] | None = None,
    now: datetime,
    no_headers: bool = False,
) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objs`` (all of type ``rt``).

    ``include_object`` is the request's ``includeObject`` (None/Metadata/Object). ``list_meta`` is the list's
    metadata (resourceVersion, continue, remainingItemCount); None for a single-object GET, whose
    resourceVersion is then copied from the object. ``no_headers`` leaves out columnDefinitions
    (TableOptions.noHeaders, as kubectl asks for on later watch pages).
    """
    columns, row_fn = printer_for(rt)
    metadata: dict[str, Any] = {}
    if list_meta is not None:
        for key in ("resourceVersion", "continue", "remainingItemCount"):
            if list_meta.get(key) not in (None, ""):
                metadata[key] = list_meta[key]
    elif len(objs) == 1:
        rv = _get(objs[0], "metadata", "resourceVersion")
        if rv:
            metadata["resourceVersion"] = rv
    rows: list[dict[str, Any]] = []
    for obj in objs:
        cells, conditions = row_fn(obj, now)
        row: dict[str, Any] = {"cells": cells}
        if conditions:
            row["conditions"] = conditions
        obj_part = _row_object(obj, include_object)
        if obj_part is not None:
            row["object"] = obj_part
        rows.append(row)
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}
    if not no_headers:
        table["columnDefinitions"] = [c.as_dict() for c in columns]
    table["rows"] = rows
    return table
