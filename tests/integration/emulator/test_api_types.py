"""API types of the emulator as kube-apiserver 1.36 serves them, scenario by scenario.

Each scenario's kubectl commands were run against the realk8s kit (a real kube-apiserver, no controllers:
nothing runs a Job, schedules a DaemonSet or binds a claim there either) and their normalised output is
committed in tests/data/realk8s/SCENARIO.txt; the test runs the same commands against the emulator and
compares every line: creates from files and with ``kubectl create ...`` (protobuf bodies), tables (and
``-o wide``), the stored objects with their defaults and managed fields, ``api-resources`` and deletes.

* ``daemonset_updates``: a DaemonSet's template generation across patches, annotations, ``set image`` and
  ``rollout restart``.
* ``template_updates``: updates get the defaults a create gets (a container added to a template, a field set
  to null), with canonical quantities.
* ``workload_types``: DaemonSets, ControllerRevisions, Jobs (generated selectors and labels, ``create job
  --from=cronjob``), CronJobs, ``get all``.
* ``network_storage_types``: Ingresses, IngressClasses, NetworkPolicies, PodDisruptionBudgets,
  PersistentVolumeClaims, PersistentVolumes (not IPAddresses and ServiceCIDRs, which the real server makes
  objects of itself: the emulator leaves networking.k8s.io's list shorter).
* ``cluster_types``: StorageClasses (not the other storage.k8s.io types), PriorityClasses (with the two the
  server creates at start).

To record a scenario again (KUBECONFIG pointing at the real server, a namespace that does not exist yet):
    python tests/integration/emulator/test_api_types.py --record SCENARIO NAMESPACE
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

DATA = ROOT / "tests" / "data" / "realk8s"
NAMESPACE = "wl-types"

WORKLOAD_FILES = {
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


def workload_commands(ns: str, files: Path) -> list[list[str]]:
    n = ["-n", ns]
    kinds = "ds,job,cronjob"
    return [
        *(["create", "--validate=false", "-f", str(files / f), *n] for f in WORKLOAD_FILES),
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


NETWORK_FILES = {
    "ing.yaml": """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing1
spec:
  ingressClassName: nginx
  tls:
  - hosts: [a.example]
    secretName: tls1
  rules:
  - host: a.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
  - host: b.example
    http:
      paths:
      - path: /api
        pathType: Exact
        backend:
          service: {name: api, port: {name: http}}
  - host: c.example
  - host: d.example
""",
    "ic.yaml": """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
""",
    "np.yaml": """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np1
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
    ports:
    - port: 80
""",
    "np2.yaml": """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  podSelector: {}
""",
    "pdb.yaml": """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: pdb1
spec:
  maxUnavailable: 25%
  selector:
    matchLabels: {app: web}
""",
    "pvc.yaml": """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  resources:
    requests: {storage: 1024Mi}
  storageClassName: fast
""",
    "pvc2.yaml": """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: bound
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 1Gi}
  volumeName: pv1
  volumeMode: Block
""",
}

#: cluster-scoped objects are named after the namespace, so that runs in fresh namespaces do not collide
PV_YAML = """apiVersion: v1
kind: PersistentVolume
metadata:
  name: NS-pv
  annotations: {volume.beta.kubernetes.io/storage-class: slow}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteMany, ReadWriteOnce]
  hostPath: {path: /tmp/pv}
  claimRef: {namespace: NS, name: bound}
"""


def network_commands(ns: str, files: Path) -> list[list[str]]:
    n = ["-n", ns]
    kinds = "ingress,networkpolicy,pdb,pvc"
    return [
        *(["create", "--validate=false", "-f", str(files / f), *n] for f in NETWORK_FILES),
        ["create", "--validate=false", "-f", str(files / "pv.yaml")],
        ["create", "ingress", "ing2", "--rule=x.example/p*=svc:8080,tls=s1", "--class=other", *n],
        ["create", "pdb", "pdb2", "--selector=app=db", "--min-available=1", *n],
        ["get", kinds, *n],
        ["get", kinds, *n, "-o", "wide"],
        ["get", kinds, *n, "-o", "yaml", "--show-managed-fields"],
        ["get", "ingressclass", "nginx"],
        ["get", "ingressclass", "nginx", "-o", "yaml"],
        ["get", "pv", f"{ns}-pv"],
        ["get", "pv", f"{ns}-pv", "-o", "yaml"],
        ["api-resources", "--api-group=policy"],
        # the protection finalizers (kubernetes.io/pvc-protection, pv-protection) keep them, Terminating: no
        # controller removes the finalizers on the kit either
        ["delete", "pvc", "data", "--wait=false", *n],
        ["delete", "pv", f"{ns}-pv", "--wait=false"],
        ["delete", "ingressclass", "nginx"],
        ["get", "pvc", *n],
        ["get", "pv", f"{ns}-pv"],
        # a write that removes the last finalizer deletes a Terminating object; elsewhere it is a write
        ["patch", "pvc", "data", "--type=merge", "-p", '{"metadata":{"finalizers":null}}', *n],
        ["patch", "pvc", "bound", "--type=merge", "-p", '{"metadata":{"finalizers":null}}', *n],
        ["get", "pvc", *n],
        ["get", "pvc", "bound", "-o", "jsonpath={.metadata.finalizers}", *n],
    ]


CLUSTER_FILES = {
    "sc.yaml": """apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: NS-fast
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: example.com/fast
parameters: {type: ssd}
""",
    "sc2.yaml": """apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: NS-slow
provisioner: example.com/slow
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
mountOptions: [ro]
""",
}


def cluster_commands(ns: str, files: Path) -> list[list[str]]:
    """Cluster-scoped types, named after the namespace (runs on one server do not collide)."""
    return [
        *(["create", "--validate=false", "-f", str(files / f)] for f in CLUSTER_FILES),
        ["create", "priorityclass", f"{ns}-high", "--value=1000", "--description=high"],
        ["create", "priorityclass", f"{ns}-never", "--value=10", "--preemption-policy=Never"],
        ["get", "storageclass", f"{ns}-fast", f"{ns}-slow"],
        ["get", "storageclass", f"{ns}-fast", f"{ns}-slow", "-o", "yaml", "--show-managed-fields"],
        [
            "get",
            "priorityclass",
            f"{ns}-high",
            f"{ns}-never",
            "system-node-critical",
            "system-cluster-critical",
        ],
        ["get", "pc", f"{ns}-high", f"{ns}-never", "-o", "yaml", "--show-managed-fields"],
        ["get", "pc", "system-node-critical", "system-cluster-critical", "-o", "yaml"],
        ["api-resources", "--api-group=scheduling.k8s.io"],
        ["delete", "sc", f"{ns}-fast", f"{ns}-slow"],
        ["delete", "pc", f"{ns}-high", f"{ns}-never"],
    ]


DAEMONSET_FILES = {"ds.yaml": WORKLOAD_FILES["ds.yaml"].replace("ds1", "ds2")}


def daemonset_commands(ns: str, files: Path) -> list[list[str]]:
    """A DaemonSet's template generation (the ``deprecated.daemonset.template.generation`` annotation): one
    more at each update that changes the template, and not the client's to set or remove; but the field
    manager sees what the client wrote (a removal as "0": the internal type keeps it in a field), so the
    writer owns it."""
    n = ["-n", ns]
    gen = ["get", "ds", "ds2", "-o", "jsonpath={.metadata.generation} {.metadata.annotations}", *n]
    return [
        ["create", "--validate=false", "-f", str(files / "ds.yaml"), *n],
        gen,
        [
            "patch",
            "ds",
            "ds2",
            "--type=merge",
            "-p",
            '{"spec":{"template":{"metadata":{"labels":{"v":"2"}}}}}',
            *n,
        ],
        gen,
        ["patch", "ds", "ds2", "--type=merge", "-p", '{"spec":{"minReadySeconds":5}}', *n],
        gen,
        ["annotate", "ds", "ds2", "deprecated.daemonset.template.generation=7", "--overwrite", *n],
        gen,
        ["set", "image", "ds/ds2", "c=busybox:2", *n],
        gen,
        ["annotate", "ds", "ds2", "deprecated.daemonset.template.generation-", *n],
        gen,
        ["rollout", "restart", "ds/ds2", *n],
        gen,
        ["get", "ds", "ds2", "-o", "yaml", *n],
        # each manager's fields (their order in the list depends on which second each write fell in)
        *(
            [
                "get",
                "ds",
                "ds2",
                "-o",
                f"jsonpath={{.metadata.managedFields[?(@.manager=='{m}')].fieldsV1}}",
                *n,
            ]
            for m in ("kubectl-create", "kubectl-patch", "kubectl-annotate", "kubectl-set", "kubectl-rollout")
        ),
    ]


def template_commands(ns: str, files: Path) -> list[list[str]]:
    """An update is defaulted as a create is (not its create strategy): a container added to a template gets
    its defaults and canonical quantities, owned by the writer; a field set to null gets its default back."""
    n = ["-n", ns]
    c2 = '{"name":"c2","image":"busybox","resources":{"limits":{"memory":"1024Mi","ephemeral-storage":"2048Ki"}}}'
    fields = "jsonpath={.metadata.managedFields[?(@.manager=='MANAGER')].fieldsV1}"
    return [
        ["create", "deployment", "web", "--image=busybox", *n],
        [
            "patch",
            "deploy",
            "web",
            "--type=json",
            "-p",
            f'[{{"op":"add","path":"/spec/template/spec/containers/-","value":{c2}}}]',
            *n,
        ],
        ["get", "deploy", "web", "-o", "yaml", *n],
        ["get", "deploy", "web", "-o", fields.replace("MANAGER", "kubectl-patch"), *n],
        ["set", "resources", "deploy", "web", "-c", "c2", "--requests=memory=0.5Gi", *n],
        ["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[1].resources}", *n],
        [
            "patch",
            "deploy",
            "web",
            "--type=merge",
            "-p",
            '{"spec":{"replicas":null,"revisionHistoryLimit":null}}',
            *n,
        ],
        [
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.replicas} {.spec.revisionHistoryLimit} {.metadata.generation}",
            *n,
        ],
        ["create", "cronjob", "cj", "--image=busybox", "--schedule=0 * * * *", *n],
        [
            "patch",
            "cronjob",
            "cj",
            "--type=json",
            "-p",
            '[{"op":"add","path":"/spec/jobTemplate/spec/template/spec/containers/-","value":{"name":"c2","image":"busybox:1"}}]',
            *n,
        ],
        ["get", "cronjob", "cj", "-o", "jsonpath={.spec.jobTemplate.spec.template.spec.containers}", *n],
    ]


SCENARIOS = {
    "daemonset_updates": (DAEMONSET_FILES, daemonset_commands),
    "template_updates": ({}, template_commands),
    "workload_types": (WORKLOAD_FILES, workload_commands),
    "network_storage_types": ({**NETWORK_FILES, "pv.yaml": PV_YAML}, network_commands),
    "cluster_types": (CLUSTER_FILES, cluster_commands),
}


def run_all(kubectl: str, kubeconfig: str, scenario: str, ns: str, files: Path) -> str:
    written, commands = SCENARIOS[scenario]
    for name, text in written.items():
        (files / name).write_text(text.replace("NS", ns))
    base = [kubectl, "--kubeconfig", kubeconfig]
    subprocess.run([*base, "create", "ns", ns], capture_output=True, check=False, timeout=60)
    out = []
    for argv in commands(ns, files):
        proc = subprocess.run([*base, *argv], capture_output=True, text=True, check=False, timeout=60)
        out.append(f"$ kubectl {' '.join(argv).replace(str(files), 'FILES')}\n")
        out.append(f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return normalise("".join(out))


@pytest.mark.skipif(
    KUBECTL is None, reason="needs kubectl on PATH (the oracle; installed on every machine here and in CI)"
)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_types_answer_as_kube_apiserver(emu: object, tmp_path: Path, scenario: str) -> None:
    assert KUBECTL is not None
    kubeconfig = str(emu.kubeconfig_path)  # type: ignore[attr-defined]
    got = run_all(KUBECTL, kubeconfig, scenario, f"{NAMESPACE}-{scenario[:3]}", tmp_path)
    expected = (DATA / f"{scenario}.txt").read_text().replace(NAMESPACE, f"{NAMESPACE}-{scenario[:3]}")
    assert got.splitlines() == expected.splitlines()


if __name__ == "__main__":  # record from the server KUBECONFIG points at
    import os
    import tempfile

    if sys.argv[1:2] != ["--record"] or len(sys.argv) != 4 or sys.argv[2] not in SCENARIOS:
        sys.exit(__doc__)
    scenario, namespace = sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory() as tmp:
        text = run_all(KUBECTL or "kubectl", os.environ["KUBECONFIG"], scenario, namespace, Path(tmp))
    (DATA / f"{scenario}.txt").write_text(text.replace(namespace, NAMESPACE))
    print(f"wrote {DATA / scenario}.txt")
