"""From ``TYPE/NAME`` and ``[LOCAL:]REMOTE`` arguments to one pod and numeric port pairs, the kubectl way.

kubectl ``pkg/cmd/portforward``: a pod is used as is; a service or workload is turned into its pod selector
and the most active matching pod is chosen (``podutils.ActivePods``, reversed); service ports (number or
name) map to the pod's ``targetPort`` (number or named container port); named remote ports on pods map to
container ports. ``--pod-running-timeout`` bounds the wait for a running pod behind a service/workload.
Messages are kubectl's (``Pod 'web' does not have a named port 'x'``, ``remote port must be > 0``, ...).

The parsing and translation functions are pure; ``resolve`` does the API calls.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kpy.errors import ForwardError, UsageError
from kpy.gocompat.metav1 import parse_optional_time

if TYPE_CHECKING:
    from kpy.rest import RestClient


@dataclass(frozen=True)
class Kind:
    """A resource type port-forward can target: where it lives and its pod-selector shape."""

    resource: str
    api_prefix: str  #: "/api/v1" or "/apis/apps/v1"
    kind: str


PODS = Kind("pods", "/api/v1", "Pod")
SERVICES = Kind("services", "/api/v1", "Service")
KINDS: dict[str, Kind] = {}
for _kind, _aliases in (
    (PODS, ("po", "pod", "pods")),
    (SERVICES, ("svc", "service", "services")),
    (Kind("deployments", "/apis/apps/v1", "Deployment"), ("deploy", "deployment", "deployments")),
    (Kind("replicasets", "/apis/apps/v1", "ReplicaSet"), ("rs", "replicaset", "replicasets")),
    (Kind("statefulsets", "/apis/apps/v1", "StatefulSet"), ("sts", "statefulset", "statefulsets")),
    (Kind("daemonsets", "/apis/apps/v1", "DaemonSet"), ("ds", "daemonset", "daemonsets")),
    (Kind("jobs", "/apis/batch/v1", "Job"), ("job", "jobs")),
    (
        Kind("replicationcontrollers", "/api/v1", "ReplicationController"),
        ("rc", "replicationcontroller", "replicationcontrollers"),
    ),
):
    for _alias in _aliases:
        KINDS[_alias] = _kind
    KINDS[_kind.kind.lower()] = _kind
    group = _kind.api_prefix.split("/")[2] if _kind.api_prefix.startswith("/apis/") else ""
    if group:
        for _alias in _aliases:
            KINDS[f"{_alias}.{group}"] = _kind


@dataclass(frozen=True)
class Target:
    """What the user named: a kind and an object name."""

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.resource}/{self.name}"

    def path(self, namespace: str) -> str:
        return f"{self.kind.api_prefix}/namespaces/{namespace}/{self.kind.resource}/{self.name}"


def parse_target(arg: str) -> Target:
    """``pod/NAME``, ``NAME`` (a pod), ``svc/NAME``, ``deploy/NAME``, ``rs/``, ``sts/``, ``ds/``, ``job/``, ``rc/``."""
    if "/" not in arg:
        if not arg:
            raise UsageError("pod name or resource type/name must be specified")
        return Target(PODS, arg)
    type_part, _, name = arg.partition("/")
    if not type_part or not name or "/" in name:
        raise UsageError("arguments in resource/name form must have a single resource and name")
    kind = KINDS.get(type_part.lower())
    if kind is None:
        raise UsageError(f'the server doesn\'t have a resource type "{type_part}"')
    return Target(kind, name)


# --- ports --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortSpec:
    """One ``[LOCAL:]REMOTE`` argument, split but not yet resolved (REMOTE may be a port name)."""

    raw: str
    local: str  #: "" means "same as remote" only before translation; see ``split_port``
    remote: str
    local_given: bool  #: False for a bare "80" / "http" (local follows remote)


@dataclass(frozen=True)
class ForwardedPort:
    """A numeric pair; ``local`` 0 means "pick a free port" until a listener is bound."""

    local: int
    remote: int


def split_port(raw: str) -> PortSpec:
    """Split ``8080:80`` / ``80`` / ``:80`` / ``8080:http`` (kubectl ``splitPort`` + client-go ``parsePorts``)."""
    parts = raw.split(":")
    if len(parts) == 1:
        return PortSpec(raw, parts[0], parts[0], local_given=False)
    if len(parts) == 2:
        return PortSpec(raw, parts[0] or "0", parts[1], local_given=True)
    raise UsageError(f"invalid port format '{raw}'")


def _parse_uint16(text: str) -> int | None:
    if not text or not all("0" <= ch <= "9" for ch in text):
        return None
    return int(text)


def _uint16_error(kind: str, text: str) -> UsageError:
    why = "invalid syntax" if _parse_uint16(text) is None else "value out of range"
    return UsageError(f"error parsing {kind} port '{text}': strconv.ParseUint: parsing \"{text}\": {why}")


def numeric_port(spec: PortSpec, remote: int | str) -> ForwardedPort:
    """Finish a spec whose remote side is known (client-go ``parsePorts`` checks)."""
    remote_text = str(remote)
    local_text = spec.local if spec.local_given else remote_text
    local = _parse_uint16(local_text)
    if local is None or local > 65535:
        raise _uint16_error("local", local_text)
    remote_num = _parse_uint16(remote_text)
    if remote_num is None or remote_num > 65535:
        raise _uint16_error("remote", remote_text)
    if remote_num == 0:
        raise UsageError("remote port must be > 0")
    return ForwardedPort(local, remote_num)


def validate_port_syntax(raw_ports: Sequence[str]) -> list[PortSpec]:
    """Checks that need no server: format, empty remote, numeric local part."""
    if not raw_ports:
        raise UsageError("TYPE/NAME and list of ports are required for port-forward")
    specs = [split_port(p) for p in raw_ports]
    for spec in specs:
        if spec.remote == "":
            raise UsageError("remote port cannot be empty")
        if spec.local_given:
            local = _parse_uint16(spec.local)
            if local is None or local > 65535:
                raise _uint16_error("local", spec.local)
    return specs


def _is_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def container_port_by_name(pod: dict[str, Any], name: str) -> int:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            for port in container.get("ports") or []:
                if port.get("name") == name:
                    return int(port.get("containerPort", 0))
    raise ForwardError(f"Pod '{_name(pod)}' does not have a named port '{name}'")


def service_port_by_name(svc: dict[str, Any], name: str) -> int:
    for port in (svc.get("spec") or {}).get("ports") or []:
        if port.get("name") == name:
            return int(port.get("port", 0))
    raise ForwardError(f"Service '{_name(svc)}' does not have a named port '{name}'")


def container_port_for_service_port(svc: dict[str, Any], pod: dict[str, Any], port: int) -> int:
    spec = svc.get("spec") or {}
    if spec.get("clusterIP") == "None":
        return port
    for svc_port in spec.get("ports") or []:
        if int(svc_port.get("port", -1)) != port:
            continue
        target = svc_port.get("targetPort")
        if target is None or isinstance(target, int):
            return int(target) if target else port
        if isinstance(target, str) and _is_number(target):
            return int(target) or port
        return container_port_by_name(pod, str(target))
    raise ForwardError(f"Service {_name(svc)} does not have a service port {port}")


def _udp_only(ports: list[tuple[int, str]]) -> set[int]:
    udp = {n for n, proto in ports if proto == "UDP"}
    tcp = {n for n, proto in ports if proto in ("TCP", "")}
    return udp - tcp


def translate_ports(
    specs: Sequence[PortSpec], obj: dict[str, Any], pod: dict[str, Any]
) -> list[ForwardedPort]:
    """kubectl's ``translateServicePortToTargetPort`` for services, ``convertPodNamedPortToNumber`` otherwise,
    including the UDP check, then the numeric checks of client-go's ``parsePorts``."""
    is_service = obj.get("kind") == "Service"
    out: list[ForwardedPort] = []
    for spec in specs:
        if spec.remote == "":
            raise UsageError("remote port cannot be empty")
        if is_service:
            svc_ports = [
                (int(p.get("port", 0)), p.get("protocol") or "TCP")
                for p in (obj.get("spec") or {}).get("ports") or []
            ]
            number = int(spec.remote) if _is_number(spec.remote) else service_port_by_name(obj, spec.remote)
            if number in _udp_only(svc_ports):
                raise ForwardError(f"UDP protocol is not supported for {spec.remote}")
            remote = container_port_for_service_port(obj, pod, number)
            # a bare named port ("http") listens on the service's port number, like kubectl
            local_spec = spec if spec.local_given else PortSpec(spec.raw, str(number), str(remote), True)
            out.append(numeric_port(local_spec, remote))
        else:
            ct_ports = [
                (int(p.get("containerPort", 0)), p.get("protocol") or "TCP")
                for c in (pod.get("spec") or {}).get("containers") or []
                for p in c.get("ports") or []
            ]
            remote_text = spec.remote
            if not _is_number(remote_text):
                remote_text = str(container_port_by_name(pod, remote_text))
            if _is_number(remote_text) and int(remote_text) in _udp_only(ct_ports):
                raise ForwardError(f"UDP protocol is not supported for {spec.remote}")
            out.append(numeric_port(spec, remote_text))
    return out


# --- addresses ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListenAddress:
    """Where to bind. ``all``: the port fails only if every such address fails (localhost); ``any``: if one does."""

    address: str
    family: str  #: "tcp4" | "tcp6"
    failure_mode: str


def parse_addresses(values: Sequence[str]) -> list[ListenAddress]:
    """``--address`` values (comma lists allowed); ``localhost`` means 127.0.0.1 and ::1 (client-go)."""
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not items:
        raise UsageError("you must specify at least 1 address")
    parsed: dict[str, ListenAddress] = {}
    for item in items:
        if item == "localhost":
            parsed.setdefault("127.0.0.1", ListenAddress("127.0.0.1", "tcp4", "all"))
            parsed.setdefault("::1", ListenAddress("::1", "tcp6", "all"))
            continue
        try:
            ip = ipaddress.ip_address(item)
        except ValueError:
            raise UsageError(f"{item} is not a valid IP") from None
        parsed[item] = ListenAddress(item, "tcp4" if ip.version == 4 else "tcp6", "any")
    return sorted(parsed.values(), key=lambda a: a.address)


# --- pods ---------------------------------------------------------------------------------------------------


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _ts(value: Any) -> datetime | None:
    return parse_optional_time(value)


def _ready_time(pod: dict[str, Any]) -> datetime | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return _ts(cond.get("lastTransitionTime"))
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


def _max_restarts(pod: dict[str, Any]) -> int:
    return max(
        (int(c.get("restartCount", 0)) for c in (pod.get("status") or {}).get("containerStatuses") or []),
        default=0,
    )


_NEWEST = float("-inf")


def activeness(pod: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key: larger = more active (podutils.ActivePods order). Ties keep list order."""
    ready = is_ready(pod)
    ready_at = _ready_time(pod) if ready else None
    created = _ts((pod.get("metadata") or {}).get("creationTimestamp"))
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        {"Pending": 0, "Unknown": 1, "Running": 2}.get(phase(pod), 0),
        ready,
        # ready longer (earlier time) is more active; no time is the least active
        _NEWEST if ready_at is None else -ready_at.timestamp(),
        -_max_restarts(pod),
        _NEWEST if created is None else -created.timestamp(),
    )


def pick_pod(pods: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The most active pod (what kubectl attaches/forwards to), or None."""
    if not pods:
        return None
    return max(pods, key=activeness)


def selector_for(obj: dict[str, Any]) -> str:
    """The pod label selector of a service or workload, as a query string (SelectorsForObject)."""
    kind = obj.get("kind", "")
    spec = obj.get("spec") or {}
    if kind in ("Service", "ReplicationController"):
        selector = spec.get("selector") or {}
        if not selector:
            if kind == "Service":
                raise ForwardError(f"invalid service '{_name(obj)}': Service is defined without a selector")
            raise ForwardError(f"invalid {kind.lower()} '{_name(obj)}': no selector")
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        raise ForwardError(f"selector for {kind} not implemented")
    return label_selector_string(selector)


def label_selector_string(selector: dict[str, Any]) -> str:
    """metav1.LabelSelector -> the string form (matchLabels, then matchExpressions)."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ForwardError(f"invalid label selector: {op!r} is not a valid pod selector operator")
    if not parts:
        raise ForwardError("invalid label selector: empty selector matches everything")
    return ",".join(parts)


@dataclass(frozen=True)
class Resolved:
    """The pod to forward to and the numeric port pairs (local 0 = random)."""

    namespace: str
    pod: str
    pod_uid: str
    ports: tuple[ForwardedPort, ...]
    target: Target
    object: dict[str, Any]


async def resolve(
    client: RestClient,
    namespace: str,
    target: Target,
    specs: Sequence[PortSpec],
    *,
    pod_running_timeout: float = 60.0,
    wait_for_pod_target: bool = False,
) -> Resolved:
    """Fetch the target, choose its pod, and translate the ports (kubectl ``Complete`` + ``RunPortForward``).

    ``wait_for_pod_target`` (used when reconnecting): a ``pod/NAME`` target may be absent or not running yet;
    wait up to ``pod_running_timeout`` for it instead of failing.
    """
    if target.kind is PODS and wait_for_pod_target:
        obj = await wait_for_running_pod(
            client, namespace, None, pod_running_timeout, field_selector=f"metadata.name={target.name}"
        )
    else:
        obj = await client.get_json(target.path(namespace))
    obj.setdefault("kind", target.kind.kind)
    if target.kind is PODS:
        pod = obj
    else:
        pod = await wait_for_running_pod(client, namespace, selector_for(obj), pod_running_timeout)
    ports = translate_ports(specs, obj, pod)
    if phase(pod) != "Running":
        raise ForwardError(f"unable to forward port because pod is not running. Current status={phase(pod)}")
    meta = pod.get("metadata") or {}
    return Resolved(namespace, str(meta.get("name", "")), str(meta.get("uid", "")), tuple(ports), target, obj)


async def wait_for_running_pod(
    client: RestClient,
    namespace: str,
    selector: str | None,
    timeout: float,
    *,
    field_selector: str | None = None,
) -> dict[str, Any]:
    """The most active running pod matching the selectors, waiting up to ``timeout`` seconds for one."""
    from kpy.rest.discovery_docs import ResourceInfo
    from kpy.rest.watch import Reflector

    info = ResourceInfo(group="", version="v1", resource="pods", kind="Pod", namespaced=True)
    pods: dict[str, dict[str, Any]] = {}
    synced = False

    def best() -> dict[str, Any] | None:
        running = [
            p
            for p in pods.values()
            if phase(p) == "Running" and not (p.get("metadata") or {}).get("deletionTimestamp")
        ]
        return pick_pod(running)

    try:
        async with asyncio.timeout(timeout):
            async for event in Reflector(
                client, info, namespace, label_selector=selector, field_selector=field_selector
            ):
                if event.type == "SYNCED":
                    synced = True
                elif event.type == "DELETED":
                    pods.pop(_name(event.object), None)
                else:
                    pods[_name(event.object)] = event.object
                if synced and (pod := best()) is not None:
                    return pod
    except TimeoutError:
        pass
    if pods:
        # kubectl picks the most active pod even when it is not running, then refuses to forward to it
        chosen = pick_pod(list(pods.values()))
        assert chosen is not None
        return chosen
    wanted = selector or field_selector
    raise ForwardError(f"timed out waiting for the condition (no running pod matches {wanted})")
