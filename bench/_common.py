"""Shared helpers for the benchmarks: find the tools, time commands, print a ratio table.

Benchmarks are scripts, not tests: each measures kpy and the reference tool in the same run, on the same
machine and inputs, and prints ratios (kpy / reference; below 1.0 means kpy is faster or smaller).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def kpy_exe() -> str:
    """The kpy console script of the interpreter running the benchmark (the repo's venv)."""
    candidate = Path(sys.executable).with_name("kpy")
    return str(candidate) if candidate.exists() else "kpy"


def ensure_bytecode() -> None:
    """Compile kpy's sources to bytecode, as installing a wheel does.

    Without it an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set in some CI and sandbox shells)
    recompiles every kpy module on every run, ~10-20 ms that no installed kpy pays.
    """
    import compileall

    import kpy

    compileall.compile_dir(str(Path(kpy.__file__).parent), quiet=1)


def kubectl_exe() -> str | None:
    return os.environ.get("KUBECTL") or shutil.which("kubectl")


def run_timed(
    argv: Sequence[str], *, env: dict[str, str] | None = None, stdin: bytes | None = None, check: bool = True
) -> tuple[float, int, bytes]:
    """Run once; return (wall seconds, peak RSS of the child in KiB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(list(argv), input=stdin, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if check and proc.returncode != 0:
        raise SystemExit(
            f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n"
            f"{proc.stderr.decode(errors='replace')}"
        )
    # RUSAGE_CHILDREN keeps the maximum over all children so far; only a new maximum is attributable.
    return wall, max(peak, before) if peak > before else peak, proc.stdout


def peak_rss_kib(argv: Sequence[str], *, env: dict[str, str] | None = None) -> int:
    """Peak RSS of one run, measured in a fresh helper process so earlier children do not mask it."""
    code = (
        "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
        "stderr=subprocess.DEVNULL);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def median_wall(argv: Sequence[str], runs: int, *, env: dict[str, str] | None = None) -> float:
    run_timed(argv, env=env)  # warm the page cache
    return statistics.median(run_timed(argv, env=env)[0] for _ in range(runs))


RATIO_HEADER = ("measurement", "kpy", "reference", "kpy/ref", "target")


def print_table(title: str, rows: Sequence[Sequence[object]], header: Sequence[str] = RATIO_HEADER) -> None:
    """An aligned text table under ``title`` (default columns: measurement, kpy, reference, ratio, target)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def run_measured(
    argv: list[str], env: dict[str, str], stdin_path: Path | None, stdout_path: Path | None
) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS KiB, exit code) of one process, its stdin and stdout files (or nothing); a
    failure ends the bench with its stderr."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    for f in (stdin, stdout):
        if not isinstance(f, int):
            f.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode
