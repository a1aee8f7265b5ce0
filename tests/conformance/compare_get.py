"""Run the same ``get`` commands with kubectl and kpy against whatever ``KUBECONFIG`` points at; report differences.

Usage (not a pytest module; run it by hand against a real cluster, e.g. the realk8s kit)::

    KUBECONFIG=~/.cache/kpy-realk8s/kubeconfig python tests/conformance/compare_get.py [--kubectl PATH] [--kpy PATH]

Exit code 0 when every command printed the same stdout and stderr and exited alike. Table cells that look like
ages are compared loosely (they can tick between the two runs). Commands referring to objects a cluster lacks
still compare the two tools' errors, which is useful too.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

COMMANDS = [
    "get pods",
    "get pods -o wide",
    "get pods -A",
    "get pods -o json",
    "get pods -o yaml",
    "get pods -o name",
    "get pod web -o yaml",
    "get pod web --show-managed-fields -o json",
    "get svc/nosuch pod/web",
    "get pod web -A",
    "get pods,svc",
    "get pods,nodes -A",
    "get all",
    "get all -A",
    "get ns",
    "get nodes",
    "get pods -n empty-or-missing -o name",
    "get pods -n empty-or-missing -o custom-columns=N:.metadata.name",
    "get pods -l a=(",
    "get pods --field-selector spec.bogus=1",
    "get pod.apps",
    "get ev",
    "get flurbs",
    "get pods --sort-by=.metadata.name",
    "get pods --sort-by=.status.phase -o name",
    "get pod web worker --sort-by=.metadata.name",
    "get pod nope --ignore-not-found",
    "get pod web --show-kind",
    "get pod web --subresource status",
    "get deploy web --subresource scale",
    "get --raw /api/v1/namespaces/default/pods/web",
    "get --raw /api/v1/nope",
    "get pods --request-timeout=1ns",
    "get pods -o jsonpath={.items[*].metadata.name}",
    "get pods -o jsonpath={.x} --allow-missing-template-keys=false",
    "get pods -o 'go-template={{range.items}}{{.metadata.name}} {{end}}'",
    "get pods -o 'go-template={{\\}}'",
    "get pods -o go-template={{index .items 9}}",
    "get pods --bogus",
    "get",
]

_AGE = re.compile(r"(?<= )[0-9]+[smhdy]([0-9]+[smhd])?(?= |$)", re.M)


def loose(text: str) -> str:
    return re.sub(r" +", " ", _AGE.sub("<age>", text))


def run(tool: str, args: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run(
        [tool, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return proc.returncode, proc.stdout, proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--kubectl",
        default=shutil.which("kubectl.1.32", path="/usr/lib/google-cloud-sdk/bin")
        or shutil.which("kubectl")
        or "kubectl",
    )
    parser.add_argument("--kpy", default=str(Path(sys.executable).with_name("kpy")))
    options = parser.parse_args()
    differences = 0
    for command in COMMANDS:
        args = shlex.split(command)
        theirs = run(options.kubectl, args)
        mine = run(options.kpy, args)
        expected_err = theirs[2].replace("'kubectl ", "'kpy ")
        # kpy has no `explain` command; kubectl leaves its hint out for commands without one
        expected_err = "".join(
            line for line in expected_err.splitlines(keepends=True) if "kubectl explain" not in line
        )
        same = (
            mine[0] == theirs[0]
            and mine[2] == expected_err
            and (mine[1] == theirs[1] or loose(mine[1]) == loose(theirs[1]))
        )
        print(f"{'SAME' if same else 'DIFF'} {command}")
        if not same:
            differences += 1
            print(f"  exit: kubectl {theirs[0]}, kpy {mine[0]}")
            for name, a, b in (("stdout", theirs[1], mine[1]), ("stderr", expected_err, mine[2])):
                if a != b:
                    print(f"  {name} kubectl: {a[:400]!r}\n  {name} kpy:     {b[:400]!r}")
    print(f"{len(COMMANDS) - differences}/{len(COMMANDS)} identical")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
