"""The sandbox's pod web writes an access line to its log for each request its HTTP server answers."""

from __future__ import annotations

import aiohttp

from kpy.sandbox import _web_backend


async def test_each_request_is_an_access_line() -> None:
    lines: list[str] = []
    async with _web_backend(lines.append) as port, aiohttp.ClientSession() as session:
        resp = await session.get(f"http://127.0.0.1:{port}/?q=1", headers={"User-Agent": "probe/1"})
        assert resp.status == 200
        resp.release()
    assert len(lines) == 1
    assert lines[0].startswith("127.0.0.1 - - [")
    assert lines[0].endswith('"GET /?q=1 HTTP/1.1" 200 97 "-" "probe/1"')
