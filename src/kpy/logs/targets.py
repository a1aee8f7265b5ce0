"""Which pods and containers a ``kpy logs`` QUERY names, with kubectl's rules and messages.

kubectl's forms: ``NAME`` / ``pod/NAME``, ``TYPE/NAME`` of a workload or service (its selector; the first pod in
kubectl's ``ByLogging`` order unless ``--all-pods``), ``-l SELECTOR``. kpy adds a regular expression over pod
names (stern) when a bare NAME is no pod and looks like one, and ``-A``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpy.errors import ApiError, NotFound, UsageError
from kpy.rest.discovery import ResourceInfo

if TYPE_CHECKING:
    from kpy.rest import RestClient
    from kpy.rest.discovery import Discovery

Obj = dict[str, Any]
PODS = ResourceInfo(group="", version="v1", resource="pods", kind="Pod", namespaced=True)
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
_REGEX_CHARS = set("*+?[](){}|^$\\")


class LogsNotFound(UsageError):
    """kubectl logs wraps the server's NotFound: ``error: error from server (NotFound): pods "x" not found in
    namespace "ns"``."""


@dataclass
class Query:
    """What the user asked for (flags already validated)."""

    resource: str = ""  #: NAME, TYPE/NAME or a regular expression ("" with a selector)
    selector: str = ""
    namespace: str | None = "default"  #: None: every namespace (-A)
    all_pods: bool = False
    container: str = ""
    all_containers: bool = False


@dataclass
class Resolved:
    """The pods found now, and how to watch for more with -f."""

    pods: list[Obj]
    label_selector: str | None = None
    field_selector: str | None = None
    name_pattern: re.Pattern[str] | None = None
    #: a named pod (or the first pod of a workload): following ends when it is gone
    single_pod: bool = False
    #: kubectl's "No resources found" case
    empty_message: str = ""
    notices: list[str] = field(default_factory=list)

    def matches(self, pod: Obj) -> bool:
        if self.name_pattern is None:
            return True
        return self.name_pattern.search(str((pod.get("metadata") or {}).get("name", ""))) is not None


def looks_like_regex(name: str) -> bool:
    return any(ch in _REGEX_CHARS for ch in name)


def selector_string(selector: Obj | None) -> str:
    """A LabelSelector (``matchLabels``/``matchExpressions``) or a service's map as a label query."""
    if not selector:
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
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
    return ",".join(parts)


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _ready_time(pod: Obj) -> str:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return next((str(c.get("lastTransitionTime") or "") for c in conditions if c.get("type") == "Ready"), "")


def _max_restarts(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((int(s.get("restartCount") or 0) for s in statuses), default=0)


def by_logging_key(pod: Obj) -> tuple[Any, ...]:
    """kubectl's podutils.ByLogging as a sort key: assigned, Running < Unknown < Pending, ready, ready longer,
    more restarts, older."""
    phase = {"Running": 0, "Unknown": 1, "Pending": 2}.get(str((pod.get("status") or {}).get("phase")), 3)
    created = str((pod.get("metadata") or {}).get("creationTimestamp") or "~")
    ready = _ready(pod)
    return (
        not (pod.get("spec") or {}).get("nodeName"),
        phase,
        not ready,
        (_ready_time(pod) or "~") if ready else "",
        -_max_restarts(pod),
        created,
    )


def all_container_names(pod: Obj) -> list[str]:
    """init containers, containers, ephemeral containers (podutil.VisitContainers order)."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
    ]


def _described_names(pod: Obj) -> str:
    """kubectl's allContainerNames: containers, then init containers ``(init)``, ephemeral ``(ephem)``."""
    spec = pod.get("spec") or {}
    names = [str(c.get("name")) for c in spec.get("containers") or []]
    names += [f"{c.get('name')} (init)" for c in spec.get("initContainers") or []]
    names += [f"{c.get('name')} (ephem)" for c in spec.get("ephemeralContainers") or []]
    return ", ".join(names)


def containers_of(pod: Obj, query: Query, notice: Callable[[str], None]) -> list[str]:
    """The containers to read in one pod, as kubectl picks them (and its "Defaulted container" notice)."""
    name = str((pod.get("metadata") or {}).get("name", ""))
    if query.all_containers:
        return all_container_names(pod)
    if query.container:
        if query.container not in all_container_names(pod):
            raise UsageError(f"container {query.container} is not valid for pod {name}")
        return [query.container]
    spec = pod.get("spec") or {}
    containers = [str(c.get("name")) for c in spec.get("containers") or []]
    if len(containers) == 1:
        return containers
    annotated = str(((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER, ""))
    if annotated and annotated in all_container_names(pod):
        return [annotated]
    if not containers:
        return []
    notice(f'Defaulted container "{containers[0]}" out of: {_described_names(pod)}')
    return containers[:1]


async def _list_pods(
    client: RestClient,
    namespace: str | None,
    label_selector: str | None = None,
    field_selector: str | None = None,
) -> list[Obj]:
    from kpy.rest.watch import list_all

    result = await list_all(
        client, PODS, namespace, label_selector=label_selector, field_selector=field_selector
    )
    return list(result.items)


def _no_resources(namespace: str | None) -> str:
    return f"No resources found in {namespace} namespace." if namespace else "No resources found"


_WITH_PODS = {
    ("", "replicationcontrollers"),
    ("", "services"),
    ("apps", "replicasets"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
}
_BUILTIN = {"apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io"}


async def resolve(
    client: RestClient,
    discovery: Discovery | None,
    query: Query,
    *,
    pod_running_timeout: float = 20.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Resolved:
    """The pods of ``query`` now (raises kubectl's errors for missing objects)."""
    ns = query.namespace
    if query.selector:
        try:
            pods = await _list_pods(client, ns, label_selector=query.selector)
        except ApiError as exc:
            if exc.reason != "BadRequest" and exc.code != 400:
                raise
            raise type(exc)(
                f'Unable to find "/v1, Resource=pods" that match label selector "{query.selector}", '
                f'field selector "": {exc}',
                code=exc.code,
                reason=exc.reason,
                status=exc.status,
            ) from None
        return Resolved(pods, label_selector=query.selector, empty_message=_no_resources(ns))
    kind, sep, name = query.resource.partition("/")
    if not sep:
        kind, name = "pods", query.resource
    if kind in ("pod", "pods", "po"):
        if ns is not None:
            try:
                pod = (await client.get_named(PODS.path(ns) + "/" + name, ns)).json()
                return Resolved([pod], field_selector=f"metadata.name={name}", single_pod=True)
            except NotFound as exc:
                if sep or not looks_like_regex(name):
                    raise LogsNotFound(f'error from server (NotFound): {exc} in namespace "{ns}"') from None
        elif not looks_like_regex(name):
            pods = await _list_pods(client, None, field_selector=f"metadata.name={name}")
            return Resolved(pods, field_selector=f"metadata.name={name}", empty_message=_no_resources(None))
        try:
            pattern = re.compile(name)
        except re.error as exc:
            raise UsageError(f"invalid pod name pattern {name!r}: {exc}") from None
        pods = [p for p in await _list_pods(client, ns) if pattern.search(p["metadata"]["name"])]
        return Resolved(pods, name_pattern=pattern, empty_message=_no_resources(ns))
    if ns is None:
        raise UsageError("a resource cannot be retrieved by name across all namespaces")
    if discovery is None:
        from kpy.rest.discovery import Discovery

        discovery = Discovery(client, client.config.cache_dir)
    info = await discovery.resolve(kind)
    try:
        obj = (await client.get_named(info.path(ns) + "/" + name, ns)).json()
    except NotFound as exc:
        raise LogsNotFound(f'error from server (NotFound): {exc} in namespace "{ns}"') from None
    if (info.group, info.resource) not in _WITH_PODS:
        go_type = (
            f"*{info.version}.{info.kind}"
            if not info.group or info.group in _BUILTIN
            else "*unstructured.Unstructured"
        )
        raise UsageError(f"cannot get the logs from {go_type}: selector for {go_type} not implemented")
    selector = selector_string((obj.get("spec") or {}).get("selector"))
    deadline = clock() + pod_running_timeout
    while True:
        pods = await _list_pods(client, ns, label_selector=selector) if selector else []
        if pods or query.all_pods or clock() >= deadline:
            break
        await sleep(min(1.0, max(0.0, deadline - clock())))
    if not query.all_pods:
        pods = sorted(pods, key=by_logging_key)[:1]
        if not pods:
            raise UsageError("timed out waiting for the condition")
        return Resolved(pods, field_selector=f"metadata.name={pods[0]['metadata']['name']}", single_pod=True)
    return Resolved(pods, label_selector=selector, empty_message=_no_resources(ns))
