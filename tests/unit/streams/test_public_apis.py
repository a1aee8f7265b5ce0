"""The stream and REST layers use public APIs of aiohttp only (issue 14: any aiohttp release could break them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "kpy"
#: aiohttp internals kpy once reached into
PRIVATE = re.compile(r"_retry_connection|\.set_parser\(|_message_tail|_payload_parser|\.protocol\.keep_alive")


@pytest.mark.parametrize("area", ["rest", "portforward", "streams", "testing/portforward.py"])
def test_no_private_aiohttp_attributes(area: str) -> None:
    root = SRC / area
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    assert files
    hits = [
        f"{f.relative_to(SRC)}:{n}"
        for f in files
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert hits == []
