"""Which pod and container ``kpy exec``/``kpy cp`` talk to, chosen as kubectl does.

``TYPE/NAME`` (or a pod name) picks a pod like kubectl's ``AttachablePodForObject`` (the portforward
resolver's helpers: a workload's most active running pod, waiting up to ``--pod-running-timeout``); without
``-c`` the container is the ``kubectl.kubernetes.io/default-container`` annotation's, else the first one,
with kubectl's ``Defaulted container ...`` notice when the pod has others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpy.errors import KpyError

if TYPE_CHECKING:
    from kpy.rest import RestClient

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


class ExecTargetError(KpyError):
    """The pod cannot run a command (completed, no containers, an unknown default container)."""


async def resolve_pod(
    client: RestClient, namespace: str, target: str, pod_running_timeout: float
) -> dict[str, Any]:
    """The pod object for ``target`` (``NAME``, ``pod/NAME``, ``deploy/NAME``, ``svc/NAME`` ...)."""
    if target and "/" not in target:  # a pod's name: no need to load the resolver (and asyncio with it)
        pod = await client.get_json(f"/api/v1/namespaces/{namespace}/pods/{target}")
        return _check_phase(pod)
    from kpy.portforward.resolve import PODS, parse_target, selector_for, wait_for_running_pod

    parsed = parse_target(target)
    if parsed.kind is not PODS and client.blocking():
        from kpy.rest.blocking import NeedsEventLoop

        raise NeedsEventLoop("waiting for a running pod needs the event loop")  # before any request
    obj = await client.get_json(parsed.path(namespace))
    if parsed.kind is PODS:
        pod = obj
    else:
        pod = await wait_for_running_pod(client, namespace, selector_for(obj), pod_running_timeout)
    return _check_phase(pod)


def _check_phase(pod: dict[str, Any]) -> dict[str, Any]:
    phase = str((pod.get("status") or {}).get("phase", ""))
    if phase in ("Succeeded", "Failed"):
        raise ExecTargetError(f"cannot exec into a container in a completed pod; current phase is {phase}")
    return pod


def all_container_names(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    names = [str(c.get("name", "")) for c in spec.get("containers") or []]
    names += [f"{c.get('name', '')} (ephem)" for c in spec.get("ephemeralContainers") or []]
    names += [f"{c.get('name', '')} (init)" for c in spec.get("initContainers") or []]
    return ", ".join(names)


def default_container(pod: dict[str, Any]) -> tuple[str, str | None]:
    """(container, notice or None): kubectl's ``FindOrDefaultContainerByName`` without a name."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    containers = [str(c.get("name", "")) for c in spec.get("containers") or []]
    if not containers:
        raise ExecTargetError(
            f"pod {meta.get('namespace', '')}/{meta.get('name', '')} does not have any containers"
        )
    wanted = str((meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION, ""))
    if wanted:
        every = containers + [
            str(c.get("name", ""))
            for key in ("initContainers", "ephemeralContainers")
            for c in spec.get(key) or []
        ]
        if wanted not in every:
            raise ExecTargetError(
                f"container {wanted} is not valid for pod {meta.get('name', '')} out of: {all_container_names(pod)}"
            )
        return wanted, None
    notice = None
    if len(containers) > 1 or spec.get("initContainers") or spec.get("ephemeralContainers"):
        notice = f'Defaulted container "{containers[0]}" out of: {all_container_names(pod)}'
    return containers[0], notice
