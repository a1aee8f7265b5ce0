"""-v N logs like kubectl (bodies from 8, truncated as kubectl truncates them) and never adds a traceback;
--debug does, before or after the command."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kpy, kubectl


def _body_tail(err: str) -> str:
    """The logged body of the pod list (not of a discovery request that an expired cache may add before it)."""
    bodies = [line for line in err.splitlines() if '"Response Body"' in line]
    line = next((line for line in bodies if "PodList" in line), bodies[0])
    return line[line.index("body=") :]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")
@pytest.mark.parametrize("level", ["8", "9"])
def test_response_bodies_are_logged_and_truncated_like_kubectl(sandbox: Any, level: str) -> None:
    # The list's resourceVersion is the server's newest: anything written in between (another test's
    # background work on the shared sandbox) changes it, so compare a pair of runs with nothing written between.
    for _attempt in range(5):
        before = sandbox.emulator.store.rv
        ours = kpy("get", "pods", "-o", "json", "-v", level, kubeconfig=sandbox.kubeconfig_path)
        theirs = kubectl("get", "pods", "-o", "json", "-v", level, kubeconfig=sandbox.kubeconfig_path)
        if sandbox.emulator.store.rv == before:
            break
    assert ours.code == theirs.code == 0
    assert _body_tail(ours.err) == _body_tail(theirs.err)
    if level == "8":
        assert re.search(r" \[truncated \d+ chars\]\"$", _body_tail(ours.err))
    assert '"Request Body" body=""' in ours.err


def test_secret_values_and_the_token_never_reach_the_log(sandbox: Any, api: Api) -> None:
    code, _ = api.call(
        "POST",
        "/api/v1/namespaces/default/secrets",
        {"metadata": {"name": "v-secret"}, "data": {"password": "c3VwZXJzZWNyZXQ="}},
    )
    assert code == 201
    res = kpy("get", "secret", "v-secret", "-o", "yaml", "-v", "9", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 0, res.err
    assert "c3VwZXJzZWNyZXQ=" in res.out  # the output is the user's to see
    assert "c3VwZXJzZWNyZXQ=" not in res.err and "<masked>" in res.err
    assert sandbox.emulator.token not in res.err and "Bearer <masked>" in res.err


@pytest.mark.parametrize("args", [["get", "pods", "nosuch"], ["get", "nosuchtype"]])
def test_verbosity_adds_no_traceback_to_ordinary_errors(sandbox: Any, args: list[str]) -> None:
    res = kpy(*args, "-v", "6", kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert "GET https://" in res.err
    assert "Traceback" not in res.err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_before_or_after_the_command(sandbox: Any, where: str) -> None:
    args = ["--debug", "get", "nosuchtype"] if where == "before" else ["get", "nosuchtype", "--debug"]
    res = kpy(*args, kubeconfig=sandbox.kubeconfig_path)
    assert res.code == 1
    assert "Traceback (most recent call last)" in res.err
    assert res.err.splitlines()[-1] == 'error: the server doesn\'t have a resource type "nosuchtype"'
