from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import Api


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    """One seeded emulator per test module, in a background thread (fast bookmarks for watch tests)."""
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True, bookmark_interval=0.2) as thread:
        yield thread


@pytest.fixture(scope="module")
def api(emu: Any) -> Api:
    em = emu.emulator
    return Api(em.url, em.ca_pem, em.token)


class Client:
    """A small aiohttp client for in-loop tests (independent of kpy.rest)."""

    def __init__(self, em: Any) -> None:
        import aiohttp

        self.em = em
        self.ssl = ssl.create_default_context(cadata=em.ca_pem.decode())
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {em.token}"})

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        import json

        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        hdrs = {"Content-Type": content_type, **(headers or {})}
        async with self.session.request(
            method, self.em.url + path, data=data, params=params, ssl=self.ssl, headers=hdrs
        ) as resp:
            raw = await resp.read()
            try:
                return resp.status, json.loads(raw)
            except ValueError:
                return resp.status, raw.decode()

    async def watch(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        import json

        async with self.session.get(
            self.em.url + path, params={"watch": "1", **params}, ssl=self.ssl
        ) as resp:
            assert resp.status == 200, await resp.text()
            async for line in resp.content:
                if line.strip():
                    yield json.loads(line)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """A fresh, unseeded emulator on the test's loop plus a client for it."""
    from kpy.testing import Emulator

    async with Emulator(bookmark_interval=0.1) as em:
        c = Client(em)
        try:
            yield c
        finally:
            await c.session.close()
