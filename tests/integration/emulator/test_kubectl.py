"""The real kubectl against the emulator: what kubectl users do must work as against kube-apiserver."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, Api, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: demo}}
spec:
  containers:
  - name: c
    image: busybox:1.36
    ports: [{{containerPort: 8080, name: web}}]
"""
LEASE = """apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: {name}}}
spec: {{holderIdentity: {holder}, leaseDurationSeconds: 10}}
"""
EVENT = """apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: kubectl-event}
eventTime: "2024-01-01T00:00:00.000000Z"
reportingController: kpy/test
reportingInstance: i1
action: Testing
reason: Tested
note: hello from kubectl
type: Normal
regarding: {kind: Pod, name: web, namespace: default}
"""


def k(emu: Any, *args: str, stdin: str | None = None) -> Any:
    return kubectl(*args, kubeconfig=emu.kubeconfig_path, stdin=stdin)


def test_kubectl_create_get_delete_pod(emu: Any, api: Api) -> None:
    """kubectl create validates on the server (fieldValidation via /openapi/v3) and gets 201."""
    res = k(emu, "create", "-f", "-", stdin=POD.format(name="kc-pod"))
    assert (res.code, res.out, res.err) == (0, "pod/kc-pod created\n", "")
    res = k(emu, "get", "pod", "kc-pod", "-o", "json")
    _code, stored = api.call("GET", "/api/v1/namespaces/default/pods/kc-pod")
    assert stored["metadata"].pop("managedFields")[0]["manager"] == "kubectl-create"  # kubectl hides them
    assert json.loads(res.out) == stored
    res = k(emu, "create", "-f", "-", stdin=POD.format(name="kc-pod"))
    assert (res.code, res.err) == (
        1,
        'Error from server (AlreadyExists): error when creating "STDIN": pods "kc-pod" already exists\n',
    )
    res = k(emu, "delete", "pod", "kc-pod")
    assert (res.code, res.out) == (0, 'pod "kc-pod" deleted\n')
    res = k(emu, "get", "pod", "kc-pod")
    assert (res.code, res.err) == (1, 'Error from server (NotFound): pods "kc-pod" not found\n')


def test_kubectl_apply_uses_last_applied_and_a_strategic_merge_patch(emu: Any, api: Api) -> None:
    """kubectl apply: create with the last-applied annotation, then PATCH (strategic merge) the diff; fields
    removed from the manifest are removed from the object, others (set elsewhere) are kept."""
    manifest = POD.format(name="applied")
    assert k(emu, "apply", "-f", "-", stdin=manifest).out == "pod/applied created\n"
    api.call(
        "PATCH",
        "/api/v1/namespaces/default/pods/applied",
        {"metadata": {"labels": {"extra": "kept"}}},
        "application/merge-patch+json",
    )
    assert k(emu, "apply", "-f", "-", stdin=manifest).out == "pod/applied unchanged\n"
    changed = manifest.replace("labels: {app: demo}", "labels: {tier: new}").replace(
        "busybox:1.36", "busybox:1.37"
    )
    res = k(emu, "apply", "-f", "-", stdin=changed)
    assert (res.code, res.out) == (0, "pod/applied configured\n"), res.err
    _, obj = api.call("GET", "/api/v1/namespaces/default/pods/applied")
    assert obj["metadata"]["labels"] == {"tier": "new", "extra": "kept"}
    assert obj["spec"]["containers"][0]["image"] == "busybox:1.37"
    assert obj["spec"]["containers"][0]["ports"] == [
        {"containerPort": 8080, "name": "web", "protocol": "TCP"}
    ]
    last = json.loads(obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["metadata"]["labels"] == {"tier": "new"}
    patches = [r for r in emu.emulator.requests if r.method == "PATCH" and r.path.endswith("/pods/applied")]
    assert patches[-1].headers["Content-Type"] == "application/strategic-merge-patch+json"


def test_kubectl_leases_apply_patch_and_conflicting_replace(emu: Any, tmp_path: Path) -> None:
    """kubectl replace sends the file's resourceVersion: a stale one is the apiserver's Conflict message."""
    assert k(emu, "apply", "-f", "-", stdin=LEASE.format(name="kl", holder="a")).code == 0
    res = k(emu, "patch", "lease", "kl", "--type=merge", "-p", '{"spec":{"holderIdentity":"b"}}')
    assert (res.code, res.out) == (0, "lease.coordination.k8s.io/kl patched\n")
    res = k(emu, "patch", "lease", "kl", "--type=merge", "-p", '{"spec":{"holderIdentity":"b"}}')
    assert res.out == "lease.coordination.k8s.io/kl patched (no change)\n"
    obj = json.loads(k(emu, "get", "lease", "kl", "-o", "json").out)
    assert obj["spec"]["holderIdentity"] == "b"
    stale = dict(obj, metadata={**obj["metadata"], "resourceVersion": "2"})
    path = tmp_path / "lease.json"
    path.write_text(json.dumps(stale))
    res = k(emu, "replace", "-f", str(path))
    assert res.code == 1
    assert res.err == (
        'Error from server (Conflict): error when replacing "' + str(path) + '": Operation cannot be '
        'fulfilled on leases.coordination.k8s.io "kl": the object has been modified; please apply '
        "your changes to the latest version and try again\n"
    )
    assert k(emu, "delete", "lease", "kl").out == 'lease.coordination.k8s.io "kl" deleted\n'


def test_kubectl_events_in_both_groups(emu: Any) -> None:
    """kubectl create of an events.k8s.io/v1 Event; kubectl get events (core/v1) shows it."""
    res = k(emu, "create", "-f", "-", stdin=EVENT)
    assert (res.code, res.out) == (0, "event.events.k8s.io/kubectl-event created\n"), res.err
    res = k(emu, "get", "events", "--field-selector", "reason=Tested", "-o", "jsonpath={.items[*].message}")
    assert res.out == "hello from kubectl"
    res = k(emu, "get", "events.v1.events.k8s.io", "kubectl-event", "-o", "jsonpath={.note}")
    assert res.out == "hello from kubectl"
    assert k(emu, "delete", "events.v1.events.k8s.io", "kubectl-event").code == 0


def test_kubectl_get_table_and_wide_and_all_namespaces(emu: Any) -> None:
    """Server-side Table: kubectl prints the columns the apiserver returns."""
    res = k(emu, "get", "pods", "-o", "wide")
    assert res.out.splitlines()[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    assert "web" in res.out and "Running" in res.out
    res = k(emu, "get", "pods", "-A", "--no-headers", "-o", "name")
    assert "pod/web\n" in res.out
    res = k(emu, "get", "pods", "--chunk-size=1", "-o", "name")
    assert res.code == 0 and "pod/worker" in res.out


class LineReader:
    """Reads a child's stdout line by line with a deadline (raw fd reads: no hidden buffering)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.proc, self.fd, self.buf = proc, proc.stdout.fileno(), b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)

    def lines(self, want: int, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while self.buf.count(b"\n") < want:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; got {self.buf!r}; exit {self.proc.poll()}"
            if self.sel.select(remaining):
                chunk = os.read(self.fd, 65536)
                assert chunk, f"kubectl exited early; got {self.buf!r}"
                self.buf += chunk
        *done, self.buf = self.buf.split(b"\n", want)
        return [line.decode() for line in done]


def _watch(emu: Any, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUBECONFIG": str(emu.kubeconfig_path)}
    assert KUBECTL is not None
    return subprocess.Popen(
        [KUBECTL, "get", *args, "-w"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )


def test_kubectl_get_watch_prints_the_list_then_changes(emu: Any, api: Api) -> None:
    """kubectl get -w: a Table list, then a Table watch from its resourceVersion."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "kwatch"}})
    proc = _watch(emu, "configmaps", "-n", "kwatch", "-o", "name")
    try:
        api.call("POST", "/api/v1/namespaces/kwatch/configmaps", {"metadata": {"name": "one"}})
        emu.run(emu.emulator.wait_for_watches(1))
        api.call("POST", "/api/v1/namespaces/kwatch/configmaps", {"metadata": {"name": "two"}})
        lines = LineReader(proc).lines(2)
        assert lines == ["configmap/one", "configmap/two"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_kubectl_get_watch_table_output(emu: Any, api: Api) -> None:
    """kubectl get -w with the default printer: header once, then one row per event."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "ktable"}})
    api.call(
        "POST", "/api/v1/namespaces/ktable/configmaps", {"metadata": {"name": "one"}, "data": {"a": "1"}}
    )
    proc = _watch(emu, "configmaps", "-n", "ktable")
    reader = LineReader(proc)
    try:
        first = reader.lines(2)
        emu.run(emu.emulator.wait_for_watches(1))
        api.call("POST", "/api/v1/namespaces/ktable/configmaps", {"metadata": {"name": "two"}})
        lines = first + reader.lines(1)
        assert [line.split()[:2] for line in lines] == [["NAME", "DATA"], ["one", "1"], ["two", "0"]]
    finally:
        proc.terminate()
        proc.wait(10)


def test_kubectl_reports_unauthorized(emu: Any, tmp_path: Path) -> None:
    """A wrong token: kubectl's own 'must be logged in' line for a 401 Status."""
    config = json.loads(Path(emu.kubeconfig_path).read_text())
    config["users"][0]["user"]["token"] = "wrong"
    path = tmp_path / "bad"
    path.write_text(json.dumps(config))
    res = kubectl("get", "pods", kubeconfig=path)
    assert res.code == 1
    assert "error: You must be logged in to the server (Unauthorized)" in res.err


def test_kubectl_with_client_certificate_kubeconfig(emu: Any, tmp_path: Path) -> None:
    """The cert-auth kubeconfig variant works with kubectl (and whoami reports the certificate's user)."""
    path = emu.emulator.write_kubeconfig(tmp_path / "cert", auth="cert")
    res = kubectl("get", "pods", "-o", "name", kubeconfig=path)
    assert (res.code, "pod/web" in res.out) == (0, True), res.err
