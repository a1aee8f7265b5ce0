"""Console-script entry point, kept import-free so that ``kpy --version``, ``--help`` of every command and
``kpy version --client`` answer before click loads (see ``kpy.cli.fastpath``)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from kpy import __version__

        sys.stdout.write(f"kpy {__version__}\n")
        raise SystemExit(0)
    if "_KPY_COMPLETE" in os.environ:  # a warm `kpy get pods <TAB>`, from the completion cache
        from kpy.cli.quick_complete import answer as complete_answer

        code = complete_answer(args)
        if code is not None:
            raise SystemExit(code)
    from kpy.cli.fastpath import answer

    code = answer(args)
    if code is not None:
        raise SystemExit(code)
    from kpy.cli.quick import answer as quick_answer  # plain `kpy get ...` lines, without click

    code = quick_answer(args)
    if code is not None:
        raise SystemExit(code)
    from kpy.cli.main import main as run_main

    run_main()
