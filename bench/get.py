"""`kpy get pods -o name` and `-o json` on 5,000 pods served by the emulator, against kubectl in the same run.

Run: .venv/bin/python bench/get.py [--pods 5000] [--runs 5]
Target (issue 2): kpy/kubectl wall <= 1.0. Both tools read the same emulator, with the same kubeconfig.
"""

from __future__ import annotations

import argparse
import os
import statistics

from _common import ensure_bytecode, kpy_exe, kubectl_exe, print_table, run_timed


def seed_pods(thread: object, count: int) -> None:
    from kpy.testing import EmulatorThread

    assert isinstance(thread, EmulatorThread)

    async def create() -> None:
        for i in range(count):
            await thread.emulator.create_object({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"pod-{i:05d}", "namespace": "bench", "labels": {"app": "bench", "i": str(i)}},
                "spec": {"nodeName": "kpy-node", "containers": [{"name": "c", "image": "nginx:1.27",
                                                                  "ports": [{"containerPort": 80}]}]},
                "status": {"phase": "Running", "podIP": f"10.1.{i // 250}.{i % 250}"},
            })

    thread.run(create())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found on PATH (set KUBECTL=/path/to/kubectl)")
    from kpy.testing import EmulatorThread

    ensure_bytecode()
    with EmulatorThread(seed=True) as thread:
        thread.run(thread.emulator.create_object({"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "bench"}}))
        seed_pods(thread, args.pods)
        env = {**os.environ, "KUBECONFIG": str(thread.kubeconfig_path)}
        rows = []
        for output in ("name", "json"):
            tools = {"kpy": [kpy_exe(), "get", "pods", "-n", "bench", "-o", output],
                     "kubectl": [kubectl, "get", "pods", "-n", "bench", "-o", output]}
            walls: dict[str, list[float]] = {"kpy": [], "kubectl": []}
            outputs = {}
            for _ in range(args.runs):  # interleave so drift hits both tools alike
                for tool, argv in tools.items():
                    wall, _, out = run_timed(argv, env=env)
                    walls[tool].append(wall)
                    outputs[tool] = out
            same = "identical" if outputs["kpy"] == outputs["kubectl"] else "DIFFERENT"
            k, r = statistics.median(walls["kpy"]), statistics.median(walls["kubectl"])
            rows.append((f"get pods -o {output} ({args.pods} pods, output {same})", f"{k:.2f} s", f"{r:.2f} s",
                         f"{k / r:.2f}", "<= 1.0"))
        print_table(f"kpy get vs kubectl get, median of {args.runs} interleaved runs", rows)


if __name__ == "__main__":
    main()
