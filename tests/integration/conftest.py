"""Fixtures shared by the integration tests: a fresh in-loop emulator and a kpy REST client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kpy import testing
from kpy.config import ConnectionFlags, load_client_config
from kpy.rest import RestClient


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    async with testing.Emulator() as emu:
        yield emu


@pytest.fixture
async def client(emulator: Any) -> AsyncIterator[RestClient]:
    """kpy's REST client on the emulator's kubeconfig, without client-side throttling."""
    config = load_client_config(
        ConnectionFlags(kubeconfig=str(emulator.kubeconfig_path), qps=-1.0), env={"HOME": "/nonexistent"}
    )
    async with RestClient(config) as c:
        yield c
