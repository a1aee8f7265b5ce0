"""JSONPath speed: kpy vs kubectl on a 5,000-pod PodList, plus the engine alone vs jsonpath-ng.

    /work/venv/bin/python bench/jsonpath.py [--pods N]

kpy runs ``kpy get -f pods.json --local -o jsonpath=TEMPLATE`` (the whole list, as ``kubectl get`` would).
kubectl has no offline ``get``; ``kubectl label --local -f pods.json tmp- -o jsonpath=…`` reads and prints the
same file offline, applying the template to each pod, so it is given the per-pod form of the same template
(same output bytes, checked). Wall time and peak RSS (children's ru_maxrss) are measured per run; the best of
3 runs is reported with kpy/kubectl ratios. The in-process part times parse-once/render for kpy's engine and
jsonpath-ng evaluating the equivalent expressions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'
PER_POD = '{.metadata.name}{"\\t"}{.status.phase}{"\\n"}'
KPY = [str(Path(sys.executable).with_name("kpy"))]


def pod_list(count: int) -> dict[str, object]:
    phases = ["Running", "Pending", "Succeeded", "Failed"]
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"pod-{i:05d}",
                "namespace": "default",
                "uid": f"00000000-0000-0000-0000-{i:012d}",
                "labels": {"app": f"app-{i % 50}", "app.kubernetes.io/name": "bench"},
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "resourceVersion": str(1000 + i),
            },
            "spec": {
                "nodeName": f"node-{i % 20}",
                "containers": [
                    {
                        "name": "main",
                        "image": "registry.k8s.io/pause:3.9",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ],
            },
            "status": {
                "phase": phases[i % 4],
                "podIP": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "main", "ready": True, "restartCount": i % 7}],
            },
        }
        for i in range(count)
    ]
    return {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "99"}, "items": items}


def run_child(cmd: list[str]) -> tuple[float, float, bytes]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"{cmd[0]} failed: {err.decode()}")
    return wall, usage.ru_maxrss / 1024, chunks


def best(cmd: list[str], runs: int = 3) -> tuple[float, float, bytes]:
    results = [run_child(cmd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results), results[0][2]


def engine_alone(doc: dict[str, object]) -> None:
    from kpy.jsonpath import parse

    tmpl = parse(TEMPLATE)
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        text = tmpl.render(doc)
    kpy_s = (time.perf_counter() - start) / rounds
    print(f"engine alone (kpy, compiled once): {kpy_s * 1000:8.1f} ms  ({len(text)} bytes)")
    try:
        from jsonpath_ng import parse as ng_parse  # type: ignore[import-untyped]
    except ImportError:
        print("jsonpath-ng not installed: no comparison")
        return
    names = ng_parse("metadata.name")
    phases = ng_parse("status.phase")
    items = ng_parse("items[*]")
    start = time.perf_counter()
    for _ in range(rounds):
        lines = []
        for match in items.find(doc):
            item = match.value
            lines.append(f"{names.find(item)[0].value}\t{phases.find(item)[0].value}\n")
        ng_text = "".join(lines)
    ng_s = (time.perf_counter() - start) / rounds
    assert ng_text == text
    print(f"engine alone (jsonpath-ng)       : {ng_s * 1000:8.1f} ms   kpy/jsonpath-ng = {kpy_s / ng_s:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=5000)
    args = parser.parse_args()
    doc = pod_list(args.pods)
    from _common import ensure_bytecode

    ensure_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pods.json"
        path.write_text(json.dumps(doc))
        kpy_cmd = [*KPY, "get", "--filename", str(path), "--local", "--output", f"jsonpath={TEMPLATE}"]
        kpy_wall, kpy_rss, kpy_out = best(kpy_cmd)
        print(f"kpy    : {kpy_wall:6.3f} s  {kpy_rss:7.1f} MB")
        kubectl = shutil.which("kubectl")
        if kubectl:
            k_cmd = [kubectl, "label", "--local", "-f", str(path), "tmp-", f"--output=jsonpath={PER_POD}"]
            k_wall, k_rss, k_out = best(k_cmd)
            print(f"kubectl: {k_wall:6.3f} s  {k_rss:7.1f} MB")
            print(
                f"ratios kpy/kubectl: wall {kpy_wall / k_wall:.3f} (target <= 0.5), "
                f"peak RSS {kpy_rss / k_rss:.3f} (target <= 0.5); same output: {kpy_out == k_out}"
            )
        else:
            print("kubectl not installed: no ratio")
    engine_alone(doc)


if __name__ == "__main__":
    main()
