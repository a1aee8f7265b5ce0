"""Generate the committed man pages and shell completion scripts from the click app.

``python -m kpy.cli.docs`` rewrites ``man/`` and ``completions/``; a test regenerates them in memory and fails
when the committed files are stale. Pages carry no date so that regenerating is deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kpy import __version__

SHELLS = {"bash": "kpy.bash", "zsh": "_kpy", "fish": "kpy.fish"}


def _esc(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-").replace("|", "|\\:")
    # groff reads its input as Latin-1: spell every other character as a Unicode escape.
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line for line in text.split("\n"))


def _split_help(help_text: str) -> tuple[str, str, str]:
    """(summary, description, examples) from a command's help text."""
    text = (help_text or "").strip()
    examples = ""
    if "Examples:" in text:
        text, _, examples = text.partition("Examples:")
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    summary = paragraphs[0].replace("\n", " ") if paragraphs else ""
    description = "\n\n".join(paragraphs[1:])
    return summary, description, examples.strip("\n")


def _option_lines(param: Any) -> list[str]:
    if getattr(param, "hidden", False):
        return []
    names = [*param.opts, *getattr(param, "secondary_opts", [])]
    if param.param_type_name == "argument":
        head = f"\\fI{_esc(str(param.metavar or (param.name or 'ARG').upper()))}\\fR"
    else:
        head = ", ".join(f"\\fB{_esc(n)}\\fR" for n in names)
        if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
            # name the value after the option (click would say TEXT/INTEGER)
            metavar = param.metavar or (param.name or "value").upper()
            head += f" \\fI{_esc(str(metavar))}\\fR"
    return [".TP", head, _esc(" ".join((getattr(param, "help", None) or "").split()))]


def _usage(path: list[str], command: Any) -> str:
    """One SYNOPSIS line: the command path in bold, then click's usage pieces (as ``--help`` shows them)."""
    import click

    ctx = click.Context(command, info_name=" ".join(path))
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return f"\\fB{_esc(' '.join(path))}\\fR {_esc(pieces)}".rstrip()


def _synopsis(path: list[str], command: Any, subcommands: dict[str, Any]) -> list[str]:
    """The ways to run the command: itself (unless it is only a group), then each subcommand."""
    lines: list[str] = []
    if not subcommands or getattr(command, "invoke_without_command", False) or len(path) == 1:
        lines.append(_usage(path, command))
    for name, sub in subcommands.items():
        if len(path) > 1:
            lines.append(_usage([*path, name], sub))
    return [item for line in lines for item in (line, ".br")][:-1]


def _page(path: list[str], command: Any, subcommands: dict[str, Any]) -> str:
    title = "-".join(path)
    summary, description, examples = _split_help(command.help or "")
    lines = [f'.TH {title.upper()} 1 "" "kpy {__version__}" "kpy manual"', ".ad l", ".SH NAME",
             f"{_esc(title)} \\- {_esc(summary)}", ".SH SYNOPSIS", *_synopsis(path, command, subcommands)]
    if description:
        lines += [".SH DESCRIPTION", *[_esc(p) + "\n.PP" for p in description.split("\n\n")]]
        lines[-1] = lines[-1].removesuffix("\n.PP")
    if subcommands:
        lines.append(".SH COMMANDS")
        for name, sub in subcommands.items():
            sub_summary = _split_help(sub.help or "")[0]
            lines += [".TP", f"\\fB{_esc(name)}\\fR", _esc(sub_summary)]
    params = [p for p in command.params if p.param_type_name == "argument"] + \
             [p for p in command.params if p.param_type_name == "option"]
    opts = [line for p in params for line in _option_lines(p)]
    if opts:
        lines += [".SH OPTIONS", *opts]
    for name, sub in subcommands.items():
        sub_opts = [line for p in sub.params for line in _option_lines(p)]
        if sub_opts:
            lines += [f".SS {_esc(' '.join([*path, name]))} options", *sub_opts]
        sub_examples = _split_help(sub.help or "")[2]
        if sub_examples:
            examples = (examples + "\n\n" + sub_examples).strip("\n")
    if examples:
        lines += [".SH EXAMPLES", ".nf", _esc(examples), ".fi"]
    lines += [".SH SEE ALSO", "\\fBkpy\\fR(1), \\fBkubectl\\fR(1)"]
    return "\n".join(lines) + "\n"


def _commands(group: Any) -> dict[str, Any]:
    """A group's subcommands in the order its help lists them."""
    import click

    if not isinstance(group, click.Group):
        return {}
    ctx = click.Context(group)
    return {name: group.commands[name] for name in group.list_commands(ctx)}


def man_pages(app: Any = None) -> dict[str, str]:
    """File name → roff text: ``kpy.1`` plus one page per command (groups document their subcommands)."""
    from kpy.cli.main import build_app

    root = app or build_app()
    commands = _commands(root)
    pages = {"kpy.1": _page(["kpy"], root, commands)}
    for name, command in sorted(commands.items()):
        pages[f"kpy-{name}.1"] = _page(["kpy", name], command, _commands(command))
    return pages


def completion_scripts() -> dict[str, str]:
    """Shell name → script. The scripts call back into kpy, which completes from the live app and kubeconfig."""
    from kpy.cli.shells import script

    return {shell: script(shell) for shell in SHELLS}


def write_all(root: Path) -> list[Path]:
    written = []
    (root / "man").mkdir(exist_ok=True)
    (root / "completions").mkdir(exist_ok=True)
    for name, text in man_pages().items():
        path = root / "man" / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for shell, text in completion_scripts().items():
        path = root / "completions" / SHELLS[shell]
        path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        written.append(path)
    return written



if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for p in write_all(target):
        print(p)
