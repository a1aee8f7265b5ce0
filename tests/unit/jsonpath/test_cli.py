"""``kpy get -f FILE --local -o jsonpath=…`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpy.cli.main import run

PODS = {
    "apiVersion": "v1",
    "kind": "PodList",
    "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "status": {"phase": "Running"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}, "status": {"phase": "Pending"}},
    ],
}


@pytest.fixture
def pods_file(tmp_path: Path) -> Path:
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(PODS))
    return path


def test_jsonpath_over_a_local_list(pods_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "get",
            "--filename",
            str(pods_file),
            "--local",
            "--output",
            'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
        ]
    )
    assert (code, capsys.readouterr().out) == (0, "a\tRunning\nb\tPending\n")


def test_bad_template_exits_1_with_message_and_caret(
    pods_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["get", "--filename", str(pods_file), "--local", "--output", "jsonpath={.a[}"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == "error: error parsing jsonpath {.a[}, unterminated array\n\t{.a[}\n\t     ^\n"


def test_custom_columns_over_a_local_list(pods_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "get",
            "--filename",
            str(pods_file),
            "--local",
            "--output",
            "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
        ]
    )
    assert (code, capsys.readouterr().out) == (0, "NAME   PHASE\na      Running\nb      Pending\n")
