"""The API server's ``Warning`` headers: kpy prints them on stderr exactly as kubectl does (differential).

The emulator claims v1.32, whose apiserver sends no Endpoints deprecation warning (added in 1.33), so the
warning is switched on for this module (``Emulator(endpoints_deprecated=True)``), as a 1.33+ server sends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Result, kpy, kubectl

WARNING = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"


@pytest.fixture(scope="module")
def warned() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True, endpoints_deprecated=True) as thread:
        yield thread.emulator


def _both(emu: Any, *args: str) -> tuple[Result, Result | None]:
    mine = kpy(*args, kubeconfig=emu.kubeconfig_path)
    theirs = kubectl(*args, kubeconfig=emu.kubeconfig_path) if KUBECTL else None
    return mine, theirs


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (("get", "endpoints"), WARNING),
        (("get", "ep", "-o", "name"), WARNING),
        # one line per distinct text per process, though two requests carried it (list + NotFound get)
        (("get", "endpoints,pods", "-o", "name"), WARNING),
        (
            ("get", "endpoints", "nosuch"),
            WARNING + 'Error from server (NotFound): endpoints "nosuch" not found\n',
        ),
        (("get", "pods"), ""),
    ],
)
def test_warning_headers_on_stderr_like_kubectl(warned: Any, args: tuple[str, ...], err: str) -> None:
    mine, theirs = _both(warned, *args)
    assert mine.err == err
    if theirs is not None:  # tables show an AGE that may tick between the two runs
        assert (mine.code, mine.err) == (theirs.code, theirs.err)
        assert mine.out.splitlines()[:1] == theirs.out.splitlines()[:1]
        if "-o" in args:
            assert mine.out == theirs.out


def test_default_emulator_sends_no_warning(sandbox: Any) -> None:
    """A 1.32 server (the emulator's default) sends none: neither tool prints one."""
    mine, theirs = _both(sandbox.emulator, "get", "endpoints", "-o", "name")
    assert (mine.code, mine.out, mine.err) == (0, "endpoints/web\n", "")
    if theirs is not None:
        assert (mine.out, mine.err) == (theirs.out, theirs.err)
