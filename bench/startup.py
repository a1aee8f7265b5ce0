"""Start-up, side by side with kubectl in one run: each kpy command against the matching kubectl command.

* ``kpy version --client`` / ``kpy --version`` vs ``kubectl version --client``; ``kpy --help`` vs
  ``kubectl --help``; ``kpy get --help`` vs ``kubectl get --help`` (median wall; target <= 1.0x);
* ``kpy get pods <TAB>`` with a warm completion cache vs ``kubectl __complete get pods ""`` (target <= 1.0x);
* a whole-process small get, ``get pods -o name`` on an emulator holding 2 pods, CPU (user+sys of the process)
  and wall (target <= 1.5x CPU); also against the cluster of ``$KUBECONFIG`` when it is set (``--no-user``
  skips it).

Run: .venv/bin/python bench/startup.py [--runs 20] [--kpy PATH]

``kpy`` is the console script of the venv running the bench (an editable install, ``pip install -e .``);
``--kpy`` measures another one, e.g. of a venv made with a plain ``pip install .``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence

from _common import ensure_bytecode, kpy_exe, kubectl_exe, median_wall, print_table

Row = tuple[str, str, str, str, str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-user", action="store_true", help="skip the get against $KUBECONFIG's cluster")
    parser.add_argument(
        "--kpy", default=None, help="the kpy console script to measure (default: this venv's)"
    )
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found on PATH (set KUBECTL=/path/to/kubectl)")
    ensure_bytecode()
    user_kubeconfig = None if args.no_user else os.environ.get("KUBECONFIG")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_COMPLETE")}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    kpy = args.kpy or kpy_exe()
    rows: list[Row] = []
    for label, argv, reference in (
        ("kpy version --client", [kpy, "version", "--client"], [kubectl, "version", "--client"]),
        ("kpy --version", [kpy, "--version"], [kubectl, "version", "--client"]),
        ("kpy --help (kubectl --help)", [kpy, "--help"], [kubectl, "--help"]),
        ("kpy get --help", [kpy, "get", "--help"], [kubectl, "get", "--help"]),
    ):
        ours, theirs = median_wall(argv, args.runs, env=env), median_wall(reference, args.runs, env=env)
        rows.append(_ratio(label + ", wall", ours, theirs, "<= 1.0"))
    from kpy.testing import EmulatorThread

    with EmulatorThread() as sandbox, tempfile.TemporaryDirectory() as cache:
        for name in ("web-0", "web-1"):
            sandbox.call(sandbox.emulator.create_object, _pod(name))
        emu = {**env, "KUBECONFIG": str(sandbox.kubeconfig_path), "KUBECACHEDIR": cache}
        rows.extend(_completion_row(kpy, kubectl, emu, args.runs))
        rows.extend(_get_rows("get pods -o name (emulator, 2 pods)", kpy, kubectl, emu, args.runs))
    if user_kubeconfig:
        user = {**env, "KUBECONFIG": user_kubeconfig}
        rows.extend(_get_rows("get pods -o name ($KUBECONFIG)", kpy, kubectl, user, args.runs))
    print_table(f"start-up, median of {args.runs} runs, kpy vs the matching kubectl command", rows)


def _pod(name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }


def _ratio(label: str, ours: float, theirs: float, target: str) -> Row:
    return (label, f"{ours * 1000:.0f} ms", f"{theirs * 1000:.0f} ms", f"{ours / theirs:.2f}", target)


def _completion_row(kpy: str, kubectl: str, env: dict[str, str], runs: int) -> list[Row]:
    """``kpy get pods <TAB>`` through the bash protocol with a warm cache (no API request), against kubectl's
    own completion of the same line (kubectl has no cache: it lists pods every time)."""
    complete = {**env, "_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get pods ", "COMP_CWORD": "3"}
    for _ in range(10):  # fill the cache (a live answer has a deadline that a loaded machine can miss)
        answer = subprocess.run([kpy], env=complete, capture_output=True, text=True, check=True).stdout
        if "web-0" in answer and "web-1" in answer:
            break
    else:
        raise SystemExit(f"kpy did not complete the pod names: {answer!r}")
    samples: dict[str, list[tuple[float, float]]] = {"kpy": [], "kubectl": []}
    for _ in range(runs):  # alternating, CPU and wall (CPU holds under load, wall does not)
        samples["kpy"].append(_cpu_wall([kpy], complete))
        samples["kubectl"].append(_cpu_wall([kubectl, "__complete", "get", "pods", ""], env))
    cpu = {tool: statistics.median(s[0] for s in values) for tool, values in samples.items()}
    wall = {tool: statistics.median(s[1] for s in values) for tool, values in samples.items()}
    return [
        _ratio("completion, warm cache, CPU", cpu["kpy"], cpu["kubectl"], "<= 1.0"),
        _ratio("completion, warm cache, wall", wall["kpy"], wall["kubectl"], "<= 1.0"),
    ]


def _get_rows(label: str, kpy: str, kubectl: str, env: dict[str, str], runs: int) -> list[Row]:
    """Whole process, CPU and wall; the two tools alternate so that load on the machine hits both alike."""
    outputs = {
        subprocess.run(argv, env=env, capture_output=True, check=True).stdout
        for argv in ([kpy, "get", "pods", "-o", "name"], [kubectl, "get", "pods", "-o", "name"])
    }
    if len(outputs) != 1:
        raise SystemExit(f"kpy and kubectl disagree on {label}: {outputs}")
    samples: dict[str, list[tuple[float, float]]] = {"kpy": [], "kubectl": []}
    for _ in range(runs):
        for tool, exe in (("kpy", kpy), ("kubectl", kubectl)):
            samples[tool].append(_cpu_wall([exe, "get", "pods", "-o", "name"], env))
    cpu = {tool: statistics.median(s[0] for s in values) for tool, values in samples.items()}
    wall = {tool: statistics.median(s[1] for s in values) for tool, values in samples.items()}
    return [
        _ratio(f"{label}, CPU", cpu["kpy"], cpu["kubectl"], "<= 1.5"),
        _ratio(f"{label}, wall", wall["kpy"], wall["kubectl"], ""),
    ]


def _cpu_wall(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


if __name__ == "__main__":
    main()
