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
        code = _complete(args)
        if code is not None:
            raise SystemExit(code)
    from kpy.cli.fastpath import answer

    code = answer(args)
    if code is not None:
        raise SystemExit(code)
    import gc

    # Start-up loads ~150 modules and frees next to nothing: the cyclic collector's ~25 passes over them cost
    # ~4 ms, 5% of a small `kpy get`. It stays off for a one-shot command of the fast path (its large lists
    # hold no cycles, and the process ends with it); a watch or any command of the click app turns it back on.
    gc.disable()
    from kpy.cli.quick import answer as quick_answer  # plain `kpy get ...` lines, without click

    code = quick_answer(args)
    if code is not None:
        raise SystemExit(code)
    gc.enable()
    from kpy.cli.main import main as run_main

    run_main()


def _complete(args: list[str]) -> int | None:
    """``kpy.cli.quick_complete`` with the cyclic garbage collector off: it loads modules and reads two small
    files, nothing a collector pass could free (the passes cost ~3 ms, 5% of the answer)."""
    import gc

    from kpy.cli.quick_complete import answer

    collecting = gc.isenabled()
    gc.disable()
    try:
        return answer(args)
    finally:
        if collecting:
            gc.enable()
