"""DaemonSets, ControllerRevisions, Jobs and CronJobs in the emulator, as kube-apiserver 1.36 serves them.

The kubectl commands below were run against the realk8s kit (a real kube-apiserver, no controllers: nothing
runs a Job or schedules a DaemonSet there either) and their normalised output is committed in
tests/data/realk8s/workload_types.txt; the test runs the same commands against the emulator and compares
every line: create from files and with ``kubectl create job|cronjob`` (protobuf bodies), ``create job --from``,
tables (and ``-o wide``, ``get all``), the stored objects with their defaults, generated selectors and labels,
managed fields, ``api-resources`` and a delete.

To record again (KUBECONFIG pointing at the real server, a namespace that does not exist yet):
    python tests/integration/emulator/test_workload_types.py --record NAMESPACE
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from tests.integration.clihelpers import KUBECTL  # noqa: E402

EXPECTED = ROOT / "tests" / "data" / "realk8s" / "workload_types.txt"
NAMESPACE = "wl-types"

FILES = {
    "ds.yaml": """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ds1
  labels: {app: ds1}
spec:
  selector:
    matchLabels: {app: ds1}
  template:
    metadata:
      labels: {app: ds1}
    spec:
      nodeSelector: {disk: ssd}
      containers:
      - name: c
        image: busybox
""",
    "job.yaml": """apiVersion: batch/v1
kind: Job
metadata:
  name: job1
spec:
  parallelism: 3
  completions: null
  template:
    metadata:
      labels: {app: batch}
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["true"]
""",
    "cj.yaml": """apiVersion: batch/v1
kind: CronJob
metadata:
  name: cj1
spec:
  schedule: "*/5 * * * *"
  timeZone: Europe/Paris
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox
""",
    "cr.yaml": """apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: ds1-abc
  ownerReferences:
  - apiVersion: apps/v1
    kind: DaemonSet
    name: ds1
    uid: 00000000-0000-0000-0000-000000000001
    controller: true
data: {"spec": {"template": {"metadata": {"labels": {"app": "x"}}}}}
revision: 1
""",
}


def commands(ns: str, files: Path) -> list[list[str]]:
    n = ["-n", ns]
    kinds = "ds,job,cronjob"
    return [
        *(["create", "--validate=false", "-f", str(files / f), *n] for f in FILES),
        ["create", "job", "job2", "--image=busybox", *n, "--", "true"],
        ["create", "cronjob", "cj2", "--image=busybox", "--schedule=0 * * * *", *n],
        ["create", "job", "job3", "--from=cronjob/cj2", *n],
        ["get", kinds, *n],
        ["get", kinds, *n, "-o", "wide"],
        ["get", kinds, *n, "-o", "yaml", "--show-managed-fields"],
        ["get", "controllerrevisions", *n],
        ["get", "controllerrevisions", *n, "-o", "yaml"],
        ["get", "all", *n],
        ["api-resources", "--api-group=batch"],
        ["api-resources", "--api-group=apps"],
        ["delete", "job", "job1", *n],
        ["get", "jobs", *n],
    ]


_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r'"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"?')
_RV = re.compile(r'resourceVersion: "\d+"')
_AGE = re.compile(r"\b\d+[smh]\b")
_GAP = re.compile(r"(?<=\S) {2,}")


def normalise(text: str) -> str:
    """What differs on every run: uids, times, resourceVersions, ages (and so the width of table columns)."""
    text = _UID.sub("UID", text)
    text = _TIME.sub("TIME", text)
    text = _RV.sub('resourceVersion: "RV"', text)
    return _GAP.sub("  ", _AGE.sub("AGE", text))


def run_all(kubectl: str, kubeconfig: str, ns: str, files: Path) -> str:
    for name, text in FILES.items():
        (files / name).write_text(text)
    base = [kubectl, "--kubeconfig", kubeconfig]
    subprocess.run([*base, "create", "ns", ns], capture_output=True, check=False, timeout=60)
    out = []
    for argv in commands(ns, files):
        proc = subprocess.run([*base, *argv], capture_output=True, text=True, check=False, timeout=60)
        out.append(f"$ kubectl {' '.join(argv).replace(str(files), 'FILES')}\n")
        out.append(f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return normalise("".join(out))


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_workload_types_answer_as_kube_apiserver(emu: object, tmp_path: Path) -> None:
    assert KUBECTL is not None
    got = run_all(KUBECTL, str(emu.kubeconfig_path), NAMESPACE, tmp_path)  # type: ignore[attr-defined]
    expected = EXPECTED.read_text()
    assert got.splitlines() == expected.splitlines()


if __name__ == "__main__":  # record from the server KUBECONFIG points at
    import os
    import tempfile

    if sys.argv[1:2] != ["--record"] or len(sys.argv) != 3:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        text = run_all(KUBECTL or "kubectl", os.environ["KUBECONFIG"], sys.argv[2], Path(tmp))
    EXPECTED.write_text(text.replace(sys.argv[2], NAMESPACE))
    print(f"wrote {EXPECTED}")
