"""`kpy logs` against `kubectl logs`, one pod, no follow, in the same run (the emulator serves the log).

Run: .venv/bin/python bench/logs.py [--mib N] [--line-bytes B] [--runs R]

A pod whose container log holds N MiB of B-byte lines; each tool prints it to /dev/null (kpy copies the body as
it comes, like kubectl). Reported: wall time, client CPU (user+sys of the child) and throughput, median of R runs,
and the ratio kpy/kubectl (throughput: > 1 is better; CPU per GiB: < 1 is better). The emulator runs in this
process, so its cost (serving the bytes over TLS) is the same for both tools; it bounds the throughput.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from _common import ensure_bytecode, kpy_exe, kubectl_exe, print_table


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run with stdout to /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--line-bytes", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl is needed as the reference")
    ensure_bytecode()
    from kpy.testing import EmulatorThread

    lines = args.mib * 1024 * 1024 // args.line_bytes
    with EmulatorThread() as thread:
        em = thread.emulator

        def arrange() -> None:
            em.api.create(
                em.logs.pods,
                "default",
                {"metadata": {"name": "big"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
            )
            em.logs.run_pod("default", "big")
            text = "x" * (args.line_bytes - 1)
            em.logs.append("default", "big", "c", *([text] * lines))

        thread.call(arrange)
        env = {**os.environ, "KUBECONFIG": str(thread.kubeconfig_path), "NO_COLOR": "1"}
        results: dict[str, list[tuple[float, float]]] = {"kpy": [], "kubectl": []}
        for _ in range(args.runs):
            results["kpy"].append(timed([kpy_exe(), "logs", "big"], env))
            results["kubectl"].append(timed([kubectl, "logs", "big"], env))
    mib = lines * args.line_bytes / (1024 * 1024)
    wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    per_gib = {k: cpu[k] * 1024 / mib for k in cpu}
    rows = [
        (
            f"throughput, {mib:.0f} MiB in {args.line_bytes}-byte lines",
            f"{mib / wall['kpy']:.0f} MiB/s",
            f"{mib / wall['kubectl']:.0f} MiB/s",
            f"{wall['kubectl'] / wall['kpy']:.2f}",
            ">= 1",
        ),
        (
            "client CPU per GiB",
            f"{per_gib['kpy']:.2f} s",
            f"{per_gib['kubectl']:.2f} s",
            f"{per_gib['kpy'] / per_gib['kubectl']:.2f}",
            "<= 1",
        ),
    ]
    print_table(f"kpy logs vs kubectl logs, one pod, no follow (median of {args.runs})", rows)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
