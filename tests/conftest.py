"""Session-wide test settings."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile

import pytest

_CACHE_DIR: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored across exec: every kpy a test
    starts and stops with Ctrl-C (SIGINT) would then never stop. Give SIGINT its Python default back, so the
    processes tests start get the default disposition whatever runs the tests."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # discovery and completion caches of every kpy/kubectl the tests run go to a directory of this run, never
    # into the user's ~/.kube/cache (tests that look at a cache set their own KUBECACHEDIR)
    _CACHE_DIR.append(tempfile.mkdtemp(prefix="kpy-tests-cache-"))
    os.environ["KUBECACHEDIR"] = _CACHE_DIR[-1]


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _CACHE_DIR:
        shutil.rmtree(path, ignore_errors=True)
