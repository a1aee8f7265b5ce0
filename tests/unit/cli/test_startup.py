"""Start-up cost: what ``kpy`` imports and builds for a command, with the same values, errors and help text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kpy.cli.main import _command_module, run

HEAVY = ("pydantic", "rich", "asyncio", "yaml", "aiohttp", "markdown_it")


def _modules_after(argv: list[str]) -> tuple[int, str, list[str]]:
    """Run the console entry point in a fresh interpreter; return (exit code, stdout, heavy modules loaded)."""
    code = (
        "import sys\n"
        f"sys.argv = ['kpy', *{argv!r}]\n"
        "from kpy.cli.entry import main\n"
        "rc = 0\n"
        "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code or 0\n"
        "sys.stdout.flush()\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
        "raise SystemExit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    marker = [line for line in proc.stderr.splitlines() if line.startswith("HEAVY=")]
    assert marker, proc.stderr
    loaded = [m for m in marker[-1].removeprefix("HEAVY=").split(",") if m]
    return proc.returncode, proc.stdout, loaded


def test_get_help_loads_neither_pydantic_nor_rich_nor_asyncio() -> None:
    rc, out, loaded = _modules_after(["get", "--help"])
    assert rc == 0
    assert out.startswith("Usage: kpy get")
    assert loaded == []


def test_local_jsonpath_get_runs_without_the_network_or_yaml_stacks(tmp_path: Path) -> None:
    pods = {
        "apiVersion": "v1",
        "kind": "PodList",
        "items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}, "status": {"phase": "Running"}}
            for i in range(3)
        ],
    }
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(pods))
    template = 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'
    rc, out, loaded = _modules_after(["get", "-f", str(path), "--local", "-o", template])
    assert rc == 0
    assert out == "p0\tRunning\np1\tRunning\np2\tRunning\n"
    assert loaded == []


def test_get_help_is_plain_text_with_examples_verbatim_and_global_flags_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["get", "--help"]) == 0
    out = capsys.readouterr().out
    assert "╭" not in out and "│" not in out  # no rich panels
    assert out.startswith("Usage: kpy get [OPTIONS]")
    assert (
        "\n  Examples:\n    # List all pods in the current namespace, with more information\n"
        "    kpy get pods -o wide\n" in out
    )
    # the long example is not re-wrapped
    assert (
        '\n    kpy get pods -o jsonpath=\'{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}'
        '{"\\n"}{end}\'\n' in out
    )
    options, _, global_flags = out.partition("\nGlobal flags:\n")
    assert "\nOptions:\n" in options and "--output" in options and "--kubeconfig" not in options
    assert "--kubeconfig" in global_flags and "-n, --namespace" in global_flags


def test_root_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    commands = out.partition("\nCommands:\n")[2]
    for name in ("get", "port-forward", "sandbox", "version", "elect", "events"):
        assert f"\n  {name} " in "\n" + commands


@pytest.mark.parametrize(
    ("argv", "module"),
    [
        (["get", "pods"], "get"),
        (["-n", "kube-system", "get", "pods"], "get"),
        (["--kubeconfig=x", "-v", "6", "port-forward", "pod/x", "80"], "port_forward"),
        (["--insecure-skip-tls-verify", "version"], "version"),
        (["-n", "get", "pods"], None),  # "get" is -n's value: "pods" is the (unknown) command
        (["--help"], None),
        ([], None),
        (["frobnicate"], None),
    ],
)
def test_only_the_named_command_is_built(argv: list[str], module: str | None) -> None:
    assert _command_module(argv) == module


@pytest.mark.parametrize(
    ("env", "module"),
    [
        ({"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy -n web get po", "COMP_CWORD": "4"}, "get"),
        ({"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy port-forward "}, "port_forward"),
        (
            {"_KPY_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "kpy ge"},
            None,
        ),  # the command's name itself
        ({"_KPY_COMPLETE": "complete_bash"}, None),  # the line cannot be read: every command
    ],
)
def test_completion_builds_only_the_command_on_the_line(
    env: dict[str, str], module: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _command_module(["ignored"]) == module


def test_a_value_of_a_root_flag_is_not_taken_for_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-n", "get", "pods"]) == 1
    assert 'unknown command "pods" for "kpy"' in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["get", "pods", "--chunk-size", "abc"],
            'invalid argument "abc" for "--chunk-size" flag: strconv.ParseInt: parsing "abc": invalid syntax',
        ),
        (
            ["get", "pods", "--chunk-size", "99999999999999999999"],
            'invalid argument "99999999999999999999" for "--chunk-size" flag: strconv.ParseInt: parsing '
            '"99999999999999999999": value out of range',
        ),
        (
            ["get", "pods", "--qps", "x"],
            'invalid argument "x" for "--qps" flag: strconv.ParseFloat: parsing "x": invalid syntax',
        ),
        (
            ["get", "pods", "-v", "1_0"],
            'invalid argument "1_0" for "-v, --v" flag: strconv.ParseInt: parsing "1_0": invalid syntax',
        ),
    ],
)
def test_a_bad_number_is_kubectls_flag_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 1
    assert capsys.readouterr().err == f"error: {message}\nSee 'kpy get --help' for usage.\n"


@pytest.mark.parametrize(("value", "expected"), [("007", 7), ("-17", -17), ("+5", 5), ("0", 0)])
def test_numbers_are_read_as_go_reads_them(value: str, expected: int) -> None:
    from kpy.cli.framework import FLOAT, INT

    assert INT.convert(value, None, None) == expected
    assert FLOAT.convert(value, None, None) == float(expected)
    assert FLOAT.convert("1e3", None, None) == 1000.0
    assert FLOAT.convert(".5", None, None) == 0.5
