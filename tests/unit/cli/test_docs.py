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
    assert {"kpy.1", "kpy-get.1", "kpy-port-forward.1", "kpy-elect.1", "kpy-events.1",
            "kpy-sandbox.1", "kpy-version.1"} <= set(man_pages())


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
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(ROOT / "man" / name)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert proc.stderr == ""
    text = re.sub(".\x08", "", proc.stdout)  # the tty device marks bold by overstriking
    assert "EXAMPLES" in text or name == "kpy.1"
