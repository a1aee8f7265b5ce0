"""Scriptable failures for the emulator: latency, injected error responses, dropped streams, compaction, pause.

Every method is synchronous and safe to call from the emulator's loop (``EmulatorThread.call`` runs it
there): they only flip state the request middleware and streams look at.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kpy.testing.status import StatusError, status_body

if TYPE_CHECKING:
    from kpy.testing.api import Api
    from kpy.testing.resources import ResourceRegistry
    from kpy.testing.store import Store


class FaultTarget(Protocol):
    """What the fault switches act on (an :class:`~kpy.testing.Emulator`): its types, objects and streams,
    and its listening socket."""

    registry: ResourceRegistry
    api: Api
    store: Store
    url: str

    def abort_portforward(
        self, namespace: str | None = None, pod: str | None = None, reason: str = ""
    ) -> int: ...

    async def stop_listening(self) -> None: ...

    async def listen(self, port: int) -> int: ...


@dataclass
class FailRule:
    remaining: int
    status: int
    retry_after: int | None
    match: re.Pattern[str] | None
    verb: str | None
    message: str

    def applies(self, method: str, path: str) -> bool:
        if self.verb is not None and self.verb.upper() != method.upper():
            return False
        return self.match is None or self.match.search(path) is not None


@dataclass
class Faults:
    """Fault injection switches of one :class:`~kpy.testing.Emulator`."""

    emulator: FaultTarget
    #: seconds added before every request is handled
    latency: float = 0.0
    #: (path regex, seconds) pairs added on top of ``latency`` for matching paths
    path_latency: list[tuple[re.Pattern[str], float]] = field(default_factory=list)
    rules: list[FailRule] = field(default_factory=list)
    #: resource (plural, e.g. "pods") -> user: every request for it is answered 403 as RBAC would
    forbidden_resources: dict[str, str] = field(default_factory=dict)
    _running: asyncio.Event | None = None

    def set_latency(self, seconds: float, match: str | None = None) -> None:
        """Delay every request (or those whose path matches the regex ``match``) by ``seconds``."""
        if match is None:
            self.latency = seconds
        else:
            self.path_latency.append((re.compile(match), seconds))

    def clear(self) -> None:
        """Undo latency and pending failures, resume if paused."""
        self.latency = 0.0
        self.path_latency.clear()
        self.rules.clear()
        self.forbidden_resources.clear()
        self.resume()

    def delay_for(self, path: str) -> float:
        return self.latency + sum(s for rx, s in self.path_latency if rx.search(path))

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        retry_after: int | None = None,
        match: str | None = None,
        verb: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``n`` requests (optionally only those matching path regex / HTTP verb) with
        ``status`` and an upstream-shaped Status body (429 TooManyRequests, 500, 503, ...)."""
        default = {
            429: "Too many requests, please try again later.",
            500: "Internal error occurred: injected failure",
            503: "the server is currently unable to handle the request",
        }.get(status, "injected failure")
        self.rules.append(
            FailRule(n, status, retry_after, re.compile(match) if match else None, verb, message or default)
        )

    def forbid(self, resource: str, user: str = "system:serviceaccount:default:restricted") -> None:
        """Answer every request for ``resource`` (plural) with RBAC's 403, as if ``user`` had no role for it."""
        self.forbidden_resources[resource] = user

    def forbidden(self, method: str, path: str, query: Mapping[str, str]) -> StatusError | None:
        """The 403 a real apiserver's RBAC answers for a request to a forbidden resource (else None)."""
        if not self.forbidden_resources:
            return None
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, rest = "", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, rest = parts[1], parts[3:]
        else:
            return None
        watching = query.get("watch") in ("1", "true", "True") or rest[:1] == ["watch"]
        if rest[:1] == ["watch"]:
            rest = rest[1:]
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest or rest[0] not in self.forbidden_resources:
            return None
        resource, name = rest[0], rest[1] if len(rest) > 1 else ""
        user = self.forbidden_resources[resource]
        verb = {
            "GET": "get",
            "POST": "create",
            "PUT": "update",
            "PATCH": "patch",
            "DELETE": "delete" if name else "deletecollection",
        }.get(method.upper(), "get")
        if method.upper() == "GET" and (watching or not name):
            verb, name = ("watch" if watching else "list"), ""
        subject = f"{resource}{'.' + group if group else ''}"
        subject = f'{subject} "{name}"' if name else subject
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group '
            f'"{group}" {scope}'
        )
        details: dict[str, str] = {"name": name} if name else {}
        if group:
            details["group"] = group
        details["kind"] = resource
        return StatusError(403, status_body(403, "Forbidden", message, details))

    def take_failure(self, method: str, path: str) -> FailRule | None:
        for rule in self.rules:
            if rule.remaining > 0 and rule.applies(method, path):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                return rule
        return None

    def drop_watches(self, resource: str | None = None) -> int:
        """Cut every active watch (or those of one resource, e.g. ``"pods"``) like a broken connection."""
        gr = None
        if resource is not None:
            matches = [(t.group, t.resource) for t in self.emulator.registry.all() if t.resource == resource]
            gr = matches[0] if matches else ("", resource)
        return self.emulator.store.drop_subscriptions(gr)

    def drop_portforward(self, namespace: str | None = None, pod: str | None = None) -> int:
        """Abort active port-forward WebSockets (all, or one pod's) mid-stream."""
        return self.emulator.abort_portforward(namespace, pod)

    def compact(self) -> int:
        """Compact the history: watching or continuing from any earlier resourceVersion now answers 410."""
        return self.emulator.store.compact()

    def pause(self) -> None:
        """Hold every new request (and stop answering) until :meth:`resume`."""
        if self._running is None:
            self._running = asyncio.Event()
        self._running.clear()

    def resume(self) -> None:
        if self._running is not None:
            self._running.set()

    @property
    def paused(self) -> bool:
        return self._running is not None and not self._running.is_set()

    async def wait_running(self) -> None:
        if self._running is not None:
            await self._running.wait()

    async def go_offline(self) -> None:
        """Stop serving: connections are refused and open ones (watches, port-forwards) are cut, as when the
        API server is stopped. State is kept for :meth:`go_online`."""
        await self.emulator.stop_listening()

    async def go_online(self) -> None:
        """Serve again on the same address (and certificate) after :meth:`go_offline`."""
        from urllib.parse import urlsplit

        await self.emulator.listen(int(urlsplit(self.emulator.url).port or 0))

    def delete_pod(self, namespace: str, name: str) -> None:
        """Delete a pod now (closing its port-forward sessions), as if its node went away."""
        rt = self.emulator.registry.find("", "v1", "pods")
        assert rt is not None
        self.emulator.api.delete(rt, namespace, name)
