"""The real kit's log scene (shared/realk8s ``up``) rebuilt in the emulator, in namespace ``logt``.

Pods ``web`` (one container) and ``worker`` (containers worker + sidecar; sidecar restarted once, so it has a
previous log), ``pending`` (not scheduled): the lines and timestamps are those of the kit's log files, so the
expected outputs below are what kubectl printed against the real kube-apiserver + kubelet reader.
"""

from __future__ import annotations

from typing import Any

from kpy.logs.stamps import parse_rfc3339

NS = "logt"
#: the kit's first line time; line i is i minutes later (plus a few µs, as in the kit's files)
BASE = parse_rfc3339("2026-12-03T09:24:27.213191202Z")
MINUTE = 60_000_000_000


def _pod(name: str, labels: dict[str, str], containers: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {"containers": [{"name": c, "image": "busybox:1.36"} for c in containers]},
    }


def lines(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix} line {i}", "stdout") for i in range(1, 6)] + [
        (f"{prefix} warning on stderr", "stderr")
    ]


def write(em: Any, pod: str, container: str, entries: list[tuple[str, str]], offset: int = 0) -> list[int]:
    stamps = []
    for i, (text, stream) in enumerate(entries):
        stamps += em.logs.append(NS, pod, container, text, stream=stream, at=BASE + i * MINUTE + offset)
    return stamps


def build(em: Any) -> None:
    """Create the scene (call on the emulator's loop)."""
    from kpy.testing.resources import ResourceType

    pods: ResourceType = em.logs.pods
    em.api.ensure_namespace(NS)
    em.api.create(pods, NS, _pod("web", {"app": "web"}, ["web"]))
    em.api.create(pods, NS, _pod("worker", {"app": "worker"}, ["worker", "sidecar"]))
    em.api.create(pods, NS, _pod("pending", {"app": "pend"}, ["c"]))
    em.logs.run_pod(NS, "web")
    em.logs.run_pod(NS, "worker")
    write(em, "web", "web", lines("web"))
    write(em, "worker", "worker", lines("worker"), 9_000_000)
    write(
        em,
        "worker",
        "sidecar",
        [
            (t.replace("sidecar", "sidecar (previous)", 1) if "line" in t else t, s)
            for t, s in lines("sidecar")
        ],
        27_000_000,
    )
    em.logs.restart(NS, "worker", "sidecar")
    write(em, "worker", "sidecar", lines("sidecar"), 18_000_000)
