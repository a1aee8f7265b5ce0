"""``kpy events tail`` refuses what ``kubectl events`` refuses, in the same words (kubectl 1.32 as the oracle)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl

from kpy import testing

ALLOWED = "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread(seed=True) as thread:
        yield thread


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (
            ("-o", "wide"),
            f'error: unable to match a printer suitable for the output format "wide", allowed formats are: {ALLOWED}\n',
        ),
        (
            ("-o", "custom-columns=A:.x"),
            'error: unable to match a printer suitable for the output format "custom-columns=A:.x", '
            f"allowed formats are: {ALLOWED}\n",
        ),
        # an unknown --for type: the RESTMapper's error, printed without "error: "
        (("--for", "foo/x"), 'the server doesn\'t have a resource type "foo"\n'),
        (("-o", "wide", "--for", "foo/x"), 'the server doesn\'t have a resource type "foo"\n'),  # --for first
        (("--for", "foo"), "error: --for must be in resource/name form\n"),
    ],
)
def test_refusals_match_kubectl_events(sandbox: Any, args: tuple[str, ...], err: str) -> None:
    config = sandbox.kubeconfig_path
    mine = kpy("events", "tail", "--no-watch", *args, kubeconfig=config, timeout=60)
    assert (mine.code, mine.out, mine.err) == (1, "", err)
    if KUBECTL is not None:
        theirs = kubectl("events", *args, kubeconfig=config)
        assert (mine.code, mine.out, mine.err) == (theirs.code, theirs.out, theirs.err)
