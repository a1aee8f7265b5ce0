"""The kubectl commands of ``compare_real.py --only fidelity`` (``--emulator-fidelity``): what an SRE runs every
day, run with kubectl alone against one server. Run it on the real kube-apiserver and on ``kpy sandbox`` with
``--save`` each, then ``--cross real.json emu.json`` lists every answer that differs between the two servers.

The commands work in their own namespace (``kpy-fidelity``, or ``-n NS`` when given: created first, deleted
last; on the realk8s kit, which has no namespace controller, a deleted namespace stays Terminating, so give
each run there a fresh ``-n``), from manifests
written to a fixed directory, so both runs send the same bytes and print the same paths. Answers are
normalised for what differs on every run: uids, resourceVersions, timestamps, ages, klog headers.

What is compared (and what the emulator matches; tests/integration/emulator/test_kubectl_fidelity.py encodes
the differences found): get/describe of the namespace's objects, create (cm, secret, deployment, from files),
apply (client-side, --server-side, the client-side → server-side migration, field-manager conflicts,
--force-conflicts, pruning), patch (strategic, merge, json, a json patch that does not apply), replace,
label/annotate (with and without --overwrite), scale (with --current-replicas), rollout history/status,
--dry-run=server, delete (-l, --all, --wait, --ignore-not-found), wait (--for=condition, --for=delete,
--for=jsonpath), auth can-i (--list too)/whoami (with --as, --as-uid), api-resources/api-versions, explain, pod validation errors, and
undecodable request bodies (create --raw).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

NAMESPACE = "kpy-fidelity"
WORKDIR = Path(tempfile.gettempdir()) / "kpy-fidelity-manifests"

_FILES = {
    "cm1.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  labels: {app: fid}\ndata:\n  a: "1"\n',
    "cm2.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  labels: {app: fid}\ndata:\n  a: "2"\n',
    "cm3.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\ndata:\n  a: "3"\n  z: "1"\n',
    "nocontainers.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n",
    "badpod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p2\nspec:\n  restartPolicy: Bogus\n  initContainers:\n"
        "  - name: c\n    image: x\n  containers:\n  - name: c\n    ports:\n    - containerPort: 70000\n"
        "  - name: C_1\n    image: img\n"
    ),
    "pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p3\n  labels: {app: fid}\nspec:\n  containers:\n"
        "  - name: c\n    image: nginx\n"
    ),
    "truncated.json": '{"apiVersion":"v1","kind":"ConfigMap",',
    "array.json": "[1,2]",
    "empty.json": "",
    "ssar-empty.json": '{"spec":{}}',
}

_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_RV = re.compile(r'(resourceVersion"?:\s*)"\d+"')
_DESCRIBE_TIME = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
_AGE = re.compile(r"(?<![\w.-])\d+[smhd](\d+[smh])?(?![\w.-])")


def norm_fidelity(text: str) -> str:
    """What differs on every run: uids, times, resourceVersions, ages (table columns realign: squash spaces)."""
    text = _RV.sub(r'\1"RV"', _TIME.sub("TIME", _UID.sub("UID", _DESCRIBE_TIME.sub("TIME", text))))
    return re.sub(r" {2,}", "  ", _AGE.sub("AGE", text))


def write_manifests() -> Path:
    WORKDIR.mkdir(exist_ok=True)
    for name, text in _FILES.items():
        (WORKDIR / name).write_text(text)
    return WORKDIR


def commands(namespace: str = NAMESPACE) -> Iterator[tuple[str, list[str]]]:
    """(name, kubectl arguments), in order: each may depend on the ones before it."""
    d, n = WORKDIR, ["-n", namespace]
    nv = ["-n", namespace, "--validate=false"]
    yield "create namespace", ["create", "namespace", namespace]
    yield (
        "create sa default",
        ["create", "serviceaccount", "default", *n],
    )  # no controller makes it on the kit
    # reads
    for what in ("pods", "deploy", "svc", "cm", "events", "leases", "secrets"):
        yield f"get {what} (none)", ["get", what, *n]
    yield "get ns NAME", ["get", "ns", namespace]
    yield "describe ns", ["describe", "ns", namespace]
    yield "get nosuch type", ["get", "nosuchtype", *n]
    yield "get pod nosuch", ["get", "pod", "nosuch", *n]
    # creates
    yield "create cm", ["create", "cm", "lit", "--from-literal=a=b", *n]
    yield "create cm again", ["create", "cm", "lit", "--from-literal=a=b", *n]
    yield "create secret", ["create", "secret", "generic", "s1", "--from-literal=p=x", *n]
    yield "create deployment", ["create", "deployment", "dep", "--image=nginx", "--replicas=1", *n]
    yield "create deploy dry-run=server", ["create", "deployment", "dry", "--image=x", "--dry-run=server", *n]
    yield "get deploy", ["get", "deploy", *n]
    yield "describe deploy", ["describe", "deploy", "dep", *n]
    yield "get secret -o yaml", ["get", "secret", "s1", "-o", "yaml", *n]
    # apply: client-side, server-side, migration, conflicts, pruning
    yield "apply cm1", ["apply", *nv, "-f", str(d / "cm1.yaml")]
    yield "apply cm1 unchanged", ["apply", *nv, "-f", str(d / "cm1.yaml")]
    yield "apply cm2 dry-run=server", ["apply", *nv, "-f", str(d / "cm2.yaml"), "--dry-run=server"]
    yield "apply cm2 server-side (migration)", ["apply", *nv, "-f", str(d / "cm2.yaml"), "--server-side"]
    yield "managed fields after migration", ["get", "cm", "cm1", *n, "-o", "yaml", "--show-managed-fields"]
    yield "ssa other manager conflict", ["apply", *nv, "-f", str(d / "cm1.yaml"), "--server-side", "--field-manager=other"]  # fmt: skip
    yield "ssa cm3 (prunes label)", ["apply", *nv, "-f", str(d / "cm3.yaml"), "--server-side"]
    yield "after prune", ["get", "cm", "cm1", *n, "-o", "yaml", "--show-managed-fields"]
    yield "ssa force-conflicts", ["apply", *nv, "-f", str(d / "cm1.yaml"), "--server-side", "--field-manager=other", "--force-conflicts"]  # fmt: skip
    # patch / replace / label / annotate
    yield "patch strategic", ["patch", "cm", "lit", *n, "-p", '{"data":{"b":"x"}}']
    yield "patch merge null", ["patch", "cm", "lit", *n, "--type=merge", "-p", '{"data":{"b":null}}']
    yield "patch json add", ["patch", "cm", "lit", *n, "--type=json", "-p", '[{"op":"add","path":"/data/c","value":"v"}]']  # fmt: skip
    yield "patch json test fails", ["patch", "cm", "lit", *n, "--type=json", "-p", '[{"op":"test","path":"/data/a","value":"z"}]']  # fmt: skip
    yield "patch no change", ["patch", "cm", "lit", *n, "-p", '{"data":{"a":"b"}}']
    yield "patch nosuch", ["patch", "cm", "nosuch", *n, "-p", '{"data":{"a":"b"}}']
    yield "replace cm1", ["replace", *nv, "-f", str(d / "cm2.yaml")]
    yield "label", ["label", "deploy", "dep", "x=y", *n]
    yield "label no overwrite", ["label", "deploy", "dep", "x=z", *n]
    yield "label overwrite", ["label", "deploy", "dep", "x=z", "--overwrite", *n]
    yield "label remove", ["label", "deploy", "dep", "x-", *n]
    yield "annotate", ["annotate", "deploy", "dep", "a=b", *n]
    # scale / rollout
    yield "scale", ["scale", "deploy", "dep", "--replicas=3", *n]
    yield (
        "scale current-replicas mismatch",
        ["scale", "deploy", "dep", "--replicas=4", "--current-replicas=1", *n],
    )
    yield "scale nosuch", ["scale", "deploy", "nosuch", "--replicas=2", *n]
    yield "rollout history", ["rollout", "history", "deploy/dep", *n]
    yield "rollout status (no controller)", ["rollout", "status", "deploy/dep", *n, "--timeout=2s"]
    yield "rollout restart", ["rollout", "restart", "deploy/dep", *n]
    yield "set image", ["set", "image", "deploy/dep", "nginx=nginx:2", *n]
    # validation and bodies
    yield "pod without containers", ["create", *nv, "-f", str(d / "nocontainers.yaml")]
    yield "pod with many errors", ["create", *nv, "-f", str(d / "badpod.yaml")]
    for body in ("truncated.json", "array.json", "empty.json"):
        path = f"/api/v1/namespaces/{namespace}/configmaps"
        yield f"create --raw {body}", ["create", "--raw", path, "-f", str(d / body)]
    # pods and wait
    yield "create pod", ["create", *nv, "-f", str(d / "pod.yaml")]
    yield (
        "wait jsonpath",
        ["wait", "pod/p3", *n, "--for=jsonpath={.spec.containers[0].name}=c", "--timeout=5s"],
    )
    yield "wait condition (never)", ["wait", "pod/p3", *n, "--for=condition=Ready", "--timeout=2s"]
    yield "wait nosuch", ["wait", "pod/nosuch", *n, "--for=condition=Ready", "--timeout=2s"]
    # auth
    yield "auth can-i", ["auth", "can-i", "get", "pods", *n]
    yield "auth can-i --as", ["auth", "can-i", "get", "pods", *n, "--as=nobody"]
    yield "auth can-i nonresource --as", ["auth", "can-i", "get", "/api", "--as=nobody"]
    yield "auth whoami --as", ["auth", "whoami", "--as=bob", "--as-group=g1"]
    yield "auth whoami --as-uid", ["auth", "whoami", "--as=bob", "--as-uid=u-7", "-o", "json"]
    yield "auth can-i --list", ["auth", "can-i", "--list", *n]
    yield "auth can-i --list --as", ["auth", "can-i", "--list", *n, "--as=nobody"]
    yield "ssar empty spec", ["create", "--raw", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "-f", str(d / "ssar-empty.json")]  # fmt: skip
    # discovery
    yield "api-versions", ["api-versions"]
    yield "api-resources namespaced", ["api-resources", "--namespaced=true", "--api-group="]
    yield "explain pods.spec.containers.name", ["explain", "pods.spec.containers.name"]
    # deletes
    yield "delete -l", ["delete", "cm", "-l", "app=fid", *n]
    yield "delete nosuch", ["delete", "cm", "nosuch", *n]
    yield "delete --ignore-not-found", ["delete", "cm", "nosuch", "--ignore-not-found", *n]
    yield "delete pod --wait", ["delete", "pod", "p3", *n, "--wait=true", "--timeout=20s"]
    yield "wait --for=delete (gone)", ["wait", "pod/p3", *n, "--for=delete", "--timeout=2s"]
    yield "delete --all cm", ["delete", "cm", "--all", *n]
    yield "delete namespace", ["delete", "namespace", namespace, "--wait=false"]
