"""Shell completion plumbing: the scripts in ``completions/``, ``--show-completion``/``--install-completion``,
and the protocol by which those scripts ask kpy for completions (click's public ``ShellComplete`` API).

The scripts call ``kpy`` with ``_KPY_COMPLETE=complete_bash`` (``COMP_WORDS``/``COMP_CWORD``),
``complete_zsh`` or ``complete_fish`` (the line in ``_TYPER_COMPLETE_ARGS``, for fish also
``_TYPER_COMPLETE_FISH_ACTION``): the protocol of the scripts kpy has always shipped (typer's), so scripts
users installed keep working. The values come from the ``shell_complete`` callbacks of the parameters
(``kpy.cli.completion``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem, ShellComplete, split_arg_string

COMPLETE_VAR = "_KPY_COMPLETE"
ARGS_VAR = "_TYPER_COMPLETE_ARGS"
FISH_ACTION_VAR = "_TYPER_COMPLETE_FISH_ACTION"

_BASH = """
%(complete_func)s() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   %(autocomplete_var)s=complete_bash $1 ) )
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""

_ZSH = """
#compdef %(prog_name)s

%(complete_func)s() {
  eval $(env %(args_var)s="${words[1,$CURRENT]}" %(autocomplete_var)s=complete_zsh %(prog_name)s)
}

compdef %(complete_func)s %(prog_name)s
"""

_FISH = (
    'complete --command %(prog_name)s --no-files --arguments "(env %(autocomplete_var)s=complete_fish '
    '%(fish_var)s=get-args %(args_var)s=(commandline -cp) %(prog_name)s)" --condition '
    '"env %(autocomplete_var)s=complete_fish %(fish_var)s=is-args %(args_var)s=(commandline -cp) '
    '%(prog_name)s"'
)


class _Complete(ShellComplete):
    template = ""

    def source_vars(self) -> Any:
        return {
            "complete_func": self.func_name,
            "autocomplete_var": self.complete_var,
            "prog_name": self.prog_name,
            "args_var": ARGS_VAR,
            "fish_var": FISH_ACTION_VAR,
        }

    def source(self) -> str:
        text: str = self.template % self.source_vars()
        return text.strip()

    def _line(self) -> tuple[list[str], str]:
        line = os.environ.get(ARGS_VAR, "")
        words = split_arg_string(line)[1:]
        if words and not line.endswith(" "):
            return words[:-1], words[-1]
        return words, ""


class BashComplete(_Complete):
    name = "bash"
    template = _BASH

    def get_completion_args(self) -> tuple[list[str], str]:
        words = split_arg_string(os.environ["COMP_WORDS"])
        cword = int(os.environ["COMP_CWORD"])
        incomplete = words[cword] if cword < len(words) else ""
        return words[1:cword], incomplete

    def format_completion(self, item: CompletionItem[Any]) -> str:
        return str(item.value)


class ZshComplete(_Complete):
    name = "zsh"
    template = _ZSH

    def get_completion_args(self) -> tuple[list[str], str]:
        return self._line()

    def format_completion(self, item: CompletionItem[Any]) -> str:
        def escape(s: str) -> str:
            return (
                s.replace('"', '""')
                .replace("'", "''")
                .replace("$", "\\$")
                .replace("`", "\\`")
                .replace(":", r"\\:")
            )

        if item.help:
            return f'"{escape(str(item.value))}":"{escape(item.help)}"'
        return f'"{escape(str(item.value))}"'

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        lines = [self.format_completion(item) for item in self.get_completions(args, incomplete)]
        if not lines:
            return "_files"
        joined = "\n".join(lines)
        return f"_arguments '*: :(({joined}))'"


class FishComplete(_Complete):
    name = "fish"
    template = _FISH

    def get_completion_args(self) -> tuple[list[str], str]:
        return self._line()

    def format_completion(self, item: CompletionItem[Any]) -> str:
        if item.help:
            help = re.sub(r"\s", " ", item.help)
            return f"{item.value}\t{help}"
        return str(item.value)

    def complete(self) -> str:
        action = os.environ.get(FISH_ACTION_VAR, "")
        args, incomplete = self.get_completion_args()
        lines = [self.format_completion(item) for item in self.get_completions(args, incomplete)]
        if action == "get-args":
            return "\n".join(lines)
        if action == "is-args":
            raise click.exceptions.Exit(0 if lines else 1)  # complete arguments (no files), or files
        return ""


SHELLS: dict[str, type[_Complete]] = {"bash": BashComplete, "zsh": ZshComplete, "fish": FishComplete}


def script(shell: str, prog_name: str = "kpy") -> str:
    """The completion script for ``shell``."""
    return SHELLS[shell](click.Command(prog_name), {}, prog_name, COMPLETE_VAR).source()


def complete(command: click.Command, prog_name: str, instruction: str) -> int:
    """Answer one ``_KPY_COMPLETE=complete_SHELL`` (or ``source_SHELL``) request on stdout."""
    action, _, shell = instruction.partition("_")
    cls = SHELLS.get(shell)
    if cls is None or action not in ("complete", "source"):
        sys.stderr.write(f"Shell {shell} not supported.\n")
        return 1
    comp = cls(command, {}, prog_name, COMPLETE_VAR)
    try:
        out = comp.source() if action == "source" else comp.complete()
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    sys.stdout.write(out + "\n")
    return 0


def _shell(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    return os.path.basename(os.environ.get("SHELL", ""))


def _show(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if not value or ctx.resilient_parsing:
        return
    shell = _shell(value)
    if shell not in SHELLS:
        sys.stderr.write(f"Shell {shell} not supported.\n")
        raise click.exceptions.Exit(1)
    sys.stdout.write(script(shell, ctx.find_root().info_name or "kpy") + "\n")
    raise click.exceptions.Exit(0)


def _install(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if not value or ctx.resilient_parsing:
        return
    shell = _shell(value)
    if shell not in SHELLS:
        sys.stdout.write(f"Shell {shell} is not supported.\n")
        raise click.exceptions.Exit(1)
    path = install(shell, ctx.find_root().info_name or "kpy")
    click.secho(f"{shell} completion installed in {path}", fg="green")
    sys.stdout.write("Completion will take effect once you restart the terminal\n")
    raise click.exceptions.Exit(0)


def install(shell: str, prog_name: str = "kpy") -> Path:
    """Write the script where ``shell`` loads it from (and the line that loads it in the shell's rc file)."""
    home = Path.home()
    text = script(shell, prog_name)
    if shell == "bash":
        path = home / ".bash_completions" / f"{prog_name}.sh"
        _add_lines(home / ".bashrc", [f"source '{path}'"])
    elif shell == "zsh":
        path = home / ".zfunc" / f"_{prog_name}"
        rc = home / ".zshrc"
        content = rc.read_text() if rc.is_file() else ""
        if "fpath+=~/.zfunc; autoload -Uz compinit; compinit" not in content:
            content += "\nfpath+=~/.zfunc; autoload -Uz compinit; compinit\n"
        if "zstyle" not in content:
            content += "\nzstyle ':completion:*' menu select\n"
        rc.write_text(content.strip() + "\n")
    else:
        path = home / ".config" / "fish" / "completions" / f"{prog_name}.fish"
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _add_lines(rc: Path, lines: list[str]) -> None:
    content = rc.read_text() if rc.is_file() else ""
    for line in lines:
        if line not in content:
            content += f"\n{line}"
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(content + "\n")


def completion_options() -> list[click.Parameter]:
    """The root's ``--install-completion`` and ``--show-completion``."""
    return [
        click.Option(
            ["--install-completion"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_install,
            help="Install completion for the current shell.",
        ),
        click.Option(
            ["--show-completion"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_show,
            help="Show completion for the current shell, to copy it or customize the installation.",
        ),
    ]
