"""Issue 12 §6's proof: the README's test command passes several times in a row while other processes keep every
core busy (a `stress`-like loop), and how long each run took.

Run: .venv/bin/python bench/suite_under_load.py [--runs 3] [--burners N] [--out FILE] [-- PYTEST ARGS...]

One busy-loop process per core (``--burners``, default ``os.cpu_count()``) runs for the whole time at normal
priority. Each run is ``python -m pytest -q -p no:cacheprovider`` from the repository (the README's command
after its one-time setup), with the pytest arguments given after ``--`` appended (``-n 2`` with pytest-xdist,
for instance). After each run the script lists and ends any kpy process the run left behind (a leak worth a
bug report). It prints one line per run (exit code, wall time, pytest's summary) and a verdict, also written to
``--out`` when given. A failed run's whole pytest output (assertions, captured logs) is kept in
``--log-dir`` (default: a new directory under /tmp), and the path is printed. Expect ~3x the idle wall time per run on a 2-core machine. Exit status 0 only if every run
passed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = "KPY_SUITE_UNDER_LOAD_RUN"
#: a busy loop that ends by itself once this script is gone (so a killed run leaves no burner behind)
BURN = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    for _ in range(200000):\n        pass\n"


def leftovers(marker: str) -> list[tuple[int, str]]:
    """Processes still alive that the run started (they inherited its marker variable), never ended."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found.append((int(entry.name), cmdline))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--log-dir", type=Path, default=None, help="where failed runs' output is kept")
    parser.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a SIGTERM still ends the burners (finally)
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(args.burners)]
    lines = [
        f"suite under load: {args.burners} busy-loop processes on {os.cpu_count()} cores, {args.runs} runs"
    ]
    print(lines[0], flush=True)
    passed = 0
    try:
        for i in range(1, args.runs + 1):
            marker = f"{os.getpid()}-{i}"
            start = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args],
                cwd=REPO,
                env={**os.environ, MARKER: marker},
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.monotonic() - start
            summary = next(
                (
                    line
                    for line in reversed(proc.stdout.splitlines())
                    if " in " in line and ("passed" in line or "failed" in line)
                ),
                "(no summary)",
            )
            failures = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
            if proc.returncode != 0:
                if args.log_dir is None:
                    args.log_dir = Path(tempfile.mkdtemp(prefix="kpy-suite-under-load-"))
                args.log_dir.mkdir(parents=True, exist_ok=True)
                log = args.log_dir / f"run{i}.log"
                log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
                failures.append(f"(whole output: {log})")
            leaked = leftovers(marker)
            for pid, _ in leaked:
                os.kill(pid, signal.SIGKILL)
            line = f"run {i}: exit {proc.returncode}, {wall / 60:.1f} min wall: {summary.strip('= ')}"
            lines.append(line)
            lines.extend(f"    {failure}" for failure in failures)
            lines.extend(f"    left behind (ended now): {pid} {cmdline}" for pid, cmdline in leaked)
            print("\n".join(lines[-1 - len(failures) - len(leaked) :]), flush=True)
            passed += proc.returncode == 0
    finally:
        for burner in burners:
            burner.terminate()
        for burner in burners:
            burner.wait(10)
    verdict = f"{passed}/{args.runs} runs passed" + (" in a row" if passed == args.runs else "")
    lines.append(verdict)
    print(verdict)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
