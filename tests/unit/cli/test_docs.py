"""The committed man pages and completion scripts are generated from the app and must not go stale."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kpy.cli.docs import SHELLS, completion_scripts, man_pages

ROOT = Path(__file__).resolve().parents[3]
REGENERATE = "regenerate with: python -m kpy.cli.docs ."


def test_every_command_has_a_man_page() -> None:
    assert {
        "kpy.1",
        "kpy-get.1",
        "kpy-port-forward.1",
        "kpy-elect.1",
        "kpy-events.1",
        "kpy-sandbox.1",
        "kpy-version.1",
    } <= set(man_pages())


def test_committed_man_pages_are_current() -> None:
    expected = man_pages()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "man").glob("*.1")}
    assert set(committed) == set(expected), REGENERATE
    for name, text in expected.items():
        assert committed[name] == text, f"man/{name} is stale; {REGENERATE}"


def test_committed_completion_scripts_are_current() -> None:
    for shell, text in completion_scripts().items():
        committed = (ROOT / "completions" / SHELLS[shell]).read_text(encoding="utf-8")
        assert committed == text.rstrip("\n") + "\n", f"completions/{SHELLS[shell]} is stale; {REGENERATE}"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.parametrize("name", sorted(man_pages()))
def test_man_page_renders_without_warnings(name: str) -> None:
    proc = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", str(ROOT / "man" / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    text = re.sub(".\x08", "", proc.stdout)  # the tty device marks bold by overstriking
    assert "EXAMPLES" in text or name == "kpy.1"


def _synopsis(name: str) -> list[str]:
    text = man_pages()[name]
    block = text.split(".SH SYNOPSIS\n", 1)[1].split("\n.SH ", 1)[0]
    return [re.sub(r"\\f[BIR]|\\", "", line) for line in block.split("\n") if line != ".br"]


def test_synopsis_lines_say_how_each_command_runs() -> None:
    assert _synopsis("kpy-elect.1") == ["kpy elect [OPTIONS] -- CMD [ARGS...]", "kpy elect status [OPTIONS]"]
    assert _synopsis("kpy-events.1") == ["kpy events tail [OPTIONS]", "kpy events record [OPTIONS]"]
    (get,) = _synopsis("kpy-get.1")
    assert get.startswith("kpy get [OPTIONS] [TYPE[.VERSION][.GROUP] [NAME ...] |: TYPE")
    assert _synopsis("kpy-sandbox.1") == ["kpy sandbox [OPTIONS] [-- CMD [ARGS...]]"]


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["get"],
        ["elect"],
        ["elect", "status"],
        ["events", "tail"],
        ["events", "record"],
        ["port-forward"],
        ["sandbox"],
        ["version"],
    ],
)
def test_help_shows_no_python_types_or_float_noise(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from kpy.cli.main import run

    assert run([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"<(str|int|float|bool|list\[str\])>", out)
    assert not re.search(r"\d\.\d{12,}", out)
    assert "[[" not in out.split("\n", 1)[0] and "{" not in out.split("\n", 1)[0]  # the Usage: line


def test_sandbox_help_shows_the_kubeconfig_path_it_really_uses() -> None:
    import tempfile

    from kpy.cli.sandbox import EXAMPLES

    assert f"{tempfile.gettempdir()}/kpy-emulator-.../kubeconfig" in EXAMPLES
