"""`kpy get` against kubectl 1.32 on the same emulator (issue 13): stdout, stderr and exit code must be identical.

Where the emulator differs from a real API server (403 bodies, errors), the emulator was fixed first; each test
names the kubectl behaviour it pins down.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, Api, Result, kpy, kubectl, pod, run_tool

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; it is the oracle here")
# The gcloud dispatcher in front of /usr/bin/kubectl rewrites cobra's usage errors; the real binary does not.
KUBECTL_132 = shutil.which("kubectl.1.32", path="/usr/lib/google-cloud-sdk/bin") or KUBECTL


def both(sandbox: Any, *args: str, **kw: Any) -> tuple[Result, Result]:
    mine = kpy(*args, kubeconfig=sandbox.kubeconfig_path, **kw)
    theirs = kubectl(*args, kubeconfig=sandbox.kubeconfig_path, **kw)
    return mine, theirs


def _without_ages(text: str) -> str:
    """A table with its AGE cells (which can tick between the two runs) blanked and column padding collapsed."""
    return re.sub(r" +", " ", re.sub(r"(?<= )[0-9]+[smhdy]([0-9]+[smhd])?(?= |$)", "<age>", text, flags=re.M))


def assert_same(sandbox: Any, *args: str, **kw: Any) -> Result:
    mine, theirs = both(sandbox, *args, **kw)
    assert (mine.code, mine.err) == (theirs.code, theirs.err)
    if mine.out != theirs.out:  # only an AGE that ticked between the runs may differ
        assert _without_ages(mine.out) == _without_ages(theirs.out)
    return mine


@pytest.fixture(scope="module")
def seeded(sandbox: Any, api: Api) -> Any:
    """Objects the tests below share: a configmap with managedFields, an empty namespace, a second namespace."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "empty"}})
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    api.call("POST", "/api/v1/namespaces/other/pods", pod("elsewhere", "other"))
    managed = [
        {
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}},
        }
    ]
    code, _ = api.call(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"metadata": {"name": "managed", "managedFields": managed}, "data": {"a": "b"}},
    )
    assert code == 201
    return sandbox


# -- item 1: managedFields ------------------------------------------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["cm", "managed", "-o", "json"],
        ["cm", "managed", "-o", "yaml"],
        ["cm", "-o", "json"],
        ["cm", "managed", "-o", "yaml", "--show-managed-fields"],
        ["cm", "-o", "json", "--show-managed-fields"],
    ],
)
def test_managed_fields_are_left_out_unless_asked_for(seeded: Any, args: list[str]) -> None:
    res = assert_same(seeded, "get", *args)
    assert ("managedFields" in res.out) == ("--show-managed-fields" in args)


# -- item 3: no results -------------------------------------------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize(
    "output", ["name", "jsonpath={.items}", "custom-columns=NAME:.metadata.name", "json", "yaml", "wide", ""]
)
def test_no_results_per_output_format(seeded: Any, output: str) -> None:
    res = assert_same(seeded, "get", "pods", "-n", "empty", *(["-o", output] if output else []))
    if output.startswith("custom-columns"):
        assert res.out == "NAME\n"


# -- item 4: -f uses each object's namespace ----------------------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize("output", ["", "name"])
def test_files_are_looked_up_in_their_own_namespace(seeded: Any, tmp_path: Path, output: str) -> None:
    path = tmp_path / "pods.json"
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod("elsewhere", "other"), pod("worker")]})
    )
    res = assert_same(seeded, "get", "-f", str(path), *(["-o", output] if output else []))
    assert res.code == 0 and "elsewhere" in res.out


# -- items 5, 7, 8: arguments, kind prefixes, error texts ----------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["pod", "web", "-A"],
        ["pod/web", "-A"],
        ["svc/nosuch", "pod/web"],
        ["pods,svc"],
        ["pods", "-o", "bogus"],
        ["pod", "x", "-n", "nosuchns"],
        ["pods,cm", "-n", "other"],
        ["pods,nodes", "-A"],
        ["pod", "nope1", "nope2"],
        ["pod", "nope1", "web", "-o", "json"],
        ["pods", "-l", "a=("],
        ["pods", "--field-selector", "spec.bogus=1"],
        ["pod.apps"],
        ["ev"],
        ["all"],
        ["pods", "--request-timeout=1ns"],
        ["-w"],
        ["pods,svc", "--show-kind", "--no-headers"],
        ["all", "-o", "name"],
        ["pod", "web", "nope", "--ignore-not-found"],
        # names and selectors: kubectl's Builder refuses the pair before it looks anything up (even with -A)
        ["pod", "web", "-l", "app=web"],
        ["pod", "web", "worker", "-l", "app=web", "-o", "name"],
        ["pod", "web", "--field-selector", "metadata.name=web"],
        ["pod", "web", "-l", "app=web", "-A"],
        ["pod", "web", "-l", "app=web", "-w"],
        ["pod/web", "-l", "app=web"],
        ["pod/web", "svc/web", "--field-selector", "metadata.name=web"],
        ["pod", "web", "--selector="],
        # a watch of a missing object is the GET's NotFound, not a silent watch
        ["pod", "nosuch", "-w"],
        ["pod", "nosuch", "-w", "-o", "name"],
    ],
)
def test_arguments_and_errors_match_kubectl(seeded: Any, args: list[str]) -> None:
    assert_same(seeded, "get", *args)


@needs_kubectl
def test_crd_list_error_names_the_group_version_resource(seeded: Any, api: Api) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Gadget", "plural": "gadgets", "singular": "gadget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    code, _ = api.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201
    seeded.call(
        seeded.emulator.faults.fail_next,
        2,
        404,
        match="/gadgets$",
        message="the server could not find the requested resource",
    )
    res = assert_same(seeded, "get", "gadgets")
    assert res.err.startswith(
        'Error from server (NotFound): Unable to list "example.com/v1, Resource=gadgets": '
    )


@pytest.mark.skipif(KUBECTL_132 is None, reason="kubectl is not installed; it is the oracle here")
@pytest.mark.parametrize(
    "args",
    [
        ["get", "pods", "--bogus"],
        ["get", "pods", "-x"],
        ["get", "pods", "-o"],
        ["get"],
        ["port-forward"],
    ],
)
def test_usage_errors_are_kubectls_with_the_command_renamed(seeded: Any, args: list[str]) -> None:
    assert KUBECTL_132 is not None
    mine = kpy(*args, kubeconfig=seeded.kubeconfig_path)
    theirs = run_tool([KUBECTL_132, *args], seeded.kubeconfig_path)
    expected = theirs.err.replace("'kubectl ", "'kpy ")
    # kpy has no `explain` command; kubectl leaves that line out for commands without one
    expected = "".join(line for line in expected.splitlines(keepends=True) if "kubectl explain" not in line)
    assert (mine.code, mine.out, mine.err) == (theirs.code, "", expected)


def test_kubectl_plugin_names_itself_in_usage_errors(seeded: Any, tmp_path: Path) -> None:
    plugin = tmp_path / "kubectl-kpy"
    plugin.symlink_to(KPY)
    res = run_tool([str(plugin), "get", "pods", "--bogus"], seeded.kubeconfig_path)
    assert (res.code, res.err) == (
        1,
        "error: unknown flag: --bogus\nSee 'kubectl kpy get --help' for usage.\n",
    )


def test_help_command_and_missing_arguments(seeded: Any) -> None:
    res = kpy("help", kubeconfig=seeded.kubeconfig_path)
    assert res.code == 0 and "Usage: kpy" in res.out
    res = kpy("help", "get", kubeconfig=seeded.kubeconfig_path)
    assert res.code == 0 and "Usage: kpy get" in res.out
    res = kpy("elect", kubeconfig=seeded.kubeconfig_path)
    assert (res.code, res.out) == (1, "")
    assert res.err == "error: required flag(s) \"lease\" not set\nSee 'kpy elect --help' for usage.\n"


# -- item 6: several forbidden types -----------------------------------------------------------------------
@pytest.fixture
def forbidden(seeded: Any) -> Iterator[Any]:
    seeded.call(seeded.emulator.faults.forbid, "pods")
    seeded.call(seeded.emulator.faults.forbid, "services")
    try:
        yield seeded
    finally:
        seeded.call(seeded.emulator.faults.clear)


@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["pods,svc"],
        ["pods,svc", "-o", "json"],
        ["pods", "-o", "name"],
        ["pod", "web"],
        ["pods,cm"],
        ["nodes,pods", "-A"],
    ],
)
def test_every_forbidden_type_is_reported(forbidden: Any, args: list[str]) -> None:
    res = assert_same(forbidden, "get", *args)
    assert res.code == 1 and "is forbidden" in res.err


# -- item 9: flags ------------------------------------------------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["pods", "--sort-by=.metadata.name"],
        ["pods", "--sort-by={.status.phase}", "-o", "name"],
        ["pods", "-A", "--sort-by=.metadata.creationTimestamp", "-o", "custom-columns=N:.metadata.name"],
        ["pods", "--sort-by=.spec.nothing", "-o", "name"],
        ["pod", "web", "worker", "--sort-by=.metadata.name"],
        ["pod", "web", "--show-kind"],
        ["pod", "nope", "--ignore-not-found"],
        ["pod", "nope", "web", "--ignore-not-found", "-o", "name"],
        ["pod", "web", "--subresource", "status"],
        ["pod", "web", "--subresource", "bogus"],
        ["--raw", "/api/v1/namespaces/default/pods/web"],
        ["--raw", "/api/v1/nope"],
        ["pods", "--output-watch-events"],
        ["pods", "--show-labels", "-o", "name"],
    ],
)
def test_get_flags_match_kubectl(seeded: Any, args: list[str]) -> None:
    assert_same(seeded, "get", *args)


@needs_kubectl
def test_recursive_reads_nested_directories(seeded: Any, tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "web.json").write_text(json.dumps(pod("web")))
    (tmp_path / "a" / "b" / "worker.json").write_text(json.dumps(pod("worker")))
    res = assert_same(seeded, "get", "-R", "-f", str(tmp_path / "a"), "-o", "name")
    assert res.out == "pod/worker\npod/web\n"  # filepath.Walk: a/b/ sorts before a/web.json


# -- item 11: JSONPath errors ------------------------------------------------------------------------------
@needs_kubectl
@pytest.mark.parametrize("template", ["{.x}", "{.items[0].metadata.namex}"])
def test_missing_keys_error_ends_like_kubectls(seeded: Any, template: str) -> None:
    res = assert_same(
        seeded, "get", "pods", "-o", f"jsonpath={template}", "--allow-missing-template-keys=false"
    )
    assert res.err.endswith("}\n\n\n")


@needs_kubectl
def test_parse_error_first_line_is_kubectls(seeded: Any) -> None:
    mine, theirs = both(seeded, "get", "pods", "-o", "jsonpath={.x")
    assert (mine.code, mine.out) == (theirs.code, theirs.out)
    assert mine.err.splitlines()[0] == theirs.err.splitlines()[0]


# -- item 10: watch tables ----------------------------------------------------------------------------------
def _start(tool: str, args: list[str], kubeconfig: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.Popen([tool, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_lines(proc: subprocess.Popen[str], count: int) -> list[str]:
    from tests.integration.cli.test_get import _read_until

    return _read_until(proc, lambda lines: len(lines) >= count)


@needs_kubectl
@pytest.mark.parametrize("extra", [[], ["--output-watch-events"]])
def test_watch_table_from_an_empty_list_matches_kubectl(seeded: Any, api: Api, extra: list[str]) -> None:
    """Header with the first row, kubectl's widths, the deleted row as the server sent it, one list + one watch."""
    ns = "watch-empty" + ("-events" if extra else "")
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert KUBECTL is not None
    args = ["get", "pods", "-n", ns, "-w", *extra]
    procs = [_start(KPY, args, seeded.kubeconfig_path), _start(KUBECTL, args, seeded.kubeconfig_path)]
    try:
        before = len(seeded.emulator.requests)
        _wait_watching(seeded, ns, 2)
        api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod("a-rather-long-pod-name", ns, phase="Pending"))
        outputs = [_wait_lines(p, 2) for p in procs]
        api.call("DELETE", f"/api/v1/namespaces/{ns}/pods/a-rather-long-pod-name")
        outputs = [o + _wait_lines(p, 1) for o, p in zip(outputs, procs, strict=True)]
        # each watch serializes its rows when it sends them: on a busy machine the two tools' AGE cells may be
        # a second apart (0s / 1s); everything else must be identical
        masked = [[re.sub(r"\b\ds$", "Ns", line) for line in lines] for lines in outputs]
        assert masked[0] == masked[1]
        assert outputs[0][0].split()[:2] == (["EVENT", "NAME"] if extra else ["NAME", "READY"])
        mine = [
            r
            for r in seeded.emulator.requests[before:]
            if r.user and r.path.endswith(f"{ns}/pods") and r.headers.get("User-Agent", "").startswith("kpy")
        ]
        assert len(mine) == 2, [(r.path, r.query) for r in mine]  # the list and the watch, nothing per event
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _wait_watching(sandbox: Any, ns: str, count: int, resource: str = "pods") -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        watching = [
            r
            for r in sandbox.emulator.requests
            if r.path.endswith(f"{ns}/{resource}") and r.query.get("watch") in ("true", "1")
        ]
        if len(watching) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the watches did not start")


# -- item 9: go-template ------------------------------------------------------------------------------------
GO_TEMPLATES = [
    '{{range .items}}{{.metadata.name}}{{"\\t"}}{{.status.phase}}{{"\\n"}}{{end}}',
    "{{.kind}} {{len .items}}",
    "{{range $i, $p := .items}}{{$i}}={{$p.metadata.name}} {{end}}",
    "{{with index .items 0}}{{.metadata.labels}}{{end}}",
    '{{.x}} {{.x.y}} {{index .metadata "x"}}',
    '{{printf "%s-%d|%5s|%-5s|%v|%q|%05.2f" "a" 3 "b" "c" .metadata "q" 3.14159}}',
    '{{if eq .kind "List"}}yes{{else}}no{{end}}',
    '{{range .items}}{{if and .metadata.labels (eq .metadata.name "web")}}{{.metadata.name}}{{end}}{{end}}',
    "{{- range .items -}} {{ .metadata.name }} {{- end }}",
    "{{range.items}}{{.metadata.name}}{{end}}",
    '{{.items | len | printf "%d items"}}',
    "{{range .items}}{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}{{end}}",
    '{{lt 1 2}} {{gt 2.5 1.5}} {{ne "a" "b"}} {{not 0}} {{or .x .kind}} {{and .kind .x}}',
    '{{exists . "items" 0 "metadata"}} {{base64decode "aGVsbG8="}} {{print nil 1 "a" 2}}',
    "{{range .items}}{{range .status.conditions}}{{.lastProbeTime}} {{end}}{{end}}",
    '{{range .items}}{{if eq .metadata.name "web"}}{{continue}}{{end}}{{.metadata.name}}{{break}}{{end}}',
    "{{$x := 1}}{{$x = 2}}{{$x}}{{/* comment */}}",
    # errors: kubectl's parse and execution messages, the partial output and the debugging dump
    "{{index .items 5}}",
    "{{foo}}",
    "{{.x",
    "{{.items.x}}",
    "{{range .kind}}{{end}}",
    "{{len 3}}",
    '{{base64decode "!!"}}',
    '{{index .metadata "x" "y"}}',
    "{{eq 1 1.0}}",
]


@needs_kubectl
@pytest.mark.parametrize("template", GO_TEMPLATES)
def test_go_templates_match_kubectl(seeded: Any, template: str) -> None:
    assert_same(seeded, "get", "pods", "-o", f"go-template={template}")


@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["pod", "web", "-o", "go-template={{.metadata.namex}}", "--allow-missing-template-keys=false"],
        ["pod", "web", "-o", "go-template={{.spec.x.y}}", "--allow-missing-template-keys=false"],
        ["pod", "web", "--template", "{{.kind}}"],
        ["pod", "web", "-o", "template={{.kind}}"],
        ["pod", "web", "-o", "go-template"],
    ],
)
def test_go_template_flags_match_kubectl(seeded: Any, args: list[str], tmp_path: Path) -> None:
    assert_same(seeded, "get", *args)


@needs_kubectl
def test_go_template_file_matches_kubectl(seeded: Any, tmp_path: Path) -> None:
    path = tmp_path / "t.tmpl"
    path.write_text("{{range .items}}{{.metadata.name}}\n{{end}}")
    res = assert_same(seeded, "get", "pods", "-o", f"go-template-file={path}")
    assert "web\n" in res.out


@needs_kubectl
@pytest.mark.parametrize("extra", [["-o", "yaml"], ["-o", "json", "--output-watch-events"], ["-o", "name"]])
def test_watch_objects_match_kubectl(seeded: Any, api: Api, extra: list[str]) -> None:
    """Objects after the list, YAML documents separated by ---, watch events as kubectl encodes them."""
    ns = "watch-objects-" + extra[1]
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    api.call(
        "POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "first"}, "data": {"a": "1"}}
    )
    assert KUBECTL is not None
    args = ["get", "configmaps", "-n", ns, "-w", *extra]
    procs = [_start(KPY, args, seeded.kubeconfig_path), _start(KUBECTL, args, seeded.kubeconfig_path)]
    try:
        _wait_watching(seeded, ns, 2, "configmaps")
        api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "second"}})
        marker = "second" if extra[1] != "yaml" else "  name: second"
        outputs = [_read_until_text(p, marker) for p in procs]
        assert outputs[0] == outputs[1]
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _read_until_text(proc: subprocess.Popen[str], marker: str) -> list[str]:
    """Lines up to the one containing ``marker`` (for YAML: up to the ``uid`` line of that document)."""
    from tests.integration.cli.test_get import _read_until

    def done(got: list[str]) -> bool:
        hits = [i for i, line in enumerate(got) if marker in line]
        if not hits or not marker.startswith("  name:"):
            return bool(hits)
        return any(line.startswith("  uid:") for line in got[hits[0] :])

    return _read_until(proc, done)


def test_watch_table_resumes_after_drops_and_relists_after_compaction(seeded: Any, api: Api) -> None:
    """kpy's addition to kubectl's watch: a dropped Table watch resumes, a 410 lists again, nothing repeats."""
    ns = "watch-resume"
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod("first", ns))
    proc = _start(KPY, ["get", "pods", "-n", ns, "-w", "--no-headers"], seeded.kubeconfig_path)
    try:
        lines = _read_until_text(proc, "first")
        _wait_watching(seeded, ns, 1)
        seeded.call(seeded.emulator.faults.drop_watches)
        api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod("second", ns))
        lines += _read_until_text(proc, "second")
        _wait_watching(seeded, ns, 2)
        seeded.call(seeded.emulator.faults.compact)
        seeded.call(seeded.emulator.faults.drop_watches)
        api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod("third", ns))
        lines += _read_until_text(proc, "third")
        names = [line.split()[0] for line in lines]
        assert names == ["first", "second", "third"], lines
    finally:
        proc.terminate()
        proc.wait(10)


@needs_kubectl
@pytest.mark.parametrize("extra", [[], ["-o", "name"]])
def test_watch_of_one_named_object_shows_only_that_object(seeded: Any, api: Api, extra: list[str]) -> None:
    """`get pod web -w` lists and watches `web` only (kubectl's fieldSelector metadata.name=web)."""
    ns = "watch-named" + ("-name" if extra else "")
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    for name in ("other", "web"):
        api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, ns))
    assert KUBECTL is not None
    args = ["get", "pod", "web", "-n", ns, "-w", *extra]
    procs = [_start(KPY, args, seeded.kubeconfig_path), _start(KUBECTL, args, seeded.kubeconfig_path)]
    try:
        first = 1 if extra else 2  # the header and the row, or the name
        outputs = [_wait_lines(p, first) for p in procs]
        _wait_watching(seeded, ns, 2)
        for name in ("other", "web"):  # the server sends the events in this order: `other` would come first
            code, _ = api.call(
                "PATCH",
                f"/api/v1/namespaces/{ns}/pods/{name}",
                {"metadata": {"labels": {"touched": "yes"}}},
                content_type="application/merge-patch+json",
            )
            assert code == 200
        outputs = [o + _wait_lines(p, 1) for o, p in zip(outputs, procs, strict=True)]
        assert [_without_ages(line) for line in outputs[0]] == [_without_ages(line) for line in outputs[1]]
        rows = outputs[0][first - 1 :]
        assert [r.split()[0] for r in rows] == (["pod/web"] * 2 if extra else ["web"] * 2)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


# -- tables read cells only (issue 15): pages, odd names and labels, -A, several types ------------------------
@pytest.fixture(scope="module")
def many(seeded: Any, api: Api) -> Any:
    """Configmaps in two namespaces over several pages, with names, labels and data that test the decoding."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "paged"}})
    for i in range(23):
        labels = {"app": f"a{i % 3}", "cells": '},{"cells":["x"]}', "k": "ü-名"}
        body = {
            "metadata": {"name": f"cm-{i:02d}", "labels": labels, "annotations": {"n": '"rows":[]}'}},
            "data": {f"k{j}": "v" for j in range(i % 4)},
        }
        for ns in ("paged", "other"):
            code, _ = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", body)
            assert code == 201
    return seeded


@needs_kubectl
@pytest.mark.parametrize(
    "args",
    [
        ["cm", "-n", "paged", "--chunk-size=5"],
        ["cm", "-A", "--chunk-size=7"],
        ["cm,pods", "-A", "--chunk-size=4", "-o", "wide"],
        ["cm,ns", "-A", "--chunk-size=6"],
        ["cm", "-n", "paged", "--chunk-size=9", "--show-labels"],
        ["cm", "-n", "paged", "-L", "app,k", "--no-headers"],
        ["cm", "-n", "paged", "--sort-by=.metadata.name", "--chunk-size=3"],
        # ties (and objects without the field) land where kubectl's sort.Sort puts them, not in list order
        ["cm", "-n", "paged", "--sort-by=.metadata.labels.app"],
        ["cm", "-A", "--sort-by=.data.k0", "-o", "name"],
        [
            "cm",
            "-A",
            "--sort-by={.metadata.labels.app}",
            "-o",
            "custom-columns=NS:.metadata.namespace,N:.metadata.name",
        ],
    ],
)
def test_paged_tables_match_kubectl(many: Any, args: list[str]) -> None:
    assert_same(many, "get", *args)
