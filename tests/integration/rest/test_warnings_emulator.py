"""The API server's ``Warning`` headers reach ``RestClient.warning_handler`` (the CLI's prints them)."""

from __future__ import annotations

from typing import Any

import pytest

from kpy.errors import NotFound
from kpy.rest import RestClient


async def test_warning_headers_reach_the_clients_handler(client: RestClient, emulator: Any) -> None:
    """Every answer's Warning headers (lists, errors, watch streams) go to the handler, none elsewhere."""
    seen: list[tuple[int, str, str]] = []
    client.warning_handler = lambda code, agent, text: seen.append((code, agent, text))
    path = "/api/v1/namespaces/default/endpoints"
    await client.request("GET", path)
    assert seen == []  # the emulator plays 1.32 by default: no deprecation warning
    emulator.endpoints_deprecated = True
    await client.request("GET", path)
    with pytest.raises(NotFound):
        await client.request("GET", path + "/nosuch")
    async for _ in client.stream_lines(path, {"watch": "1", "timeoutSeconds": "1"}, timeout=5):
        pass
    text = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
    assert seen == [(299, "-", text)] * 3
