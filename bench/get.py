"""`kpy get` against kubectl on one emulator: tables, -o name/json/yaml/custom-columns, realistic objects.

Run: .venv/bin/python bench/get.py [--pods 5000] [--configmaps 2000] [--runs 5] [--only table]
Both tools read the same emulator with the same kubeconfig; runs are interleaved so drift hits both alike. CPU is
the child's user+system time (what the client spends, steadier than wall time on a shared machine); the
medians are reported with kpy/kubectl ratios. Targets (issue 15): `get pods` table CPU <= 0.5, `get cm` table
CPU <= 0.7; the structured outputs <= 1.0 wall.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import time

from _common import ensure_bytecode, kpy_exe, kubectl_exe, print_table
from _pods import realistic_pod

CUSTOM = "custom-columns=NAME:.metadata.name,PHASE:.status.phase,NODE:.spec.nodeName,IMAGE:.spec.containers[0].image"


def seed(thread: object, pods: int, configmaps: int) -> None:
    from kpy.testing import EmulatorThread

    assert isinstance(thread, EmulatorThread)

    async def create() -> None:
        await thread.emulator.create_object(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}
        )
        for i in range(pods):
            await thread.emulator.create_object(realistic_pod(i, "bench"))
        for i in range(configmaps):
            await thread.emulator.create_object(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": f"cm-{i:05d}",
                        "namespace": "bench",
                        "labels": {"app": f"app-{i % 50}"},
                    },
                    "data": {f"key{k}": f"value {k} of {i}" for k in range(i % 5)},
                }
            )

    thread.run(create(), timeout=900)


def run_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(wall, user+system CPU of the child, stdout): the growth of RUSAGE_CHILDREN over one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(
            f"benchmark command failed: {' '.join(argv)}\n{proc.stderr.decode(errors='replace')}"
        )
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, proc.stdout


def _comparable(output: bytes) -> bytes:
    """Tables without their AGE column (the seconds go on between the two tools' runs)."""
    return re.sub(rb" +[0-9]+[smhd][0-9]*[smh]?$", b"", output, flags=re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--configmaps", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", default="", help="run only the cases whose title contains this (e.g. table)"
    )
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found on PATH (set KUBECTL=/path/to/kubectl)")
    from kpy.testing import EmulatorThread

    ensure_bytecode()
    cases = [
        (f"get pods table ({args.pods} pods)", ["get", "pods", "-n", "bench"], "<= 0.5"),
        (f"get cm table ({args.configmaps} configmaps)", ["get", "cm", "-n", "bench"], "<= 0.7"),
        (f"get pods -o name ({args.pods})", ["get", "pods", "-n", "bench", "-o", "name"], "<= 1.0"),
        (f"get pods -o json ({args.pods})", ["get", "pods", "-n", "bench", "-o", "json"], "<= 1.0"),
        (f"get pods -o yaml ({args.pods})", ["get", "pods", "-n", "bench", "-o", "yaml"], "<= 0.5"),
        (f"get pods -o custom-columns ({args.pods})", ["get", "pods", "-n", "bench", "-o", CUSTOM], "<= 1.0"),
    ]
    cases = [case for case in cases if args.only in case[0]]
    with EmulatorThread(seed=True) as thread:
        seed(thread, args.pods, args.configmaps)
        env = {**os.environ, "KUBECONFIG": str(thread.kubeconfig_path)}
        rows = []
        for title, argv, target in cases:
            tools = {"kpy": [kpy_exe(), *argv], "kubectl": [kubectl, *argv]}
            cpu: dict[str, list[float]] = {"kpy": [], "kubectl": []}
            walls: dict[str, list[float]] = {"kpy": [], "kubectl": []}
            outputs = {}
            for _ in range(args.runs):
                for tool, command in tools.items():
                    wall, spent, out = run_cpu(command, env)
                    cpu[tool].append(spent)
                    walls[tool].append(wall)
                    outputs[tool] = out
            same = (
                "identical" if _comparable(outputs["kpy"]) == _comparable(outputs["kubectl"]) else "DIFFERENT"
            )
            k, r = statistics.median(cpu["kpy"]), statistics.median(cpu["kubectl"])
            kw, rw = statistics.median(walls["kpy"]), statistics.median(walls["kubectl"])
            rows.append(
                (
                    f"{title}, output {same}",
                    f"{k:.2f} s CPU / {kw:.2f} s",
                    f"{r:.2f} s CPU / {rw:.2f} s",
                    f"{k / r:.2f} CPU / {kw / rw:.2f} wall",
                    target,
                )
            )
        print_table(f"kpy get vs kubectl get on the emulator, median of {args.runs} interleaved runs", rows)


if __name__ == "__main__":
    main()
