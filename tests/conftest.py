"""Session-wide test settings."""

from __future__ import annotations

import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored across exec: every kpy a test
    starts and stops with Ctrl-C (SIGINT) would then never stop. Give SIGINT its Python default back, so the
    processes tests start get the default disposition whatever runs the tests."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
