"""kubeconfig loading the kubectl way: ``load_client_config(flags) -> ClientConfig``, and the same resolution
handed to the official ``kubernetes`` client (``kubernetes_configuration()``, ``kubernetes_api_client()``).

Cheap to import (the CLI imports it at start-up): only ``ConnectionFlags`` is loaded eagerly; the rest
(which pulls in ssl, asyncio and, when a file is parsed, yaml) loads on first attribute access.
"""

from __future__ import annotations

from kpy.config.flags import ConnectionFlags

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.config.client_config import ClientConfig
    from kpy.config.credentials import Credentials
    from kpy.config.incluster import InClusterPaths
    from kpy.config.kubernetes_client import kubernetes_api_client, kubernetes_configuration
    from kpy.config.loader import InvalidConfiguration, load_client_config
    from kpy.config.redact import redact_headers

__all__ = [
    "ClientConfig",
    "ConnectionFlags",
    "Credentials",
    "InClusterPaths",
    "InvalidConfiguration",
    "kubernetes_api_client",
    "kubernetes_configuration",
    "load_client_config",
    "redact_headers",
]

_LAZY = {
    "ClientConfig": "kpy.config.client_config",
    "Credentials": "kpy.config.credentials",
    "InClusterPaths": "kpy.config.incluster",
    "InvalidConfiguration": "kpy.config.loader",
    "kubernetes_api_client": "kpy.config.kubernetes_client",
    "kubernetes_configuration": "kpy.config.kubernetes_client",
    "load_client_config": "kpy.config.loader",
    "redact_headers": "kpy.config.redact",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kpy.config' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
