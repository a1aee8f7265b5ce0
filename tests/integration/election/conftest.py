from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    """One emulator per module (needs kpy.testing and kpy.rest, written by other parts of the team)."""
    testing = pytest.importorskip("kpy.testing")
    rest = pytest.importorskip("kpy.rest")
    if not hasattr(testing, "EmulatorThread") or not hasattr(rest, "RestClient"):
        pytest.skip("kpy.testing.EmulatorThread / kpy.rest.RestClient are not available yet")
    with testing.EmulatorThread(seed=True) as thread:
        yield thread
