"""``kpy.cli.quick_complete`` reads the shells' lines and writes their answers exactly as ``kpy.cli.shells`` does."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import ClassVar

import click
import pytest
from click.shell_completion import CompletionItem, split_arg_string

from kpy.cli import completion_cache, quick_complete, shells

VALUES = ["web-0", 'we"ird', "it's", "$HOME", "`x`", "a:b", "plain"]


def test_the_protocol_names_are_the_shell_scripts() -> None:
    assert quick_complete.COMPLETE_VAR == shells.COMPLETE_VAR
    assert quick_complete.ARGS_VAR == shells.ARGS_VAR
    assert quick_complete.FISH_ACTION_VAR == shells.FISH_ACTION_VAR
    assert completion_cache.BACKGROUND_ENV == "KPY_COMPLETION_REFRESH"


@pytest.mark.parametrize(
    "line",
    ["kpy get pods ", "kpy get pods", "kpy\nget\npods\n", "kpy  get   po  w", "kpy get pods web\t", "kpy"],
)
def test_lines_are_split_as_click_splits_them(line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shells.ARGS_VAR, line)
    words = split_arg_string(line)
    for cword in range(len(words) + 1):
        monkeypatch.setenv("COMP_WORDS", line)
        monkeypatch.setenv("COMP_CWORD", str(cword))
        bash = shells.BashComplete(click.Command("kpy"), {}, "kpy", shells.COMPLETE_VAR)
        assert quick_complete._words("bash") == bash.get_completion_args()
    zsh = shells.ZshComplete(click.Command("kpy"), {}, "kpy", shells.COMPLETE_VAR)
    assert quick_complete._words("zsh") == zsh.get_completion_args()


@pytest.mark.parametrize(
    "line", ["kpy get 'pods' ", 'kpy get "po', "kpy get po\\ ds ", "kpy get pod/", "kpy get \x0b"]
)
def test_lines_needing_shell_quoting_rules_are_left_to_click(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shells.ARGS_VAR, line)
    monkeypatch.setenv("COMP_WORDS", line)
    monkeypatch.setenv("COMP_CWORD", "2")
    assert quick_complete._words("bash") is None
    assert quick_complete._words("zsh") is None


class _Fixed(shells.BashComplete):
    """A shell class answering fixed values (what the app's completers would return)."""

    values: ClassVar[list[str]] = []

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem[str]]:
        return [CompletionItem(v) for v in self.values]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("action", ["get-args", "is-args", ""])
@pytest.mark.parametrize("values", [VALUES, []])
def test_answers_are_written_as_the_app_writes_them(
    shell: str, action: str, values: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shells.FISH_ACTION_VAR, action)
    monkeypatch.setenv(shells.ARGS_VAR, "kpy get pods ")
    monkeypatch.setenv("COMP_WORDS", "kpy get pods ")
    monkeypatch.setenv("COMP_CWORD", "3")
    cls = type(
        "Fixed", (shells.SHELLS[shell],), {"get_completions": _Fixed.get_completions, "values": values}
    )
    monkeypatch.setitem(shells.SHELLS, shell, cls)
    app = io.StringIO()
    with redirect_stdout(app):
        app_code = shells.complete(click.Command("kpy"), "kpy", f"complete_{shell}")
    fast = io.StringIO()
    with redirect_stdout(fast):
        fast_code = quick_complete._write(shell, values)
    assert (fast_code, fast.getvalue()) == (app_code, app.getvalue())


def test_the_collector_is_back_on_after_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from kpy.cli import entry

    seen: list[bool] = []
    monkeypatch.setattr(quick_complete, "answer", lambda args: seen.append(gc.isenabled()))
    assert gc.isenabled()
    assert entry._complete([]) is None
    assert seen == [False]  # off while the fast path runs
    assert gc.isenabled()
