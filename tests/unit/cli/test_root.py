"""The root command: version, help, usage errors and the one place errors become lines and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kpy import __version__
from kpy.cli.main import _normalize_argv, run


def test_version_flag_prints_version_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"kpy {__version__}\n"


def test_console_script_version_answers_without_loading_click() -> None:
    code = ("import sys; sys.argv=['kpy','--version']\n"
            "from kpy.cli.entry import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "assert 'click' not in sys.modules, 'click was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"kpy {__version__}\n"


def test_no_arguments_prints_help_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out and "get" in out


def test_unknown_flag_is_kubectls_usage_error_with_exit_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["get", "pods", "--no-such-flag"]) == 1
    assert capsys.readouterr().err == "error: unknown flag: --no-such-flag\nSee 'kpy get --help' for usage.\n"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["frobnicate"]) == 1
    assert capsys.readouterr().err == 'error: unknown command "frobnicate" for "kpy"\n'


def test_missing_flag_value_is_cobras_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["get", "pods", "--output"]) == 1
    assert capsys.readouterr().err == "error: flag needs an argument: --output\nSee 'kpy get --help' for usage.\n"


def test_help_command_is_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["help", "get"]) == 0
    assert capsys.readouterr().out.startswith("Usage: kpy get")


def test_port_forward_without_arguments_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["port-forward"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("error: TYPE/NAME and list of ports are required for port-forward\n"
                            "See 'kpy port-forward -h' for help and examples\n")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-v=6", "get", "pods"], ["-v", "6", "get", "pods"]),
        (["get", "-n=kube-system", "pods"], ["get", "-n", "kube-system", "pods"]),
        (["-s=https://x:6443", "get"], ["-s", "https://x:6443", "get"]),
        (["elect", "--", "-n=x"], ["elect", "--", "-n=x"]),  # the child's argv is left alone
        (["--namespace=x"], ["--namespace=x"]),
    ],
)
def test_kubectl_style_short_flags_with_equals_are_split(argv: list[str], expected: list[str]) -> None:
    assert _normalize_argv(argv) == expected


def test_missing_kubeconfig_file_is_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert run(["get", "pods", "--kubeconfig", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert str(missing) in err


def test_local_get_prints_a_file_as_json_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}}
    manifest = tmp_path / "pod.json"
    manifest.write_text(json.dumps(pod))
    assert run(["get", "-f", str(manifest), "--local", "-o", "json", "--kubeconfig", str(tmp_path / "x")]) == 0
    assert json.loads(capsys.readouterr().out) == pod


def test_local_get_name_output_for_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": n}} for n in ("a", "b")]
    manifest = tmp_path / "list.json"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    assert run(["get", "-f", str(manifest), "--local", "-o", "name"]) == 0
    assert capsys.readouterr().out == "deployment.apps/a\ndeployment.apps/b\n"


def test_local_requires_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["get", "pods", "--local"]) != 0
    assert capsys.readouterr().err.startswith("error: ")


def test_boolean_flags_accept_kubectl_true_false_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # kubectl (pflag) accepts --allow-missing-template-keys=false; a missing key is then an error.
    pod = tmp_path / "pod.json"
    pod.write_text(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}}))
    base = ["get", "-f", str(pod), "--local", "-o", "jsonpath={.spec.nodeName}"]
    assert run([*base, "--allow-missing-template-keys=true"]) == 0
    assert run([*base, "--allow-missing-template-keys=false"]) == 1
    assert "spec is not found" in capsys.readouterr().err
    assert run(["get", "-f", str(pod), "--local", "--no-headers=false", "-o", "name"]) == 0
    assert capsys.readouterr().out == "pod/web\n"
