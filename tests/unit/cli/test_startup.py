"""Start-up cost: what ``kpy`` imports and builds for a command, with the same values, errors and help text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer

from kpy.cli.main import _command_module, run
from kpy.cli.tuning import tune

HEAVY = ("pydantic", "rich", "asyncio", "yaml", "aiohttp", "markdown_it")


def _modules_after(argv: list[str]) -> tuple[int, str, list[str]]:
    """Run the console entry point in a fresh interpreter; return (exit code, stdout, heavy modules loaded)."""
    code = ("import sys\n"
            f"sys.argv = ['kpy', *{argv!r}]\n"
            "from kpy.cli.entry import main\n"
            "rc = 0\n"
            "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code or 0\n"
            "sys.stdout.flush()\n"
            f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
            "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
            "raise SystemExit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
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
    pods = {"apiVersion": "v1", "kind": "PodList", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}, "status": {"phase": "Running"}}
        for i in range(3)]}
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
    assert "\n  Examples:\n    # List all pods in the current namespace, with more information\n" \
           "    kpy get pods -o wide\n" in out
    # the long example is not re-wrapped
    assert "\n    kpy get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}" \
           "{\"\\n\"}{end}'\n" in out
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


def test_a_value_of_a_root_flag_is_not_taken_for_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-n", "get", "pods"]) == 1
    assert 'unknown command "pods" for "kpy"' in capsys.readouterr().err


def _probe_app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def probe(
        name: Annotated[str, typer.Option("--name")] = "",
        opt_name: Annotated[str | None, typer.Option("--opt-name")] = None,
        count: Annotated[int, typer.Option("--count")] = 500,
        opt_count: Annotated[int | None, typer.Option("--opt-count")] = None,
        ratio: Annotated[float | None, typer.Option("--ratio")] = None,
        switch: Annotated[bool | None, typer.Option("--switch")] = None,
        flag: Annotated[bool, typer.Option("--flag/--no-flag")] = True,
        items: Annotated[list[str] | None, typer.Option("--item")] = None,
        args: Annotated[list[str] | None, typer.Argument()] = None,
    ) -> None:
        values = dict(locals())
        print(json.dumps({k: [type(v).__name__, v] for k, v in values.items()}))

    return app


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--name", "x", "--opt-name", "", "--count", "0", "--opt-count", "-17", "--ratio", "2.5"],
        ["--count", "007"], ["--count", "1_000"], ["--count", " 5"], ["--count", "5.0"], ["--count", "abc"],
        ["--count", "99999999999999999999999"], ["--count", "-0"],
        ["--ratio", "1e3"], ["--ratio", "-0.5"], ["--ratio", "nan"], ["--ratio", ".5"], ["--ratio", "x"],
        ["--switch", "--no-flag"], ["--item", "a", "--item", "b", "c", "d"],
        ["--opt-count", ""], ["--name"],
    ],
)
def test_fast_coercion_gives_typers_values_and_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    def outcome(command: Any) -> tuple[str, str]:
        try:
            command.main(args=list(argv), prog_name="probe", standalone_mode=False)
        except typer.TyperException as exc:
            return "error", exc.format_message()
        return "ok", capsys.readouterr().out

    plain = outcome(typer.main.get_command(_probe_app()))
    tuned = outcome(tune(typer.main.get_command(_probe_app())))
    assert tuned == plain
