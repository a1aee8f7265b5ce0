"""Kubeconfig documents for the config tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

WriteConfig = Callable[..., Path]


def kubeconfig_doc(
    *,
    current: str | None = None,
    clusters: dict[str, dict[str, Any]] | None = None,
    contexts: dict[str, dict[str, Any]] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    if current is not None:
        doc["current-context"] = current
    doc["clusters"] = [{"name": n, "cluster": c} for n, c in (clusters or {}).items()]
    doc["contexts"] = [{"name": n, "context": c} for n, c in (contexts or {}).items()]
    doc["users"] = [{"name": n, "user": u} for n, u in (users or {}).items()]
    return doc


def simple_config(server: str = "https://10.0.0.1:6443", **user: Any) -> dict[str, Any]:
    return kubeconfig_doc(
        current="ctx",
        clusters={"c": {"server": server}},
        contexts={"ctx": {"cluster": "c", "user": "u", "namespace": "ns1"}},
        users={"u": user or {"token": "tok"}},
    )
