"""Offline output speed and memory: `kpy get -f pods.json --local -o FORMAT` against kubectl, 5,000 and 50,000 pods.

    .venv/bin/python bench/jsonpath.py [--sizes 5000,50000] [--runs 3] [--large-runs 1] [--no-kubectl-large]

The pods are realistic (bench/_pods.py: labels, annotations, owner references, two containers with env, probes
and resources, status with conditions and container statuses; ~3.7 KB of compact JSON each). kubectl has no
offline `get`; `kubectl label --local -f pods.json tmp- -o FORMAT` reads and prints the same file offline (each
pod on its own, so JSONPath templates are given per pod; it has no custom-columns printer, so that row's
reference is kubectl printing the same fields with JSONPath). Per run: CPU (user+system of the child), wall and
peak RSS (ru_maxrss); medians of the runs are reported with kpy/kubectl ratios, and the growth of kpy's CPU from
the smallest to the largest size (linear is 10x for 10x the pods).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ensure_bytecode, kpy_exe, print_table
from _pods import pod_list

RANGE = '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'
RANGE_PER_POD = '{.metadata.name}{"\\t"}{.status.phase}{"\\n"}'
FILTER = '{range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}'
CUSTOM = "NAME:.metadata.name,PHASE:.status.phase,NODE:.spec.nodeName,IMAGE:.spec.containers[0].image"
CUSTOM_AS_JSONPATH = (
    '{.metadata.name}{"\\t"}{.status.phase}{"\\t"}{.spec.nodeName}{"\\t"}{.spec.containers[0].image}{"\\n"}'
)

#: (name, kpy -o value, kubectl -o value or None, target for kpy/kubectl CPU)
FORMATS: list[tuple[str, str, str | None, str]] = [
    ("jsonpath range", f"jsonpath={RANGE}", f"jsonpath={RANGE_PER_POD}", "<= 0.5"),
    ("jsonpath filter", f"jsonpath={FILTER}", None, "-"),
    ("name", "name", "name", "<= 0.5"),
    ("json", "json", "json", "<= 0.5"),
    ("yaml", "yaml", "yaml", "<= 0.5"),
    ("custom-columns", f"custom-columns={CUSTOM}", f"jsonpath={CUSTOM_AS_JSONPATH}", "<= 0.5"),
]


#: runs the command as its own child and reports the child's CPU and peak RSS: measured from this small process,
#: the peak is the command's own (a child forked from the benchmark would start with the benchmark's pages)
_MEASURE = (
    "import os,subprocess,sys;p=subprocess.Popen(sys.argv[1:],stderr=subprocess.DEVNULL);"
    "_,s,u=os.wait4(p.pid,0);sys.stderr.write(f'{s} {u.ru_utime+u.ru_stime} {u.ru_maxrss}')"
)


def run(cmd: list[str], keep: bool) -> tuple[float, float, float, bytes]:
    """(CPU seconds, wall seconds, peak RSS MiB, stdout if ``keep``) of one run; stdout is read as it comes."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    chunks = []
    while block := proc.stdout.read(1 << 20):
        if keep:
            chunks.append(block)
    status, cpu, rss = proc.stderr.read().split()
    proc.wait()
    wall = time.perf_counter() - start
    if int(status):
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed with status {status.decode()}")
    return float(cpu), wall, int(rss) / 1024, b"".join(chunks)


def same_output(fmt: str, mine: bytes, theirs: bytes, doc: dict[str, object]) -> str:
    """Whether kpy printed what kubectl prints for the same pods (kubectl prints them one by one)."""
    if fmt in ("jsonpath range", "name"):
        return "identical" if mine == theirs else "DIFFERENT"
    if fmt == "json":
        decoder, text, pos, items = json.JSONDecoder(), theirs.decode(), 0, []
        end = len(text.rstrip())
        while pos < end:
            item, pos = decoder.raw_decode(text, pos)
            items.append(item)
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return "same items" if items == json.loads(mine)["items"] else "DIFFERENT"
    if fmt == "yaml":
        from kpy.printers.goyaml import dump

        items = doc["items"]
        assert isinstance(items, list)
        return "same items" if "".join(map(dump, items)).encode() == theirs else "DIFFERENT"
    if fmt == "custom-columns":
        rows = [line.split() for line in mine.decode().splitlines()[1:]]
        return (
            "same fields"
            if rows == [line.split("\t") for line in theirs.decode().splitlines()]
            else "DIFFERENT"
        )
    return "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5000,50000", help="pod counts, smallest first")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and format at the smallest size")
    parser.add_argument("--large-runs", type=int, default=1, help="runs per tool and format at larger sizes")
    parser.add_argument(
        "--no-kubectl-large", action="store_true", help="run kubectl at the smallest size only"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kubectl = os.environ.get("KUBECTL") or shutil.which("kubectl")
    ensure_bytecode()
    rows = []
    kpy_cpu: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            doc = pod_list(size)
            path = Path(tmp) / f"pods-{size}.json"
            path.write_text(json.dumps(doc, separators=(",", ":")))
            smallest = size == sizes[0]
            runs = args.runs if smallest else args.large_runs
            with_kubectl = kubectl is not None and (smallest or not args.no_kubectl_large)
            for name, kpy_fmt, kubectl_fmt, target in FORMATS:
                kpy_cmd = [kpy_exe(), "get", "-f", str(path), "--local", "-o", kpy_fmt]
                k_cmd = (
                    [kubectl, "label", "--local", "-f", str(path), "tmp-", "-o", kubectl_fmt]
                    if with_kubectl and kubectl_fmt and kubectl
                    else None
                )
                mine: list[tuple[float, float, float, bytes]] = []
                theirs: list[tuple[float, float, float, bytes]] = []
                for i in range(runs):  # interleaved, so drift on a shared machine hits both alike
                    mine.append(run(kpy_cmd, keep=smallest and i == 0))
                    if k_cmd:
                        theirs.append(run(k_cmd, keep=smallest and i == 0))
                cpu, wall, rss = (statistics.median(r[j] for r in mine) for j in range(3))
                kpy_cpu[(name, size)] = cpu
                if theirs:
                    k_cpu, k_wall, k_rss = (statistics.median(r[j] for r in theirs) for j in range(3))
                    check = same_output(name, mine[0][3], theirs[0][3], doc) if smallest else "-"
                    rows.append(
                        (
                            f"-o {name}, {size} pods ({check})",
                            f"{cpu:.2f} s CPU, {wall:.2f} s, {rss:.0f} MiB",
                            f"{k_cpu:.2f} s CPU, {k_wall:.2f} s, {k_rss:.0f} MiB",
                            f"CPU {cpu / k_cpu:.2f}, RSS {rss / k_rss:.2f}",
                            target,
                        )
                    )
                else:
                    rows.append(
                        (
                            f"-o {name}, {size} pods",
                            f"{cpu:.2f} s CPU, {wall:.2f} s, {rss:.0f} MiB",
                            "-",
                            "-",
                            "-",
                        )
                    )
            del doc
    print_table("kpy get --local vs kubectl label --local (medians)", rows)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        growth = [
            (
                f"-o {name}: CPU at {large} / at {small} pods",
                f"{kpy_cpu[(name, large)] / kpy_cpu[(name, small)]:.2f}",
                "",
                "",
                f"<= {1.05 * large / small:.1f}" if name.startswith("jsonpath") else "-",
            )
            for name, *_ in FORMATS
        ]
        print_table("growth of kpy's CPU with the data", growth)


if __name__ == "__main__":
    main()
