from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import Api


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    """One seeded emulator per test module, in a background thread."""
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as thread:
        yield thread


@pytest.fixture(scope="module")
def api(sandbox: Any) -> Api:
    em = sandbox.emulator
    return Api(em.url, em.ca_pem, em.token)
