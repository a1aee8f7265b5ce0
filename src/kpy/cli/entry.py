"""Console-script entry point, kept import-free so that ``kpy --version`` answers before typer loads."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from kpy import __version__

        sys.stdout.write(f"kpy {__version__}\n")
        raise SystemExit(0)
    from kpy.cli.main import main as run_main

    run_main()
