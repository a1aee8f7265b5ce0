"""``kpy.cli.quick`` (plain ``kpy get`` lines without click) answers exactly as the click app does, and leaves
every other form to the app."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpy.cli import quick

AGE = re.compile(r"(?<![\w-])(?:\d+[smhdy])+(?![\w-])")  # an AGE cell can tick between the two runs
SAME = [
    ["get", "pods"],
    ["get", "pods", "-o", "name"],
    ["get", "po", "-owide", "-A"],
    ["get", "pods,services", "--no-headers", "--show-kind"],
    ["get", "pods", "-n=kube-system"],
    ["get", "pods", "--namespace", "nosuchns"],
    ["get", "pods", "-l", "app=web", "--output=json"],
    ["get", "pods", "-L", "app", "-L", "tier", "--show-labels"],
    ["get", "ns", "default", "-o", "yaml"],
    ["get", "pods", "--sort-by", "{.metadata.name}", "-o", "name"],
    ["get", "pods", "--chunk-size", "1", "-o", "name"],
    ["get", "pods", "nosuchpod", "--ignore-not-found"],
    ["get", "pods", "nosuchpod"],
    ["get", "nosuchtype"],
    ["get", "pods", "-o", "bogus"],
    ["get", "pods", "--show-labels", "-o", "json"],
    ["get"],
    ["get", "pods/web", "services"],
    ["get", "pods", "--raw", "/api"],
    ["get", "--raw", "/version"],
    ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}", "--allow-missing-template-keys"],
    ["events", "tail", "--no-watch"],
    ["events", "tail", "--no-watch", "-A", "-o", "json"],
    ["events", "tail", "--no-watch", "--for", "pod/web", "--types", "Warning,Normal"],
    ["events", "tail", "--no-watch", "--for", "pod/nosuch"],
    ["events", "tail", "--no-watch", "-n", "nosuchns", "-o", "yaml"],
    ["events", "tail", "--no-watch", "--since", "bogus"],
]

APP_ONLY = [
    ["get", "--help"],
    ["get", "pods", "-h"],
    ["get", "pods", "-Aw"],
    ["get", "pods", "--no-headers=false"],
    ["get", "--", "pods"],
    ["get", "pods", "--bogus"],
    ["get", "pods", "--chunk-size", "x"],
    ["get", "pods", "-o"],
    ["get", "pods", "-o", "name", "-o", "json"],
    ["-n", "default", "get", "pods"],
    ["version", "--client"],
    ["events", "-n", "default", "tail", "--no-watch"],
    ["events", "record", "--for", "pod/web"],
]


def _run(fn: Any, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[Any, str, str]:
    code = fn(argv)
    captured = capsys.readouterr()
    return code, AGE.sub("<age>", captured.out), captured.err


@pytest.fixture
def env(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(sandbox.kubeconfig_path))
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["kpy"])


@pytest.mark.parametrize("argv", SAME, ids=" ".join)
def test_plain_get_lines_answer_as_the_click_app_does(
    env: None, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from kpy.cli.main import run

    # Ages tick between the two runs, and a tick can change a column's width (59s -> 1m): on a busy machine
    # retry a few pairs; a real difference shows in every pair.
    for _attempt in range(4):
        ours = _run(quick.answer, argv, capsys)
        theirs = _run(run, argv, capsys)
        if ours == theirs:
            break
    assert ours[0] is not None, "the quick path should have answered"
    assert ours == theirs


@pytest.mark.parametrize("argv", APP_ONLY, ids=" ".join)
def test_other_forms_are_left_to_the_click_app(
    env: None, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(quick.answer, argv, capsys) == (None, "", "")


def test_the_connection_flags_are_the_apps() -> None:
    from kpy.cli import common

    kinds = {"str": str, "int": int}
    value_options = {
        decl: (name, kinds.get(kind))
        for name, (decls, _, _, kind, _) in common._CONNECTION_FLAGS.items()
        if kind != "bool"
        for decl in decls
    }
    switches = {
        decl: name
        for name, (decls, _, _, kind, _) in common._CONNECTION_FLAGS.items()
        if kind == "bool"
        for decl in decls
    }
    assert quick.CONNECTION_FLAGS.items() <= value_options.items()
    assert switches == quick.CONNECTION_SWITCHES


@pytest.mark.parametrize(
    ("argv", "printed", "lazy_here"),
    [
        (["get", "pods", "-o", "name"], "pod/", ("kpy.printers.table",)),
        (["events", "tail", "--no-watch"], "", ()),
    ],
    ids=["get", "events-tail"],
)
def test_a_plain_get_imports_no_click_asyncio_or_aiohttp(
    sandbox: Any, tmp_path: Path, argv: list[str], printed: str, lazy_here: tuple[str, ...]
) -> None:
    code = (
        "import sys; from kpy.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'asyncio', 'aiohttp', 'yarl'))\n"
        # what only some commands, kubeconfigs or answers need loads when they do (see kpy.cli.quick); the
        # classes of the path are built by kpy.dataclasslite, without dataclasses and the inspect it imports
        "lazy = ('yaml', 'random', 'datetime', 'threading', 'subprocess', 'kpy.cli.completion',\n"
        "        'kpy.config.exec_plugin', 'kpy.config.auth_provider', 'kpy.config.incluster',\n"
        # nor typing: kpy's modules import it for type checking only (~3 ms of start-up)
        f"        'dataclasses', 'inspect', 'ast', 'typing', *{lazy_here!r})\n"
        "heavy += sorted(m for m in lazy if m in sys.modules)\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    env = {"KUBECONFIG": str(sandbox.kubeconfig_path), "KUBECACHEDIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the second run finds the discovery cache the first one wrote (the usual case)
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert printed in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "0 []"


@pytest.mark.parametrize(
    ("argv", "collecting"),
    [(["get", "pods"], False), (["get", "pods", "-w"], True), (["events", "tail"], True)],
    ids=["one-shot", "get-watch", "events-follow"],
)
def test_the_cyclic_collector_is_paused_for_one_shot_runs_only(argv: list[str], collecting: bool) -> None:
    # a watch runs for hours and creates cycles (asyncio, the reflector): it must run with the collector on
    code = (
        "import gc, sys\n"
        "from kpy.cli import quick\n"
        "def execute(options, ctx):\n"
        "    print('collecting', gc.isenabled())\n"
        "    return 0\n"
        "quick.execute = execute\n"
        "from kpy.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    print('exit', e.code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.stdout.split() == ["collecting", str(collecting), "exit", "0"], proc.stderr


_RUN = (
    "import atexit, sys\n"
    "from kpy.cli.entry import run\n"
    "atexit.register(lambda: print('atexit ran', file=sys.stderr))\n"
    "class TornDown:\n"
    "    def __del__(self):\n"
    "        print('torn down', file=sys.stderr)\n"
    "sys.modules['__main__'].witness = TornDown()  # freed only by the interpreter's tear-down\n"
    "run()\n"
)


@pytest.mark.parametrize(
    ("argv", "code", "torn_down"),
    [
        (["get", "pods", "-o", "name", "--chunk-size", "1"], 0, False),
        (["get", "pods", "nosuchpod"], 1, False),
        (["events", "tail", "--no-watch", "-A", "-o", "json"], 0, False),
        (["version", "--client"], 0, True),  # not the fast path: the usual exit
    ],
    ids=["get", "not-found", "events", "app"],
)
def test_a_fast_path_command_ends_without_the_interpreters_tear_down_and_loses_nothing(
    sandbox: Any, tmp_path: Path, argv: list[str], code: int, torn_down: bool
) -> None:
    """The console script's ``run`` ends a fast-path command with ``os._exit`` (the tear-down is ~4% of a
    large list), after what a user could notice: stdout and stderr flushed, ``atexit`` handlers run, the
    exit code kept."""
    env = {"KUBECONFIG": str(sandbox.kubeconfig_path), "KUBECACHEDIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    fast = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, env=env, check=False
    )
    usual = subprocess.run(  # the same through ``main``, which always exits the usual way
        [sys.executable, "-c", _RUN.replace("import run", "import main as run"), *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert fast.returncode == usual.returncode == code, fast.stderr
    assert fast.stdout == usual.stdout
    assert fast.stdout.endswith("\n") or not fast.stdout
    assert "atexit ran" in fast.stderr
    assert ("torn down" in fast.stderr) is torn_down
    assert "torn down" in usual.stderr
    assert fast.stderr.replace("torn down\n", "") == usual.stderr.replace("torn down\n", "")


def test_a_fast_path_command_into_a_closed_pipe_exits_as_before(
    sandbox: Any, api: Any, tmp_path: Path
) -> None:
    """`kpy get ... | head -1`: the reader goes away mid-output; kpy exits 0 quietly, as it did before."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "quick-pipe"}})
    for i in range(64):  # ~260 KiB of JSON: more than a pipe holds
        api.call(
            "POST",
            "/api/v1/namespaces/quick-pipe/configmaps",
            {"metadata": {"name": f"cm-{i}"}, "data": {"k": "v" * 4096}},
        )
    env = {"KUBECONFIG": str(sandbox.kubeconfig_path), "KUBECACHEDIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    script = _RUN.replace("print('atexit ran', file=sys.stderr)", "None")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "get", "configmaps", "-n", "quick-pipe", "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Error" not in err and "Traceback" not in err
