"""``kpy elect status`` in a namespace that does not exist says so, as ``kubectl get lease`` does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from kpy.testing import EmulatorThread

    with EmulatorThread() as thread:
        yield thread


@pytest.mark.parametrize(
    ("namespace", "err"),
    [
        ("nosuchns", 'Error from server (NotFound): namespaces "nosuchns" not found\n'),
        ("kube-system", 'Error from server (NotFound): leases.coordination.k8s.io "x" not found\n'),
    ],
)
def test_status_of_a_lease_in_a_missing_namespace(sandbox: Any, namespace: str, err: str) -> None:
    config = sandbox.kubeconfig_path
    mine = kpy("elect", "status", "--lease", "x", "-n", namespace, kubeconfig=config)
    assert (mine.code, mine.out, mine.err) == (1, "", err)
    if KUBECTL is not None:
        theirs = kubectl("get", "lease", "x", "-n", namespace, kubeconfig=config)
        assert (theirs.code, theirs.err) == (mine.code, mine.err)
