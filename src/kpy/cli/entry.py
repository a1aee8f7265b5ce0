"""Console-script entry point, kept import-free so that ``kpy --version``, ``--help`` of every command and
``kpy version --client`` answer before click loads (see ``kpy.cli.fastpath``)."""

from __future__ import annotations

import os
import sys

#: a command of the fast path has run: ``run`` may end the process without the interpreter's tear-down
_quick_done = False


def run() -> None:
    """The console scripts' entry point: ``main``, and after a fast-path command ``_exit``."""
    try:
        main()
    except SystemExit as exc:
        if _quick_done and isinstance(exc.code, int):
            _exit(exc.code)
        raise


def main() -> None:
    _take_sigint()
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
        global _quick_done
        _quick_done = True
        raise SystemExit(code)
    gc.enable()
    from kpy.cli.main import main as run_main

    run_main()


def _take_sigint() -> None:
    """Ctrl-C (SIGINT) interrupts kpy even when it was started ignoring it, as a background job of a script
    is (``kpy get pods -w &``, then ``kill -INT``): Python leaves an inherited SIG_IGN alone, but kubectl (Go's
    signal.Notify) takes the signal back, and a watch that cannot be interrupted is only stopped by SIGKILL.
    ``_signal`` (built in) rather than ``signal``, which would import enum at start-up."""
    import _signal  # type: ignore[import-not-found]  # (no stub: the C module behind signal)

    if _signal.getsignal(_signal.SIGINT) is _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


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


def _exit(code: int) -> None:
    """The end of a fast-path command: what Python's own exit does that anyone could notice (other threads
    awaited, ``atexit`` handlers, stdout and stderr flushed), without the interpreter's tear-down, whose
    collector passes and deallocation of every module and object cost ~4% of a `kpy events tail --no-watch`
    of 3,000 events. Where any of that does not go to plan, the usual exit."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:  # a thread still running: Python waits for it
        raise SystemExit(code)
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # e.g. a closed pipe: the usual exit reports it the usual way
        raise SystemExit(code) from None
    os._exit(code)
