"""The click-free answers (``kpy.cli.fastpath``): the app's exact bytes, a table that cannot go stale silently,
and the modules each fast command line may import, so start-up cannot regress unnoticed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kpy import __version__
from kpy.cli import fastpath, fastpath_gen
from kpy.cli.fastpath_table import ANSWERS
from kpy.cli.main import run

#: besides what the interpreter had loaded before kpy, the only modules a fast answer may import
FAST_MODULES = {"__future__", "kpy", "kpy.cli", "kpy.cli.entry", "kpy.cli.fastpath", "kpy.cli.fastpath_table"}
FAST_LINES = [
    ["--version"],
    ["version", "--client"],
    ["get", "--help"],
    ["--help"],
    ["-h"],
    [],
    ["events", "tail", "-h"],
]


def _console(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, set[str]]:
    """The console entry point in a fresh interpreter: (exit code, stdout, modules it imported)."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"sys.argv = ['kpy', *{argv!r}]\n"
        "from kpy.cli.entry import main\n"
        "rc = 0\n"
        "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code or 0\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nIMPORTED=' + ','.join(sorted(set(sys.modules) - before)) + '\\n')\n"
        "raise SystemExit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60, env=env
    )
    marker = [line for line in proc.stderr.splitlines() if line.startswith("IMPORTED=")]
    assert marker, proc.stderr
    return proc.returncode, proc.stdout, set(marker[-1].removeprefix("IMPORTED=").split(","))


def _app(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str, int]:
    capsys.readouterr()
    code = run(argv)
    captured = capsys.readouterr()
    return captured.out, captured.err, code


def test_the_committed_table_is_what_the_app_prints_now() -> None:
    current = fastpath_gen.TABLE.read_text(encoding="utf-8")
    assert current == fastpath_gen.table_source(), (
        f"src/kpy/cli/fastpath_table.py is stale (help text, commands or `version --client` changed): "
        f"regenerate it with `{fastpath_gen.REGENERATE}` and commit the result"
    )


@pytest.mark.parametrize("argv", sorted(ANSWERS), ids=lambda a: " ".join(a) or "(no arguments)")
def test_each_fast_answer_is_byte_identical_to_the_app(
    argv: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["kpy"])
    monkeypatch.setenv("COLUMNS", "80")
    expected = _app(list(argv), capsys)
    code = fastpath.answer(argv)
    captured = capsys.readouterr()
    assert (captured.out, captured.err, code) == expected


@pytest.mark.parametrize("argv", FAST_LINES, ids=lambda a: " ".join(a) or "(no arguments)")
def test_fast_command_lines_import_neither_click_nor_the_network_stack(argv: list[str]) -> None:
    rc, out, imported = _console(argv)
    assert rc == 0
    assert out
    assert imported - {""} <= FAST_MODULES, sorted(imported - FAST_MODULES)


def test_console_get_help_is_the_apps_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, _ = _console(["get", "--help"], env={**_env(), "COLUMNS": "120"})
    monkeypatch.setattr(sys, "argv", ["kpy"])
    monkeypatch.setenv("COLUMNS", "120")
    assert (out, rc) == _app(["get", "--help"], capsys)[::2]
    assert out.startswith("Usage: kpy get [OPTIONS]")


def test_version_client_prints_kpys_version(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _console(["version", "--client"])
    assert rc == 0
    assert __version__ in out
    assert fastpath.VERSION_MARK not in out


def test_a_narrow_terminal_gets_the_apps_wrapping(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, imported = _console(["get", "--help"], env={**_env(), "COLUMNS": "60"})
    assert "click" in imported  # the app answered, not the 80-column table
    monkeypatch.setattr(sys, "argv", ["kpy"])
    monkeypatch.setenv("COLUMNS", "60")
    assert (out, rc) == _app(["get", "--help"], capsys)[::2]
    monkeypatch.setenv("COLUMNS", "80")
    assert out != _app(["get", "--help"], capsys)[0]


@pytest.mark.parametrize(
    ("argv0", "env"),
    [("kubectl-kpy", {}), ("kpy", {"_KPY_COMPLETE": "complete_bash"}), ("kpy", {"COLUMNS": "79"})],
)
def test_the_table_answers_only_what_it_was_rendered_for(
    argv0: str,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setenv("COLUMNS", "80")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert fastpath.answer(["get", "--help"]) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "pods", "--help"],
        ["version"],
        ["version", "--client", "-o", "json"],
        ["--help", "get"],
        ["nope", "--help"],
    ],
)
def test_other_command_lines_go_to_the_app(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["kpy"])
    monkeypatch.setenv("COLUMNS", "80")
    assert fastpath.answer(argv) is None


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.endswith("_COMPLETE")}
