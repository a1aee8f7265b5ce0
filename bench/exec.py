"""``kpy exec -i -- cat``-style throughput and ``kpy cp`` from the pod: kpy vs kubectl in the same run.

Run: .venv/bin/python bench/exec.py [--mib 1024] [--repeat 1]

Both tools talk to the same ``kpy sandbox`` (its own process: the emulator, whose exec runs commands as local
processes in the pod's directory). Each transfer moves ``--mib`` MiB of random bytes and checks the sha256 on
the other end:

* up: ``TOOL exec -i web -- sha256sum`` with the file on stdin (kpy closes stdin at its end; kubectl 1.32 too);
* down: ``TOOL exec web -- cat big.bin`` into a local file;
* cp: ``TOOL cp web:big.bin out.bin`` (kpy verifies size and sha256 in the pod afterwards, kubectl does not).

Reported per tool: wall throughput (MiB/s), the tool's CPU per GiB (user+system of its process) and its peak
RSS (from ``wait4``). Ratios: throughput kpy/kubectl (target >= 1), CPU kpy/kubectl (target <= 0.5), RSS (target
< 100 MiB). Not a test. The issue's 1 GiB configuration is ``--mib 1024``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import kpy_exe, kubectl_exe, print_table


def run(
    argv: list[str], env: dict[str, str], stdin_path: Path | None, stdout_path: Path | None
) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS KiB, exit code) of one process."""
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


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    sandbox = subprocess.Popen([kpy_exe(), "sandbox"], stdout=subprocess.PIPE, text=True, env=env)
    assert sandbox.stdout is not None
    first = sandbox.stdout.readline()
    env["KUBECONFIG"] = first.strip().split("=", 1)[1]
    work = Path(tempfile.mkdtemp(prefix="kpy-bench-exec-"))
    try:
        data = work / "big.bin"
        with open(data, "wb") as f:
            for _ in range(args.mib):
                f.write(os.urandom(1 << 20))
        want = sha(data)
        tools = {"kpy": [kpy_exe()], "kubectl": [kubectl]}
        # the pod's copy (the sandbox's container directory is the exec working directory)
        run([kpy_exe(), "cp", str(data), "web:big.bin", "--no-verify"], env, None, None)
        results: dict[tuple[str, str], tuple[float, float, int]] = {}
        for what in ("up", "down", "cp"):
            for name, base in tools.items():
                best: tuple[float, float, int] | None = None
                for _ in range(args.repeat):
                    out = work / f"out-{name}.bin"
                    if what == "up":
                        argv = [*base, "exec", "-i", "web", "--", "sha256sum"]
                        wall, cpu, rss, _ = run(argv, env, data, out)
                        assert out.read_text().split()[0] == want, f"{name} up: sha256 differs"
                    elif what == "down":
                        wall, cpu, rss, _ = run(
                            [*base, "exec", "web", "--", "cat", "big.bin"], env, None, out
                        )
                        assert sha(out) == want, f"{name} down: sha256 differs"
                    else:
                        out.unlink(missing_ok=True)
                        wall, cpu, rss, _ = run([*base, "cp", "web:big.bin", str(out)], env, None, None)
                        assert sha(out) == want, f"{name} cp: sha256 differs"
                    out.unlink(missing_ok=True)
                    if best is None or wall < best[0]:
                        best = (wall, cpu, rss)
                assert best is not None
                results[(what, name)] = best
        rows = []
        gib = args.mib / 1024
        for what, label in (
            ("up", "exec -i up"),
            ("down", "exec down"),
            ("cp", "cp from pod (kpy verifies)"),
        ):
            k, r = results[(what, "kpy")], results[(what, "kubectl")]
            rows.append(
                (
                    f"{label}, MiB/s",
                    f"{args.mib / k[0]:.0f}",
                    f"{args.mib / r[0]:.0f}",
                    f"{r[0] / k[0]:.2f}",
                    ">= 1",
                )
            )
            rows.append(
                (
                    f"{label}, client CPU s/GiB",
                    f"{k[1] / gib:.2f}",
                    f"{r[1] / gib:.2f}",
                    f"{k[1] / r[1]:.2f}",
                    "<= 0.5" if what != "cp" else "-",
                )
            )
            rows.append((f"{label}, peak RSS MiB", f"{k[2] / 1024:.0f}", f"{r[2] / 1024:.0f}", "-", "< 100"))
        print_table(f"kpy vs kubectl, {args.mib} MiB of random bytes", rows)
    finally:
        sandbox.terminate()
        sandbox.wait(20)
        for p in sorted(work.glob("*")):
            p.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
