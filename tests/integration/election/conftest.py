from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    """One emulator per module."""
    from kpy import testing

    with testing.EmulatorThread(seed=True) as thread:
        yield thread
