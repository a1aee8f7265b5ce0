"""``kpy events record`` / ``kpy events tail`` as a user runs them, against a seeded emulator (and kubectl)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kpy, kubectl

from kpy import testing


@pytest.fixture
def sandbox() -> Iterator[Any]:
    with testing.EmulatorThread(seed=True) as thread:
        yield thread


def events_of(sandbox: Any, reason: str) -> list[dict[str, Any]]:
    """Read back with an independent HTTPS client, not kpy's REST layer."""
    em = sandbox.emulator
    code, body = Api(em.url, em.ca_pem, em.token).call("GET", "/api/v1/namespaces/default/events")
    assert code == 200, body
    return [e for e in body["items"] if e.get("reason") == reason]


def test_the_same_line_twice_stores_one_event_with_count_2(sandbox: Any, tmp_path: Any) -> None:
    line = '{"for": "pod/web", "type": "Warning", "reason": "DiskPressure", "message": "disk almost full"}\n'
    path = tmp_path / "events.jsonl"
    path.write_text(line * 2)
    result = kpy("events", "record", "--from-file", str(path), kubeconfig=sandbox.kubeconfig_path)
    assert result.code == 0, result.err
    assert "read 2, created 1, patched 1, aggregated 0, spam-filtered 0, dropped 0, failed 0" in result.err
    [stored] = events_of(sandbox, "DiskPressure")
    assert stored["count"] == 2 and stored["type"] == "Warning"
    obj = stored["involvedObject"]
    assert (obj["kind"], obj["name"], obj["namespace"], obj["apiVersion"]) == ("Pod", "web", "default", "v1")
    assert obj.get("uid")  # looked up with a GET: the pod exists
    assert stored["metadata"]["name"].startswith("web.")
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: the kubectl half of this check needs it")
    shown = kubectl(
        "get", "events", "--field-selector", "reason=DiskPressure", kubeconfig=sandbox.kubeconfig_path
    )
    assert shown.code == 0, shown.err
    assert "DiskPressure" in shown.out and "disk almost full" in shown.out


def test_stdin_and_bad_lines_are_counted_and_the_rest_recorded(sandbox: Any) -> None:
    lines = (
        "\n".join(
            [
                '{"for": "pod/web", "reason": "Good", "message": "one"}',
                '{"for": "pod/web", "reason": "Good", "message": ',
                '{"for": "nosuchkind/x", "reason": "Good", "message": "two"}',
                '{"for": "pod/web", "type": "Fatal", "reason": "Good", "message": "three"}',
                '{"for": "pod/web", "reason": "Good", "message": "four"}',
            ]
        )
        + "\n"
    )
    result = kpy("events", "record", "--from-file", "-", stdin=lines, kubeconfig=sandbox.kubeconfig_path)
    assert result.code == 1
    assert "line 2: invalid JSON" in result.err
    assert 'line 3: the server doesn\'t have a resource type "nosuchkind"' in result.err
    assert "line 4: invalid event type 'Fatal'" in result.err
    assert "read 5, created 2, patched 0, aggregated 0, spam-filtered 0, dropped 0, failed 3" in result.err
    assert sorted(e["message"] for e in events_of(sandbox, "Good")) == ["four", "one"]


def test_single_event_from_flags_and_usage_errors(sandbox: Any) -> None:
    ok = kpy(
        "events",
        "record",
        "--for",
        "deployment/web",
        "--reason",
        "Deployed",
        "--message",
        "v2",
        "--action",
        "Rollout",
        "--related",
        "pod/web",
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert ok.code == 0, ok.err
    [stored] = events_of(sandbox, "Deployed")
    assert stored["involvedObject"]["apiVersion"] == "apps/v1" and stored["related"]["kind"] == "Pod"
    assert stored["action"] == "Rollout"
    bad = kpy("events", "record", "--for", "foo/x", "--reason", "R", kubeconfig=sandbox.kubeconfig_path)
    assert bad.code == 1 and bad.err.strip() == 'error: the server doesn\'t have a resource type "foo"'
    bad = kpy(
        "events",
        "record",
        "--for",
        "pod/web",
        "--reason",
        "R",
        "--type",
        "Info",
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert bad.code == 1 and "must be Normal or Warning" in bad.err


def test_tail_no_watch_table_and_json(sandbox: Any) -> None:
    kpy(
        "events",
        "record",
        "--for",
        "pod/web",
        "--reason",
        "Tailed",
        "--type",
        "Warning",
        "--message",
        "hi",
        kubeconfig=sandbox.kubeconfig_path,
    )
    table = kpy("events", "tail", "--no-watch", "--reason", "Tailed", kubeconfig=sandbox.kubeconfig_path)
    assert table.code == 0, table.err
    header, row = table.out.splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row.split()[1:] == ["Warning", "Tailed", "Pod/web", "hi"]
    assert "\x1b[" not in table.out
    js = kpy(
        "events",
        "tail",
        "--no-watch",
        "--for",
        "pod/web",
        "--types",
        "warning",
        "-o",
        "json",
        kubeconfig=sandbox.kubeconfig_path,
    )
    assert js.code == 0, js.err
    items = json.loads(js.out)["items"]
    assert items and all(i["type"] == "Warning" for i in items)
    none = kpy("events", "tail", "--no-watch", "--reason", "Nothing", kubeconfig=sandbox.kubeconfig_path)
    assert none.code == 0 and none.out == "" and "No events found in default namespace." in none.err
