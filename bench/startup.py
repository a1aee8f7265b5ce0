"""Start-up time: `kpy --version` and `kpy get --help` against `kubectl version --client`.

Run: .venv/bin/python bench/startup.py [--runs 20]
Target (issue 2): kpy <= 2x kubectl.
"""

from __future__ import annotations

import argparse

from _common import kpy_exe, kubectl_exe, median_wall, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    kubectl = kubectl_exe()
    if kubectl is None:
        raise SystemExit("kubectl not found on PATH (set KUBECTL=/path/to/kubectl)")
    reference = median_wall([kubectl, "version", "--client"], args.runs)
    rows = []
    for label, argv in (("kpy --version", [kpy_exe(), "--version"]),
                        ("kpy get --help", [kpy_exe(), "get", "--help"])):
        wall = median_wall(argv, args.runs)
        rows.append((label, f"{wall * 1000:.0f} ms", f"{reference * 1000:.0f} ms", f"{wall / reference:.2f}",
                     "<= 2.0"))
    print_table(f"start-up, median of {args.runs} runs (reference: kubectl version --client)", rows)


if __name__ == "__main__":
    main()
