"""``kpy.cli.quick_complete`` (a warm ``kpy get TYPE <TAB>`` without click) answers exactly as the click app
does, in every shell's protocol, and imports neither click nor asyncio nor ssl nor PyYAML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY

#: runs the console entry point; ``SLOW=1`` takes the fast path away (the click app answers), and the
#: modules of the click/network/YAML stacks loaded are reported on stderr
PROBE = (
    "import os, sys\n"
    "if os.environ.get('SLOW'):\n"
    "    import kpy.cli.quick_complete as q\n"
    "    q.answer = lambda argv: None\n"
    "sys.argv = ['kpy']\n"
    "from kpy.cli.entry import main\n"
    "code = 0\n"
    "try:\n    main()\nexcept SystemExit as e:\n    code = e.code or 0\n"
    "sys.stdout.flush()\n"
    "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'click', 'asyncio', 'ssl', 'yaml', 'aiohttp'})\n"
    "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
    "raise SystemExit(code)\n"
)

LINES = [
    {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get pods ", "COMP_CWORD": "3"},
    {
        "_KPY_COMPLETE": "complete_bash",
        "COMP_WORDS": "kpy\nget\npods\nweb\n",
        "COMP_CWORD": "4",
    },  # bash's IFS
    {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get po w", "COMP_CWORD": "3"},
    {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy get pods "},
    {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy get pod worker w"},
    {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy get pods web worker "},  # nothing left
    *(
        {
            "_KPY_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": "kpy get pods ",
            "_TYPER_COMPLETE_FISH_ACTION": a,
        }
        for a in ("get-args", "is-args", "")
    ),
]


@pytest.fixture
def env(sandbox: Any, tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.endswith("_COMPLETE")}
    out.update(
        KUBECONFIG=str(sandbox.kubeconfig_path), KUBECACHEDIR=str(tmp_path / "cache"), HOME=str(tmp_path)
    )
    out["KPY_COMPLETION_TIMEOUT"] = "30"  # the first, live lookup on a busy machine
    out.pop("KUBERNETES_SERVICE_HOST", None)
    return out


def _run(env: dict[str, str], line: dict[str, str], *, slow: bool = False) -> tuple[int, str, str, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **line, **({"SLOW": "1"} if slow else {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    err, _, marker = proc.stderr.rpartition("HEAVY=")
    return proc.returncode, proc.stdout, err, [m for m in marker.strip().split(",") if m]


def _warm(env: dict[str, str]) -> None:
    """The first <TAB> asks the server (the app's path) and fills the cache."""
    done = subprocess.run(
        [KPY], env={**env, **LINES[0]}, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["web", "worker"]


def test_a_warm_tab_is_answered_as_the_app_answers_it_without_click(env: dict[str, str]) -> None:
    _warm(env)
    for line in LINES:
        code, out, err, heavy = _run(env, line)
        assert heavy == [], line  # the fast path answered
        assert (code, out, err) == _run(env, line, slow=True)[:3], line


def test_cold_cache_odd_lines_and_other_commands_go_to_the_app(env: dict[str, str]) -> None:
    cold = _run(env, LINES[0])
    assert cold[1].split() == ["web", "worker"] and "click" in cold[3]  # a miss: the app asks the server
    for line in (
        {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get pods -n kube-system ", "COMP_CWORD": "5"},
        {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get pod/", "COMP_CWORD": "2"},
        {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get 'pods' ", "COMP_CWORD": "3"},
        {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy get "},
        {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "kpy logs "},
        {"_KPY_COMPLETE": "source_bash"},
    ):
        code, out, err, heavy = _run(env, line)
        assert "click" in heavy, line
        assert (code, out, err) == _run(env, line, slow=True)[:3]
