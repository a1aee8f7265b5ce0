"""Raw HTTP answers (status, content type, bytes) for tests about exactly what the emulator writes."""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.integration.clihelpers import Api


def raw(api: Api, path: str, accept: str = "application/json") -> tuple[int, str, bytes]:
    req = urllib.request.Request(api.url + path)
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, context=api.ctx, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()
