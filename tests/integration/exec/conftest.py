"""A seeded emulator (pods default/web and default/worker) and a REST client for the exec tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kpy import testing
from kpy.config import ConnectionFlags, load_client_config
from kpy.rest import RestClient


@pytest.fixture
async def seeded() -> AsyncIterator[Any]:
    async with testing.Emulator(seed=True) as emu:
        yield emu


@pytest.fixture
async def sclient(seeded: Any) -> AsyncIterator[RestClient]:
    config = load_client_config(
        ConnectionFlags(kubeconfig=str(seeded.kubeconfig_path), qps=-1.0), env={"HOME": "/nonexistent"}
    )
    async with RestClient(config) as c:
        yield c
