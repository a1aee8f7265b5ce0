"""The command convention: Options → complete → validate → run, one usage error, per-run state only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from kpy.cli.command import RunContext
from kpy.cli.main import run
from kpy.cli.version import VersionOptions
from kpy.config.flags import ConnectionFlags
from kpy.dataclasslite import dataclass
from kpy.errors import UsageError


def test_debug_of_one_in_process_run_does_not_leak_into_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope")
    assert run(["--debug", "get", "pods", "--kubeconfig", missing]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert run(["get", "pods", "--kubeconfig", missing]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")


def test_verbosity_of_one_run_is_undone_after_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("kpy")
    level, handlers = logger.level, list(logger.handlers)
    assert run(["-v", "6", "get", "pods", "--kubeconfig", str(tmp_path / "nope")]) == 1
    assert (logger.level, logger.handlers) == (level, handlers)


def test_the_engine_seam_swaps_the_client(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[ConnectionFlags] = []

    class FakeClient:
        async def get_json(self, path: str) -> dict[str, Any]:
            assert path == "/version"
            return {"major": "1", "minor": "32", "gitVersion": "v1.32.7"}

    @asynccontextmanager
    async def open_client(flags: ConnectionFlags) -> AsyncIterator[Any]:
        seen.append(flags)
        yield FakeClient()

    assert run(["-n", "ns1", "version", "--context", "c1"], RunContext(open_client=open_client)) == 0
    assert capsys.readouterr().out.endswith("Server Version: v1.32.7\n")
    assert (seen[0].namespace, seen[0].context) == ("ns1", "c1")  # root and command flags merged


def test_validate_is_pure_and_raises_the_one_usage_error() -> None:
    with pytest.raises(UsageError, match="--output must be 'yaml' or 'json'") as info:
        VersionOptions(output="xml").validate()
    assert info.value.exit_code == 1


def test_a_usage_error_is_one_line_and_exit_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["version", "--client", "-o", "xml"]) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "error: --output must be 'yaml' or 'json'\n")


def test_a_usage_hint_names_the_command_path() -> None:
    error = UsageError("bad", hint="examples")
    assert error.format() == "error: bad"
    error.command_path = "kpy get"
    assert error.format() == "error: bad\nSee 'kpy get -h' for help and examples"


def test_the_words_after_dash_are_the_commands_not_kpys(capsys: pytest.CaptureFixture[str]) -> None:
    from kpy.cli import framework
    from kpy.cli.command import Options, add_command, argument, flag

    seen: list[Any] = []

    @dataclass(frozen=True)
    class ProbeOptions(Options):
        """Probe."""

        args: tuple[str, ...] = argument(metavar="NAME", multiple=True)
        quiet: bool = flag("-q", help="Quiet.")
        command: tuple[str, ...] | None = None

        def run(self, ctx: RunContext) -> int:
            seen.append((self.args, self.quiet, self.command))
            return 3

    group = framework.Group("kpy")
    add_command(group, "probe", ProbeOptions, help="Probe.", after_dash="command")
    run_ctx = RunContext()
    assert group.main(["probe", "a", "-q", "--", "ls", "-q", "--x"], standalone_mode=False, obj=run_ctx) == 3
    assert group.main(["probe", "b"], standalone_mode=False, obj=run_ctx) == 3
    assert seen == [(("a",), True, ("ls", "-q", "--x")), (("b",), False, None)]


def test_options_declared_with_dataclasses_itself_are_refused_not_silently_flagless() -> None:
    import dataclasses

    from kpy.cli.command import Options, flag, params

    @dataclasses.dataclass(frozen=True)
    class Wrong(Options):
        quiet: bool = flag("-q", help="Quiet.")

    with pytest.raises(TypeError, match=r"declare it with kpy\.dataclasslite\.dataclass"):
        params(Wrong)
