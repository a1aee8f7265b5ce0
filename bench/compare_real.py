"""Run the same commands with kubectl and kpy against whatever KUBECONFIG points at; report every difference.

Not a test (pytest does not collect bench/): it needs a cluster. Point it at a real kube-apiserver (for instance
the realk8s kit: ``source ~/.cache/kpy-realk8s/env``) or at ``kpy sandbox``, and it compares, case by case,
stdout, stderr and the exit code of ``kubectl ARGS`` and ``kpy ARGS``:

    python bench/compare_real.py                              # every section, current KUBECONFIG
    python bench/compare_real.py --only get --only errors     # some sections
    python bench/compare_real.py --kubectl /usr/lib/google-cloud-sdk/bin/kubectl.1.33 --kpy ./.venv/bin/kpy
    python bench/compare_real.py --save real.json             # keep every output ...
    python bench/compare_real.py --cross real.json emu.json   # ... and diff kubectl's answers on two servers

Sections: get, output, errors, forbidden, watch, events, portforward, exec, version, elect, raw (kubectl-only requests
whose answers are compared across servers with ``--cross``), fidelity (``--emulator-fidelity``: the kubectl
commands an SRE runs daily, kubectl-only, in a namespace of their own; listed in bench/_fidelity.py):

    python bench/compare_real.py --emulator-fidelity --save real.json     # KUBECONFIG: the real server
    python bench/compare_real.py --emulator-fidelity --save emu.json --kubeconfig /tmp/kpy-emulator-.../kubeconfig
    python bench/compare_real.py --cross real.json emu.json ``forbidden`` uses ``--forbidden-kubeconfig``
(default: ``kubeconfig-nobody`` and ``kubeconfig-restricted`` next to KUBECONFIG, when present: the realk8s kit
writes both, the emulator and ``kpy sandbox`` write ``kubeconfig-nobody``).

The script writes to the cluster unless ``--read-only``: it creates events named ``kpy-compare.*`` and a Lease
``kpy-compare`` in the namespace it compares in, and annotates the pod it watches.

Normalisation (applied to both sides, listed in the report header): the program name in "See 'kpy get -h'",
local port-forward ports and klog headers, (version only) the client's own version, and ages: a line whose
only differences are ages ("5m3s") no further apart than the time between the two runs counts as equal.
Exit codes of processes ended by a signal are shown as the shell shows them (128+N). Exit status: 0 when
everything matched, 1 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

SECTIONS = (
    "get",
    "output",
    "errors",
    "forbidden",
    "watch",
    "events",
    "portforward",
    "exec",
    "version",
    "elect",
    "raw",
    "fidelity",
)
Normalizer = Callable[[str], str]
MAX_DIFF_LINES = 40
MAX_LINE = 240


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Outcome:
    section: str
    name: str
    kubectl_argv: list[str]
    kpy_argv: list[str]
    kubectl: Result
    kpy: Result | None  # None: a kubectl-only request (section raw)
    notes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        if self.kpy is None:
            return True
        k, p = self.kubectl, self.kpy
        return (
            k.code == p.code
            and same_but_ages(k.out, p.out)
            and same_but_ages(k.err, p.err)
            and not self.notes
        )


@dataclass
class Env:
    kubectl: str
    kpy: str
    kubeconfig: str
    namespace: str
    pod: str
    service: str
    deployment: str
    pending_pod: str
    forbidden: list[str]
    writes: bool
    watch_seconds: float
    timeout: float


def _shell_code(code: int) -> int:
    return 128 - code if code < 0 else code


def run(argv: Sequence[str], *, kubeconfig: str, timeout: float, stdin: str | None = None) -> Result:
    env = dict(os.environ, KUBECONFIG=kubeconfig)
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Result(-1, out, err + f"\n[compare: timed out after {timeout:g}s]")
    return Result(_shell_code(proc.returncode), proc.stdout, proc.stderr)


# ---------------------------------------------------------------------------------------------------------
# Normalisation

#: How far apart (seconds) two runs of the same command may be: ages may differ by that much.
AGE_SLACK = 15.0
_AGE = re.compile(r"^\(?(?:x\d+ over )?(\d+[smhdy])(\d+[smhd])?\)?$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}


def _age_range(token: str) -> tuple[float, float] | None:
    """The span of true ages a ``duration.HumanDuration`` text such as "5m3s" or "2d4h" stands for."""
    m = _AGE.match(token)
    if not m:
        return None
    lo = 0.0
    last = 1
    for part in m.groups():
        if part:
            last = _UNIT[part[-1]]
            lo += int(part[:-1]) * last
    return lo, lo + last


def same_but_ages(a: str, b: str) -> bool:
    """Equal, or equal line by line except for ages that differ by no more than the time between two runs
    (whitespace may then differ too: a column is as wide as its widest age)."""
    if a == b:
        return True
    la, lb = a.splitlines(), b.splitlines()
    if len(la) != len(lb):
        return False
    for x, y in zip(la, lb, strict=True):
        if x == y:
            continue
        tx, ty = x.split(), y.split()
        if len(tx) != len(ty):
            return False
        for u, v in zip(tx, ty, strict=True):
            if u == v:
                continue
            ru, rv = _age_range(u.rstrip(")")), _age_range(v.rstrip(")"))
            if ru is None or rv is None or ru[0] > rv[1] + AGE_SLACK or rv[0] > ru[1] + AGE_SLACK:
                return False
    return True


_SEE_HELP = re.compile(r"See '(?:kubectl kpy|kpy) ")


def norm_program(text: str) -> str:
    """kpy names itself where kubectl does ("See 'kpy get -h' ..."): compare the rest."""
    return _SEE_HELP.sub("See 'kubectl ", text)


_KLOG = re.compile(r"(?m)^([EWI])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ")


def norm_klog(text: str) -> str:
    """klog's header (date, time, pid) differs on every run."""
    return _KLOG.sub(r"\1MMDD hh:mm:ss.uuuuuu PID ", text)


def norm_ports(text: str) -> str:
    text = re.sub(r"(127\.0\.0\.1|\[::1\]):\d+", r"\1:PORT", text)
    return re.sub(r"Handling connection for \d+", "Handling connection for PORT", text)


def norm_version_text(text: str) -> str:
    text = re.sub(r"(?m)^Client Version: .*$", "Client Version: <client>", text)
    return re.sub(r"(?m)^Kustomize Version: .*\n", "", text)


def norm_version_json(text: str) -> str:
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    if isinstance(doc, dict):
        if isinstance(doc.get("clientVersion"), dict):
            doc["clientVersion"] = dict.fromkeys(doc["clientVersion"], "<client>")
        doc.pop("kustomizeVersion", None)
    return json.dumps(doc, indent=2) + "\n"


def apply(norms: Sequence[Normalizer], res: Result) -> Result:
    out, err = res.out, res.err
    for n in norms:
        out, err = n(out), n(err)
    return Result(res.code, out, err)


# ---------------------------------------------------------------------------------------------------------
# Cases


@dataclass
class Case:
    section: str
    name: str
    args: list[str]  # shared by both tools ...
    kpy_args: list[str] | None = None  # ... unless kpy's command differs
    kubeconfig: str | None = None
    norms: tuple[Normalizer, ...] = ()
    kubectl_only: bool = False
    stdin: str | None = None


def get_cases(e: Env) -> Iterator[Case]:
    ns = ["-n", e.namespace]
    types = [
        "pods",
        "services",
        "deployments",
        "replicasets",
        "nodes",
        "namespaces",
        "configmaps",
        "secrets",
        "serviceaccounts",
        "endpoints",
        "endpointslices",
        "leases",
        "events",
        "events.events.k8s.io",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "ingresses",
        "persistentvolumeclaims",
        "roles",
        "rolebindings",
        "clusterrolebindings",
        "priorityclasses",
        "customresourcedefinitions",
        "widgets",
        "apiservices",
        "certificatesigningrequests",
    ]
    for t in types:
        yield Case("get", f"table {t}", ["get", t, *ns])
    for t in ("pods", "services", "deployments", "nodes", "leases", "events", "widgets"):
        yield Case("get", f"wide {t}", ["get", t, *ns, "-o", "wide"])
    yield Case("get", "pods -A", ["get", "pods", "-A"])
    yield Case("get", "pods -A wide", ["get", "pods", "-A", "-o", "wide"])
    yield Case("get", "configmaps -A", ["get", "configmaps", "-A"])
    yield Case("get", "pods,services,deployments", ["get", "pods,services,deployments", *ns])
    yield Case("get", "pod/NAME svc/NAME", ["get", f"pod/{e.pod}", f"svc/{e.service}", *ns])
    yield Case("get", "pod NAME", ["get", "pod", e.pod, *ns])
    yield Case("get", "-l app=web", ["get", "pods", *ns, "-l", "app=web"])
    yield Case("get", "-l set-based", ["get", "pods", *ns, "-l", "app in (web,worker),!nosuch"])
    yield Case("get", "--field-selector phase", ["get", "pods", *ns, "--field-selector=status.phase=Running"])
    yield Case(
        "get", "--field-selector name", ["get", "pods", *ns, f"--field-selector=metadata.name={e.pod}"]
    )
    yield Case("get", "-L app", ["get", "pods", *ns, "-L", "app", "-L", "pod-template-hash"])
    yield Case("get", "--show-labels", ["get", "pods", *ns, "--show-labels"])
    yield Case("get", "--no-headers", ["get", "pods", *ns, "--no-headers"])
    yield Case("get", "--chunk-size=1", ["get", "pods", "-A", "--chunk-size=1"])
    yield Case("get", "no resources (table)", ["get", "pods", *ns, "-l", "app=nosuch"])
    yield Case("get", "no resources -A", ["get", "pods", "-A", "-l", "app=nosuch"])
    yield Case("get", "no resources (cluster)", ["get", "nodes", "-l", "nosuch=1"])


def output_cases(e: Env) -> Iterator[Case]:
    ns = ["-n", e.namespace]
    for fmt in ("json", "yaml", "name"):
        yield Case("output", f"pods -o {fmt}", ["get", "pods", *ns, "-o", fmt])
        yield Case("output", f"pod NAME -o {fmt}", ["get", "pod", e.pod, *ns, "-o", fmt])
        yield Case("output", f"pods,svc -o {fmt}", ["get", "pods,svc", *ns, "-o", fmt])
        yield Case("output", f"no resources -o {fmt}", ["get", "pods", *ns, "-l", "app=nosuch", "-o", fmt])
    yield Case("output", "nodes -o yaml", ["get", "nodes", "-o", "yaml"])
    yield Case("output", "deploy NAME -o yaml", ["get", "deploy", e.deployment, *ns, "-o", "yaml"])
    yield Case("output", "widgets -o yaml", ["get", "widgets", "-A", "-o", "yaml"])
    yield Case(
        "output",
        "-o json --show-managed-fields",
        ["get", "pod", e.pod, *ns, "-o", "json", "--show-managed-fields"],
    )
    templates = [
        "{.metadata.name}",
        "{.items[*].metadata.name}",
        "{range .items[*]}{.metadata.name}{'\\t'}{.status.phase}{'\\n'}{end}",
        "{.items[?(@.status.phase=='Running')].metadata.name}",
        "{.items[0].spec.containers[*].image}",
        "{.items[*].metadata.labels}",
        "{.items[0].metadata}",
        "{.items[*].status.podIP}",
        "{.items[-1:].metadata.name}",
        "{$.kind}",
        "{.items[*].metadata.annotations.nosuch}",
    ]
    for i, t in enumerate(templates):
        target = ["pod", e.pod] if t == "{.metadata.name}" else ["pods"]
        yield Case("output", f"jsonpath {i}: {t}", ["get", *target, *ns, "-o", f"jsonpath={t}"])
    yield Case(
        "output",
        "jsonpath missing key strict",
        ["get", "pods", *ns, "-o", "jsonpath={.nosuch}", "--allow-missing-template-keys=false"],
    )
    yield Case("output", "jsonpath parse error", ["get", "pods", *ns, "-o", "jsonpath={.items[*}"])
    yield Case(
        "output", "jsonpath no resources", ["get", "pods", *ns, "-l", "app=nosuch", "-o", "jsonpath={.items}"]
    )
    yield Case(
        "output", "jsonpath-as-json", ["get", "pods", *ns, "-o", "jsonpath-as-json={.items[*].metadata.name}"]
    )
    cc = "NAME:.metadata.name,PHASE:.status.phase,IMAGE:.spec.containers[*].image,NODE:.spec.nodeName"
    yield Case("output", "custom-columns", ["get", "pods", *ns, "-o", f"custom-columns={cc}"])
    yield Case(
        "output",
        "custom-columns -A",
        ["get", "pods", "-A", "-o", "custom-columns=NS:.metadata.namespace,NAME:.metadata.name"],
    )
    yield Case(
        "output",
        "custom-columns no resources",
        ["get", "pods", *ns, "-l", "app=nosuch", "-o", f"custom-columns={cc}"],
    )
    yield Case("output", "custom-columns bad spec", ["get", "pods", *ns, "-o", "custom-columns=NAME"])
    yield Case(
        "output",
        "custom-columns --no-headers",
        ["get", "pods", *ns, "--no-headers", "-o", "custom-columns=NAME:.metadata.name"],
    )
    yield Case("output", "unknown -o", ["get", "pods", *ns, "-o", "bogus"])


def error_cases(e: Env) -> Iterator[Case]:
    ns = ["-n", e.namespace]
    yield Case("errors", "NotFound pod", ["get", "pod", "nosuch", *ns])
    yield Case("errors", "NotFound two pods", ["get", "pod", "nosuch", "nosuch2", *ns])
    yield Case("errors", "NotFound + found", ["get", "pod", "nosuch", e.pod, *ns])
    yield Case("errors", "NotFound svc + found pod", ["get", "svc/nosuch", f"pod/{e.pod}", *ns])
    yield Case("errors", "NotFound -o json", ["get", "pod", "nosuch", *ns, "-o", "json"])
    yield Case("errors", "NotFound node", ["get", "node", "nosuch"])
    yield Case("errors", "NotFound lease", ["get", "lease", "nosuch", *ns])
    yield Case("errors", "NotFound CRD object", ["get", "widget", "nosuch", *ns])
    yield Case("errors", "namespace nosuch", ["get", "pods", "-n", "nosuchns"])
    yield Case("errors", "pod NAME -A", ["get", "pod", e.pod, "-A"])
    yield Case("errors", "unknown type", ["get", "foos"])
    yield Case("errors", "unknown type.group", ["get", "foos.example.com"])
    yield Case("errors", "unknown type among known", ["get", "pods,foos", *ns])
    yield Case("errors", "bad label selector", ["get", "pods", *ns, "-l", "a b"])
    yield Case("errors", "bad label selector op", ["get", "pods", *ns, "-l", "app=="])
    yield Case("errors", "unsupported field selector", ["get", "pods", *ns, "--field-selector=spec.bogus=x"])
    yield Case("errors", "bad field selector syntax", ["get", "pods", *ns, "--field-selector=a"])
    yield Case("errors", "no type", ["get"])
    yield Case("errors", "unknown flag", ["get", "pods", "--bogus"])
    yield Case("errors", "name with -l", ["get", "pod", e.pod, *ns, "-l", "app=web"])
    yield Case("errors", "request timeout", ["get", "pods", *ns, "--request-timeout=1ms"])


def forbidden_cases(e: Env) -> Iterator[Case]:
    for kc in e.forbidden:
        who = Path(kc).name
        ns = ["-n", e.namespace]
        for name, args in (
            ("pods", ["get", "pods", *ns]),
            ("pod NAME", ["get", "pod", e.pod, *ns]),
            ("pods,svc", ["get", "pods,svc", *ns]),
            ("pods -o json", ["get", "pods", *ns, "-o", "json"]),
            ("pods -o name", ["get", "pods", *ns, "-o", "name"]),
            ("pods -A", ["get", "pods", "-A"]),
            ("nodes", ["get", "nodes"]),
            ("widgets", ["get", "widgets", *ns]),
            ("leases NAME", ["get", "lease", "kpy-compare", *ns]),
        ):
            yield Case("forbidden", f"{who}: {name}", args, kubeconfig=kc)
        yield Case(
            "forbidden",
            f"{who}: events",
            ["events", *ns],
            ["events", "tail", "--no-watch", *ns],
            kubeconfig=kc,
        )
        yield Case(
            "forbidden",
            f"{who}: elect status",
            ["get", "lease", "kpy-compare", *ns],
            ["elect", "status", "--lease", "kpy-compare", *ns],
            kubeconfig=kc,
        )
        yield Case("forbidden", f"{who}: version", ["version"], norms=(norm_version_text,), kubeconfig=kc)


def events_cases(e: Env) -> Iterator[Case]:
    ns = ["-n", e.namespace]
    tail = ["events", "tail", "--no-watch", *ns]
    yield Case("events", "table", ["events", *ns], tail)
    yield Case("events", "-A", ["events", "-A"], ["events", "tail", "--no-watch", "-A"])
    yield Case("events", "-n before tail", ["events", *ns], ["events", *ns, "tail", "--no-watch"])
    yield Case("events", "-o wide", ["events", *ns, "-o", "wide"], [*tail, "-o", "wide"])
    yield Case("events", "-o json", ["events", *ns, "-o", "json"], [*tail, "-o", "json"])
    yield Case("events", "-o yaml", ["events", *ns, "-o", "yaml"], [*tail, "-o", "yaml"])
    yield Case("events", "-o name", ["events", *ns, "-o", "name"], [*tail, "-o", "name"])
    yield Case(
        "events", "--for pod", ["events", *ns, "--for", f"pod/{e.pod}"], [*tail, "--for", f"pod/{e.pod}"]
    )
    yield Case(
        "events", "--types Warning", ["events", *ns, "--types", "Warning"], [*tail, "--types", "Warning"]
    )
    yield Case("events", "--no-headers", ["events", *ns, "--no-headers"], [*tail, "--no-headers"])
    yield Case(
        "events",
        "-n nosuchns",
        ["events", "-n", "nosuchns"],
        ["events", "tail", "--no-watch", "-n", "nosuchns"],
    )
    yield Case(
        "events", "--for nosuch", ["events", *ns, "--for", "pod/nosuch"], [*tail, "--for", "pod/nosuch"]
    )
    yield Case("events", "--for bad kind", ["events", *ns, "--for", "foo/x"], [*tail, "--for", "foo/x"])
    yield Case("events", "--types bad", ["events", *ns, "--types", "Bogus"], [*tail, "--types", "Bogus"])


def version_cases(e: Env) -> Iterator[Case]:
    yield Case("version", "text", ["version"], norms=(norm_version_text,))
    yield Case("version", "-o json", ["version", "-o", "json"], norms=(norm_version_json,))
    yield Case("version", "-o yaml", ["version", "-o", "yaml"], norms=(_yaml_version,))
    yield Case(
        "version", "--client -o json", ["version", "--client", "-o", "json"], norms=(norm_version_json,)
    )
    yield Case("version", "-o bogus", ["version", "-o", "bogus"])


def _yaml_version(text: str) -> str:
    try:
        import yaml

        doc = yaml.safe_load(text)
    except Exception:
        return text
    return norm_version_json(json.dumps(doc)) if isinstance(doc, dict) and "clientVersion" in doc else text


def _head(text: str) -> str:
    """The start of a large document (OpenAPI): whether it is served, and in which shape."""
    return text[:300] + (f"... [{len(text)} chars]" if len(text) > 300 else "")


def raw_cases(e: Env) -> Iterator[Case]:
    """kubectl-only requests: compared across servers with --cross (the emulator against the real one)."""
    ns = e.namespace
    for path in (
        "/version",
        "/api",
        "/apis",
        "/api/v1",
        "/apis/apps",
        "/apis/apps/v1",
        "/apis/coordination.k8s.io/v1",
        "/apis/events.k8s.io/v1",
        "/openapi/v2?timeout=32s",
        "/openapi/v3",
        "/apis/nosuch.example.com/v1",
        "/api/v2",
        "/nosuch",
        f"/api/v1/namespaces/{ns}/pods/nosuch",
        f"/api/v1/namespaces/{ns}/foos",
        f"/api/v1/namespaces/{ns}/pods?labelSelector=a+b",
        f"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.bogus%3Dx",
        f"/api/v1/namespaces/{ns}/pods?fieldSelector=a",
        f"/api/v1/namespaces/{ns}/pods?limit=1&continue=bogus",
        f"/api/v1/namespaces/{ns}/pods?resourceVersion=1&resourceVersionMatch=Exact",
        f"/apis/apps/v1/namespaces/{ns}/deployments/nosuch/scale",
        f"/api/v1/namespaces/{ns}/pods/{e.pod}/nosuch",
        "/api/v1/nodes/nosuch",
        "/apis/coordination.k8s.io/v1/namespaces/nosuchns/leases/x",
        "/apis/certificates.k8s.io/v1",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/nosuch",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests?fieldSelector=spec.signerName%3Dexample.com%2Fnone",
    ):
        norms = (_head,) if path.startswith("/openapi") else ()
        yield Case("raw", f"GET {path}", ["get", "--raw", path], norms=norms, kubectl_only=True)
    for kc in e.forbidden:
        yield Case(
            "raw",
            f"{Path(kc).name}: GET pods",
            ["get", "--raw", f"/api/v1/namespaces/{ns}/pods"],
            kubeconfig=kc,
            kubectl_only=True,
        )
        yield Case(
            "raw",
            f"{Path(kc).name}: GET nodes/x",
            ["get", "--raw", "/api/v1/nodes/x"],
            kubeconfig=kc,
            kubectl_only=True,
        )


def fidelity_cases(e: Env) -> Iterator[Case]:
    """kubectl-only: compared across servers with --cross (bench/_fidelity.py lists them)."""
    from _fidelity import NAMESPACE, commands, norm_fidelity, write_manifests

    write_manifests()
    for name, args in commands(e.namespace if e.namespace != "default" else NAMESPACE):
        yield Case("fidelity", name, args, norms=(norm_klog, norm_fidelity), kubectl_only=True)


def run_case(e: Env, c: Case) -> Outcome:
    kc = c.kubeconfig or e.kubeconfig
    k_argv = [e.kubectl, *c.args]
    k = apply(c.norms, run(k_argv, kubeconfig=kc, timeout=e.timeout, stdin=c.stdin))
    if c.kubectl_only:
        return Outcome(c.section, c.name, k_argv, [], k, None)
    p_argv = [e.kpy, *(c.kpy_args if c.kpy_args is not None else c.args)]
    p = apply((norm_program, *c.norms), run(p_argv, kubeconfig=kc, timeout=e.timeout, stdin=c.stdin))
    return Outcome(c.section, c.name, k_argv, p_argv, k, p)


def exec_cases(e: Env) -> Iterator[Case]:
    """kpy exec (stdout, stderr, exit codes, stdin close, targets, messages)."""
    ns, pod = ["-n", e.namespace], e.pod
    yield Case(
        "exec",
        "stdout + stderr + exit 3",
        ["exec", *ns, pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3"],
    )
    for code in ("0", "1", "42"):
        yield Case("exec", f"exit {code}", ["exec", *ns, pod, "--", "sh", "-c", f"exit {code}"])
    yield Case("exec", "killed (137)", ["exec", *ns, pod, "--", "sh", "-c", "kill -9 $$"])
    yield Case("exec", "stdin closed at EOF", ["exec", "-i", *ns, pod, "--", "wc", "-c"], stdin="abc")
    yield Case("exec", "stdin cat", ["exec", "-i", *ns, pod, "--", "cat"], stdin="line 1\nline 2\n")
    yield Case("exec", "pod/NAME", ["exec", *ns, f"pod/{pod}", "--", "echo", "hi"])
    yield Case("exec", "deploy/NAME", ["exec", *ns, f"deploy/{e.deployment}", "--", "echo", "hi"])
    yield Case("exec", "no such command", ["exec", *ns, pod, "--", "no-such-command-x"])
    yield Case("exec", "no command", ["exec", *ns, pod])
    yield Case("exec", "no --", ["exec", *ns, pod, "echo", "hi"])
    yield Case("exec", "no such pod", ["exec", *ns, "nosuch", "--", "true"])
    yield Case("exec", "no such container", ["exec", *ns, pod, "-c", "zzz", "--", "true"])
    yield Case("exec", "-t without -i", ["exec", "-t", *ns, pod, "--", "true"])
    yield Case("exec", "-it without a terminal", ["exec", "-it", *ns, pod, "--", "true"])
    yield Case("exec", "cp: source and destination", ["cp", "x"])
    yield Case("exec", "cp: both remote", ["cp", f"{pod}:/a", f"{pod}:/b"])
    yield Case("exec", "cp: no such pod", ["cp", *ns, "nosuch:/a", "/tmp/kpy-compare-cp"])


# ---------------------------------------------------------------------------------------------------------
# Long-running commands: watch and port-forward


class Proc:
    """A child whose stdout/stderr are collected while it runs; stopped with a signal."""

    def __init__(self, argv: Sequence[str], kubeconfig: str) -> None:
        self.argv = list(argv)
        self.p = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ, KUBECONFIG=kubeconfig),
        )
        self.out = b""
        self.err = b""
        self.sel = selectors.DefaultSelector()
        assert self.p.stdout is not None and self.p.stderr is not None
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.sel.register(self.p.stdout, selectors.EVENT_READ, "out")
        self.sel.register(self.p.stderr, selectors.EVENT_READ, "err")

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.sel.get_map() and (left := end - time.monotonic()) > 0:
            for key, _ in self.sel.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    self.sel.unregister(key.fileobj)
                elif key.data == "out":
                    self.out += data
                else:
                    self.err += data

    def wait_for(self, pred: Callable[[str], bool], deadline: float) -> bool:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if pred(self.out.decode(errors="replace")):
                return True
            if self.p.poll() is not None:
                self.pump(0.2)
                return pred(self.out.decode(errors="replace"))
            self.pump(0.1)
        return False

    def stop(self, sig: int = signal.SIGTERM, grace: float = 5.0) -> Result:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        end = time.monotonic() + grace
        while self.p.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.pump(0.5)
        self.sel.close()
        return Result(
            _shell_code(self.p.returncode),
            self.out.decode(errors="replace"),
            self.err.decode(errors="replace"),
        )


def _annotate(e: Env, value: str) -> None:
    run(
        [e.kubectl, "annotate", "--overwrite", "-n", e.namespace, "pod", e.pod, f"kpy-compare={value}"],
        kubeconfig=e.kubeconfig,
        timeout=e.timeout,
    )


def watch_outcomes(e: Env) -> Iterator[Outcome]:
    ns = ["-n", e.namespace]
    variants = [
        ("pods -w", ["get", "pods", *ns, "-w"]),
        ("pod NAME -w", ["get", "pod", e.pod, *ns, "-w"]),
        ("pods -w -o name", ["get", "pods", *ns, "-w", "-o", "name"]),
        ("pods -w -o json", ["get", "pods", *ns, "-w", "-o", "json"]),
        ("pods -w -o jsonpath", ["get", "pods", *ns, "-w", "-o", "jsonpath={.metadata.name}{'\\n'}"]),
        ("pods --watch-only", ["get", "pods", *ns, "--watch-only"]),
        ("pods -w --output-watch-events", ["get", "pods", *ns, "-w", "--output-watch-events"]),
        ("pods -w -l nosuch", ["get", "pods", *ns, "-w", "-l", "app=nosuch"]),
        ("pods -w -A", ["get", "pods", "-A", "-w"]),
        ("leases -w (empty ns)", ["get", "leases", "-n", "kube-public", "-w"]),
        ("pod nosuch -w", ["get", "pod", "nosuch", *ns, "-w"]),
    ]
    for i, (name, args) in enumerate(variants):
        results: list[Result] = []
        argvs = ([e.kubectl, *args], [e.kpy, *args])
        notes: list[str] = []
        procs = [Proc(argv, e.kubeconfig) for argv in argvs]
        # Let both print the initial state (or fail), then change the pod once and wait for the update.
        for p in procs:
            p.pump(min(e.watch_seconds, 3.0))
        if e.writes:
            before = [len(p.out) for p in procs]
            _annotate(e, f"{os.getpid()}-{i}")
            for p, n in zip(procs, before, strict=True):
                if (
                    "nosuch" not in name
                    and "empty" not in name
                    and not p.wait_for(lambda s, n=n: len(s.encode()) > n, e.watch_seconds)
                ):
                    notes.append(
                        f"{Path(p.argv[0]).name}: printed nothing for the update within {e.watch_seconds:g}s"
                    )
        for p in procs:
            p.pump(0.5)
        results = [apply((norm_program,), p.stop(signal.SIGINT)) for p in procs]
        yield Outcome("watch", name, argvs[0], argvs[1], results[0], results[1], notes)


def _http_get(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            return f"HTTP {resp.status} {len(resp.read())} bytes"
    except Exception as exc:
        return f"GET failed: {type(exc).__name__}: {exc}"


_FWD = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")


def portforward_outcomes(e: Env) -> Iterator[Outcome]:
    ns = ["-n", e.namespace]
    pend_ns, _, pend_name = e.pending_pod.rpartition("/")
    variants: list[tuple[str, list[str], bool]] = [
        ("pod :80 + GET", ["port-forward", *ns, f"pod/{e.pod}", ":80"], True),
        ("pod name (no kind) :80 + GET", ["port-forward", *ns, e.pod, ":80"], True),
        ("svc :80 + GET", ["port-forward", *ns, f"svc/{e.service}", ":80"], True),
        ("deploy :80 + GET", ["port-forward", *ns, f"deploy/{e.deployment}", ":80"], True),
        ("two ports", ["port-forward", *ns, f"pod/{e.pod}", ":80", ":8080"], False),
        (
            "--address localhost",
            ["port-forward", *ns, "--address", "localhost", f"pod/{e.pod}", ":80"],
            False,
        ),
        ("--address 127.0.0.1", ["port-forward", *ns, "--address", "127.0.0.1", f"pod/{e.pod}", ":80"], True),
        ("closed pod port + GET", ["port-forward", *ns, f"pod/{e.pod}", ":8080"], True),
        ("pod nosuch", ["port-forward", *ns, "pod/nosuch", ":80"], False),
        ("pending pod", ["port-forward", "-n", pend_ns or e.namespace, f"pod/{pend_name}", ":80"], False),
        ("svc port not found", ["port-forward", *ns, f"svc/{e.service}", ":9999"], False),
        ("no ports", ["port-forward", *ns, f"pod/{e.pod}"], False),
        ("no args", ["port-forward"], False),
        ("bad port", ["port-forward", *ns, f"pod/{e.pod}", "abc"], False),
        ("unknown kind", ["port-forward", *ns, "foo/x", ":80"], False),
    ]
    for name, args, do_get in variants:
        argvs = ([e.kubectl, *args], [e.kpy, *args])
        notes: list[str] = []
        results: list[Result] = []
        gets: list[str] = []
        for argv in argvs:
            p = Proc(argv, e.kubeconfig)
            started = p.wait_for(lambda s: "Forwarding from" in s, e.timeout)
            got = ""
            if started and do_get:
                m = _FWD.search(p.out.decode())
                if m:
                    got = _http_get(int(m.group(1)))
                    p.wait_for(lambda s: "Handling connection" in s, 5.0)
                    p.pump(1.0)  # an error after the connection (closed port) arrives a moment later
            gets.append(got)
            results.append(apply((norm_program, norm_ports, norm_klog), p.stop(signal.SIGTERM)))
        if gets[0] != gets[1]:
            notes.append(f"GET through the forward: kubectl {gets[0]!r}, kpy {gets[1]!r}")
        elif gets[0]:
            notes_ok = f"GET through both: {gets[0]}"
            results[0].out += f"[compare: {notes_ok}]\n"
            results[1].out += f"[compare: {notes_ok}]\n"
        yield Outcome("portforward", name, argvs[0], argvs[1], results[0], results[1], notes)


def _first_lease(e: Env) -> str | None:
    r = run(
        [e.kubectl, "get", "leases", "-n", e.namespace, "-o", "jsonpath={.items[*].metadata.name}"],
        kubeconfig=e.kubeconfig,
        timeout=e.timeout,
    )
    names = r.out.split()
    return "kpy-compare" if "kpy-compare" in names else (names[0] if names else None)


def elect_outcomes(e: Env) -> Iterator[Outcome]:
    """No kubectl command shows a Lease the way ``kpy elect status`` does: compare the facts instead."""
    lease = _first_lease(e)
    if lease is None:
        return
    ns = ["-n", e.namespace]
    k_argv = [e.kubectl, "get", "lease", lease, *ns, "-o", "json"]
    p_argv = [e.kpy, "elect", "status", "--lease", lease, *ns, "-o", "json"]
    k = run(k_argv, kubeconfig=e.kubeconfig, timeout=e.timeout)
    p = run(p_argv, kubeconfig=e.kubeconfig, timeout=e.timeout)
    notes: list[str] = []
    try:
        spec = json.loads(k.out).get("spec", {})
        st = json.loads(p.out)
        flat = json.dumps(st)
        for key in ("holderIdentity", "leaseTransitions", "leaseDurationSeconds"):
            if key in spec and json.dumps(spec[key]) not in flat:
                notes.append(f"kpy elect status -o json lacks spec.{key}={spec[key]!r}")
    except ValueError as exc:
        notes.append(f"unparsable output: {exc}")
    yield Outcome(
        "elect",
        f"status -o json ({lease})",
        k_argv,
        p_argv,
        Result(k.code, "", k.err),
        Result(p.code, "", p.err),
        notes,
    )
    p_text = run(
        [e.kpy, "elect", "status", "--lease", lease, *ns], kubeconfig=e.kubeconfig, timeout=e.timeout
    )
    yield Outcome(
        "elect",
        f"status text ({lease}) [kpy only]",
        [],
        [e.kpy, "elect", "status", "--lease", lease],
        p_text,
        None,
    )
    for name, args, kargs in (
        (
            "status nosuch lease",
            ["elect", "status", "--lease", "nosuch", *ns],
            ["get", "lease", "nosuch", *ns],
        ),
        (
            "status in nosuch namespace",
            ["elect", "status", "--lease", "x", "-n", "nosuchns"],
            ["get", "lease", "x", "-n", "nosuchns"],
        ),
    ):
        k = run([e.kubectl, *kargs], kubeconfig=e.kubeconfig, timeout=e.timeout)
        p = run([e.kpy, *args], kubeconfig=e.kubeconfig, timeout=e.timeout)
        yield Outcome("elect", name, [e.kubectl, *kargs], [e.kpy, *args], k, apply((norm_program,), p))
    for name, args in (
        ("no --lease", ["elect", "status"]),
        ("--lease before status", ["elect", "--lease", lease, *ns, "status"]),
    ):
        p = run([e.kpy, *args], kubeconfig=e.kubeconfig, timeout=e.timeout)
        yield Outcome("elect", f"{name} [kpy only]", [], [e.kpy, *args], p, None)


# ---------------------------------------------------------------------------------------------------------
# Fixtures the script creates (unless --read-only)

_EVENTS = """\
apiVersion: v1
kind: Event
metadata: {{name: kpy-compare.core, namespace: {ns}}}
involvedObject: {{kind: Pod, name: {pod}, namespace: {ns}, apiVersion: v1}}
reason: Pulled
message: Container image "nginx:1.27" already present on machine
type: Normal
source: {{component: kubelet, host: node-1}}
firstTimestamp: "2026-01-02T03:04:05Z"
lastTimestamp: "2026-01-02T03:04:05Z"
count: 3
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {{name: kpy-compare.series, namespace: {ns}}}
regarding: {{kind: Deployment, name: {deploy}, namespace: {ns}, apiVersion: apps/v1}}
reason: ScalingReplicaSet
note: Scaled up replica set web-abc to 1
type: Normal
action: Scaling
reportingController: deployment-controller
reportingInstance: kcm
eventTime: "2026-01-02T03:04:05.000000Z"
series: {{count: 4, lastObservedTime: "2026-01-02T03:04:06.000000Z"}}
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {{name: kpy-compare.warning, namespace: {ns}}}
regarding: {{kind: Pod, name: {pod}, namespace: {ns}, apiVersion: v1}}
reason: BackOff
note: Back-off restarting failed container
type: Warning
action: Restarting
reportingController: kubelet
reportingInstance: node-1
eventTime: "2026-01-02T03:04:07.000000Z"
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: kpy-compare, namespace: {ns}}}
spec: {{holderIdentity: compare-holder, leaseDurationSeconds: 15, leaseTransitions: 2,
  acquireTime: "2026-01-02T03:04:05.000000Z", renewTime: "2026-01-02T03:04:05.000000Z"}}
"""


def create_fixtures(e: Env) -> str:
    text = _EVENTS.format(ns=e.namespace, pod=e.pod, deploy=e.deployment)
    r = run(
        [e.kubectl, "apply", "--validate=false", "-f", "-"],
        kubeconfig=e.kubeconfig,
        timeout=e.timeout,
        stdin=text,
    )
    return (r.out + r.err).strip()


# ---------------------------------------------------------------------------------------------------------
# Report


def _diff(label: str, a: str, b: str, names: tuple[str, str]) -> list[str]:
    if a == b:
        return []
    lines = list(
        difflib.unified_diff(
            a.splitlines(keepends=True),
            b.splitlines(keepends=True),
            f"{names[0]} {label}",
            f"{names[1]} {label}",
            n=2,
        )
    )
    out = [f"  --- {label} differs:"]
    for ln in lines[:MAX_DIFF_LINES]:
        text = ln.rstrip("\n")
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE] + f"... [{len(text) - MAX_LINE} more chars]"
        out.append("    " + text + ("" if ln.endswith("\n") else "  [no newline]"))
    if len(lines) > MAX_DIFF_LINES:
        out.append(f"    ... [{len(lines) - MAX_DIFF_LINES} more diff lines; --save keeps everything]")
    return out


def report(outcomes: Sequence[Outcome], verbose: bool) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        if o.kpy is None:
            if verbose:
                lines.append(f"INFO  {o.section}: {o.name}  (exit {o.kubectl.code})")
            continue
        if o.same:
            if verbose:
                lines.append(f"SAME  {o.section}: {o.name}")
            continue
        lines.append(f"DIFF  {o.section}: {o.name}")
        lines.append("  kubectl: " + " ".join(o.kubectl_argv[1:]))
        lines.append("  kpy:     " + " ".join(o.kpy_argv[1:]))
        if o.kubectl.code != o.kpy.code:
            lines.append(f"  --- exit code: kubectl {o.kubectl.code}, kpy {o.kpy.code}")
        lines += _diff("stdout", o.kubectl.out, o.kpy.out, ("kubectl", "kpy"))
        lines += _diff("stderr", o.kubectl.err, o.kpy.err, ("kubectl", "kpy"))
        lines += [f"  --- {n}" for n in o.notes]
    return lines


def cross(a_path: str, b_path: str) -> int:
    """Compare kubectl's answers recorded on two servers (``--save``): where do the servers differ?"""
    a = {(o["section"], o["name"]): o for o in json.loads(Path(a_path).read_text())["outcomes"]}
    b = {(o["section"], o["name"]): o for o in json.loads(Path(b_path).read_text())["outcomes"]}
    differ = 0
    for key in a:
        if key not in b:
            continue
        ka, kb = a[key]["kubectl"], b[key]["kubectl"]
        if (ka["code"], ka["out"], ka["err"]) == (kb["code"], kb["out"], kb["err"]):
            continue
        differ += 1
        print(f"SERVERS DIFFER  {key[0]}: {key[1]}")
        if ka["code"] != kb["code"]:
            print(f"  --- exit code: {a_path} {ka['code']}, {b_path} {kb['code']}")
        for line in _diff("stdout", ka["out"], kb["out"], (a_path, b_path)) + _diff(
            "stderr", ka["err"], kb["err"], (a_path, b_path)
        ):
            print(line)
    print(f"\n{differ} of {len(set(a) & set(b))} kubectl answers differ between {a_path} and {b_path}")
    return 1 if differ else 0


def _default_forbidden(kubeconfig: str) -> list[str]:
    home = Path(kubeconfig).parent
    return [str(home / n) for n in ("kubeconfig-nobody", "kubeconfig-restricted") if (home / n).is_file()]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--kubectl", default=shutil.which("kubectl") or "kubectl")
    default_kpy = Path(sys.executable).with_name("kpy")
    ap.add_argument("--kpy", default=str(default_kpy) if default_kpy.exists() else "kpy")
    ap.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", ""))
    ap.add_argument("--only", action="append", choices=SECTIONS, help="a section (repeatable); default all")
    ap.add_argument("-n", "--namespace", default="default")
    ap.add_argument("--pod", default="web", help="a Running pod with port 80 served (default web)")
    ap.add_argument("--service", default="web")
    ap.add_argument("--deployment", default="web")
    ap.add_argument("--pending-pod", default="kt/pending", help="NS/NAME of a Pending pod")
    ap.add_argument("--forbidden-kubeconfig", action="append", help="kubeconfig of a user without RBAC")
    ap.add_argument("--read-only", action="store_true", help="create no events/lease, annotate nothing")
    ap.add_argument("--watch-seconds", type=float, default=8.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--save", help="write every output as JSON (for --cross)")
    ap.add_argument(
        "--cross", nargs=2, metavar=("A.json", "B.json"), help="diff kubectl's answers of two runs"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list matching cases too")
    ap.add_argument(
        "--emulator-fidelity", action="store_true", help="only the fidelity section (= --only fidelity)"
    )
    ns = ap.parse_args(argv)
    if ns.cross:
        return cross(*ns.cross)
    if not ns.kubeconfig:
        ap.error("no KUBECONFIG: set it or pass --kubeconfig")
    e = Env(
        kubectl=ns.kubectl,
        kpy=ns.kpy,
        kubeconfig=ns.kubeconfig,
        namespace=ns.namespace,
        pod=ns.pod,
        service=ns.service,
        deployment=ns.deployment,
        pending_pod=ns.pending_pod,
        forbidden=ns.forbidden_kubeconfig
        if ns.forbidden_kubeconfig is not None
        else _default_forbidden(ns.kubeconfig),
        writes=not ns.read_only,
        watch_seconds=ns.watch_seconds,
        timeout=ns.timeout,
    )
    sections = ["fidelity"] if ns.emulator_fidelity else ns.only or [s for s in SECTIONS if s != "fidelity"]
    print(
        f"# kubectl: {e.kubectl}\n# kpy: {e.kpy}\n# KUBECONFIG: {e.kubeconfig}\n# sections: {' '.join(sections)}"
    )
    print(
        '# normalised: "See \'kpy " -> "See \'kubectl "; port-forward local ports; version: client version,'
        f" kustomize line; ages may differ by {AGE_SLACK:g}s (the spaces of such a line too)"
    )
    if e.writes and {"events", "elect", "forbidden"} & set(sections):
        print("# fixtures: " + create_fixtures(e).replace("\n", "; "))
    producers: dict[str, Callable[[Env], Iterator[Outcome]]] = {
        "watch": watch_outcomes,
        "portforward": portforward_outcomes,
        "elect": elect_outcomes,
    }
    case_makers: dict[str, Callable[[Env], Iterator[Case]]] = {
        "get": get_cases,
        "output": output_cases,
        "errors": error_cases,
        "exec": exec_cases,
        "forbidden": forbidden_cases,
        "events": events_cases,
        "version": version_cases,
        "raw": raw_cases,
        "fidelity": fidelity_cases,
    }
    outcomes: list[Outcome] = []
    for section in sections:
        if section in producers:
            items = list(producers[section](e))
        else:
            items = [run_case(e, c) for c in case_makers[section](e)]
        outcomes += items
        for line in report(items, ns.verbose):
            print(line)
        sys.stdout.flush()
    compared = [o for o in outcomes if o.kpy is not None]
    differ = [o for o in compared if not o.same]
    print(f"\n{len(differ)} of {len(compared)} comparisons differ")
    for o in differ:
        print(f"  {o.section}: {o.name}")
    if ns.save:
        Path(ns.save).write_text(json.dumps({"outcomes": [asdict(o) for o in outcomes]}, indent=1))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
