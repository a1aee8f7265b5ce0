"""Start-up time: `kpy --version` and `kpy get --help` against `kubectl version --client`; the cached path of
dynamic shell completion (`kpy get pods <TAB>`) against `kubectl __complete get pods ""`, on an emulator.

Run: .venv/bin/python bench/startup.py [--runs 20]
Targets: kpy <= 2x kubectl (issue 2); a cached completion answer within 300 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from _common import ensure_bytecode, kpy_exe, kubectl_exe, median_wall, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found on PATH (set KUBECTL=/path/to/kubectl)")
    ensure_bytecode()
    reference = median_wall([kubectl, "version", "--client"], args.runs)
    rows = []
    for label, argv in (("kpy --version", [kpy_exe(), "--version"]),
                        ("kpy get --help", [kpy_exe(), "get", "--help"])):
        wall = median_wall(argv, args.runs)
        rows.append((label, f"{wall * 1000:.0f} ms", f"{reference * 1000:.0f} ms", f"{wall / reference:.2f}",
                     "<= 2.0"))
    rows.append(completion_row(kubectl, args.runs))
    print_table(f"start-up, median of {args.runs} runs (reference: kubectl version --client)", rows)


def completion_row(kubectl: str, runs: int) -> tuple[str, str, str, str, str]:
    """``kpy get pods <TAB>`` through the bash protocol with a warm cache (no API request), against kubectl's
    own completion of the same line (kubectl has no cache: it lists pods every time)."""
    from kpy.testing import EmulatorThread

    with EmulatorThread(seed=True) as sandbox, tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "KUBECACHEDIR": cache}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        complete = {**env, "_KPY_COMPLETE": "complete_bash", "COMP_WORDS": "kpy get pods ", "COMP_CWORD": "3"}
        kpy_wall = median_wall([kpy_exe()], runs, env=complete)  # the first (warming) run fills the cache
        reference = median_wall([kubectl, "__complete", "get", "pods", ""], runs, env=env)
    return ("completion (cached)", f"{kpy_wall * 1000:.0f} ms", f"{reference * 1000:.0f} ms",
            f"{kpy_wall / reference:.2f}", "<= 300 ms")


if __name__ == "__main__":
    main()
