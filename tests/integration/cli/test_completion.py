"""Dynamic completion end to end: the installed ``kpy`` answering the shell completion protocol against the
emulator. bash runs the committed ``completions/kpy.bash`` for real; zsh and fish (not installed here) get the
environment their committed scripts set (``_TYPER_COMPLETE_ARGS``, ``_TYPER_COMPLETE_FISH_ACTION``)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, pod

ROOT = Path(__file__).resolve().parents[3]
BASH_SCRIPT = ROOT / "completions" / "kpy.bash"


@dataclass
class Completed:
    values: list[str]
    out: str
    err: str
    code: int
    wall: float
    requests: list[tuple[str, str]]


class Shell:
    """Runs completions for one cache directory and reports the API requests each one made."""

    def __init__(self, sandbox: Any, cache_dir: Path, kubeconfig: Path | None = None) -> None:
        self.sandbox = sandbox
        self.env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig or sandbox.kubeconfig_path),
            "KUBECACHEDIR": str(cache_dir),
            "HOME": str(cache_dir.parent),
            "PATH": f"{Path(KPY).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        self.env.pop("KUBERNETES_SERVICE_HOST", None)
        self.env.pop("_KPY_COMPLETE", None)
        # Tests about answers give live lookups time on a busy machine; tests about deadlines use the default
        # (``deadlines=True``).
        self.env["KPY_COMPLETION_TIMEOUT"] = "30"

    def deadlines(self) -> Shell:
        self.env.pop("KPY_COMPLETION_TIMEOUT", None)
        return self

    def _run(self, argv: list[str], env: dict[str, str]) -> Completed:
        requests = self.sandbox.emulator.requests
        before = len(requests)
        start = time.perf_counter()
        proc = subprocess.run(
            argv, env={**self.env, **env}, capture_output=True, text=True, timeout=30, check=False
        )
        wall = time.perf_counter() - start
        seen = [(r.method, r.path) for r in requests[before:]]
        return Completed([], proc.stdout, proc.stderr, proc.returncode, wall, seen)

    def bash(self, line: str) -> Completed:
        """``line`` as typed before <TAB>: a trailing space means a new, empty word is being completed."""
        words = shlex.split(line) + ([""] if line.endswith(" ") or not line else [])
        script = (
            f"source {shlex.quote(str(BASH_SCRIPT))}\n"
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\n"
            "_kpy_completion kpy\n"
            "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        )
        done = self._run(["bash", "--norc", "--noprofile", "-c", script], {})
        done.values = [v for v in done.out.split("\n") if v]
        return done

    def zsh(self, line: str) -> Completed:
        done = self._run([KPY], {"_KPY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line})
        out = done.out.strip()
        if out.startswith("_arguments '*: :((") and out.endswith("))'"):
            done.values = [v.strip('"') for v in out[len("_arguments '*: :((") : -3].split("\n")]
        return done

    def fish(self, line: str) -> Completed:
        done = self._run(
            [KPY],
            {
                "_KPY_COMPLETE": "complete_fish",
                "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                "_TYPER_COMPLETE_ARGS": line,
            },
        )
        done.values = [v for v in done.out.split("\n") if v]
        return done


@pytest.fixture
def shell(sandbox: Any, tmp_path: Path) -> Shell:
    return Shell(sandbox, tmp_path / "cache")


@pytest.fixture(scope="module", autouse=True)
def objects(sandbox: Any) -> Iterator[None]:
    em = sandbox.emulator
    sandbox.call(em.create_object, pod("dns", namespace="kube-system"))
    sandbox.call(
        em.create_object,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "nightly", "namespace": "default"},
            "spec": {"holderIdentity": ""},
        },
    )
    yield


def quiet(done: Completed) -> Completed:
    assert done.code == 0, done.err
    assert done.err == ""
    return done


# -- contexts ---------------------------------------------------------------------------------------------
def test_contexts_in_every_shell_without_a_request(shell: Shell, sandbox: Any) -> None:
    extra = json.loads(Path(sandbox.kubeconfig_path).read_text(encoding="utf-8"))
    extra["contexts"] = [{"name": "other", "context": {"cluster": extra["clusters"][0]["name"], "user": "x"}}]
    other = Path(shell.env["HOME"]) / "other.yaml"
    other.write_text(json.dumps(extra), encoding="utf-8")
    shell.env["KUBECONFIG"] = f"{sandbox.kubeconfig_path}{os.pathsep}{other}"
    current = extra["current-context"]

    for done in (
        shell.bash("kpy --context "),
        shell.zsh("kpy get pods --context "),
        shell.fish("kpy --context "),
    ):
        assert quiet(done).values == sorted([current, "other"])
        assert done.requests == []
    assert quiet(shell.bash("kpy --context ot")).values == ["other"]


# -- namespaces -------------------------------------------------------------------------------------------
def test_namespaces_in_every_shell_then_from_the_cache(shell: Shell) -> None:
    expected = ["default", "kube-node-lease", "kube-public", "kube-system"]
    first = quiet(shell.bash("kpy -n "))
    assert first.values == expected
    assert first.requests == [("GET", "/api/v1/namespaces")]
    for done in (shell.zsh("kpy get pods --namespace "), shell.fish("kpy -n ")):
        assert quiet(done).values == expected
        assert done.requests == []
    assert quiet(shell.bash("kpy get pods -n kube-")).values == [
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]


# -- resource types ---------------------------------------------------------------------------------------
def test_resource_types_from_discovery(shell: Shell) -> None:
    first = quiet(shell.bash("kpy get "))
    for name in ("pods", "services", "deployments", "leases", "po", "svc", "deploy"):
        assert name in first.values
    assert not [v for v in first.values if "/" in v]  # no subresources
    assert quiet(shell.zsh("kpy get de")).values == ["deployments", "deploy"]
    again = quiet(shell.fish("kpy get po"))
    assert again.values == ["pods", "poddisruptionbudgets", "po"]
    assert again.requests == []


# -- object names -----------------------------------------------------------------------------------------
def test_pod_names_second_tab_is_answered_from_the_cache(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    first = quiet(shell.bash("kpy get pods "))
    assert first.values == ["web", "worker"]
    assert ("GET", "/api/v1/namespaces/default/pods") in first.requests
    second = quiet(shell.bash("kpy get pods "))
    assert second.values == ["web", "worker"]
    assert second.requests == []  # the cached path makes no API request at all
    with capsys.disabled():
        print(
            f"\n[completion] kpy get pods <TAB>: first {first.wall * 1000:.0f} ms, "
            f"cached {second.wall * 1000:.0f} ms (bash, real script)"
        )

    # every spelling of the type shares the entry; names already on the line are not offered again
    for done in (shell.zsh("kpy get po w"), shell.fish("kpy get pod web "), shell.bash("kpy get pod/")):
        assert quiet(done).requests == []
    assert shell.zsh("kpy get po w").values == ["web", "worker"]
    assert shell.fish("kpy get pod web ").values == ["worker"]
    assert shell.bash("kpy get pod/").values == ["pod/web", "pod/worker"]
    assert shell.bash("kpy get pods/wo").values == ["pods/worker"]


def test_names_follow_the_namespace_flag(shell: Shell) -> None:
    assert quiet(shell.bash("kpy get pods -n kube-system ")).values == ["dns"]
    assert quiet(shell.zsh("kpy -n kube-system get pods ")).values == ["dns"]
    assert quiet(shell.fish("kpy get pods ")).values == ["web", "worker"]


def test_names_are_refreshed_after_the_ttl(shell: Shell, sandbox: Any) -> None:
    assert quiet(shell.bash("kpy get pods ")).values == ["web", "worker"]
    sandbox.call(sandbox.emulator.create_object, pod("late"))
    try:
        assert quiet(shell.bash("kpy get pods ")).values == ["web", "worker"]  # within the TTL: cached
        _age_cache(Path(shell.env["KUBECACHEDIR"]), 120)
        shell.deadlines()
        assert quiet(shell.bash("kpy get pods ")).values  # the old names at once, or the new ones
        # on a busy machine the refresh can miss its short deadline: the stale answer is served and the
        # refresh finishes in the background, so a later <TAB> has the new name
        _until(lambda: quiet(shell.bash("kpy get pods ")).values == ["late", "web", "worker"])
    finally:
        sandbox.call(sandbox.emulator.delete_object, "v1", "Pod", "late", "default")


def test_a_stale_answer_is_served_when_the_server_hangs(shell: Shell, sandbox: Any) -> None:
    assert quiet(shell.bash("kpy get pods ")).values == ["web", "worker"]
    assert quiet(shell.bash("kpy -n ")).values
    shell.deadlines()
    _age_cache(Path(shell.env["KUBECACHEDIR"]), 120)
    sandbox.emulator.faults.pause()
    try:
        assert quiet(shell.bash("kpy get pods ")).values == ["web", "worker"]
        assert quiet(shell.zsh("kpy -n ")).values[0] == "default"
    finally:
        sandbox.emulator.faults.resume()


def test_a_hanging_server_with_nothing_cached_completes_nothing_within_the_deadline(
    shell: Shell, sandbox: Any
) -> None:
    sandbox.emulator.faults.pause()
    try:
        done = quiet(shell.deadlines().bash("kpy -n "))
    finally:
        sandbox.emulator.faults.resume()
    assert done.values == []
    assert done.wall < 10  # the live request is cut off after ~1 s; this bound only catches a hang


def test_a_lookup_cut_off_by_the_deadline_fills_the_cache_for_the_next_tab(
    shell: Shell, sandbox: Any
) -> None:
    sandbox.emulator.faults.set_latency(2.5, match="/pods$")  # longer than the 1 s completion deadline
    try:
        first = quiet(shell.deadlines().bash("kpy get pods "))
        assert first.values == []  # nothing cached, the server too slow for this <TAB>
        _until(lambda: bool(quiet(shell.bash("kpy get po ")).values))  # the detached refresh finished
        done = quiet(shell.bash("kpy get pods "))
        assert done.values == ["web", "worker"]
        assert done.requests == []  # served from the cache it filled, despite the slow server
    finally:
        sandbox.emulator.faults.clear()


def test_output_formats(shell: Shell) -> None:
    assert quiet(shell.bash("kpy get pods -o ")).values == [
        "json",
        "yaml",
        "name",
        "go-template",
        "go-template-file",
        "template",
        "templatefile",
        "jsonpath",
        "jsonpath-as-json",
        "jsonpath-file",
        "custom-columns",
        "custom-columns-file",
        "wide",
    ]
    assert quiet(shell.zsh("kpy get pods -o js")).values == [
        "json",
        "jsonpath",
        "jsonpath-as-json",
        "jsonpath-file",
    ]
    assert quiet(shell.bash("kpy port-forward -o ")).values == ["json"]
    assert quiet(shell.fish("kpy version -o ")).values == ["json", "yaml"]
    assert quiet(shell.bash("kpy get pods -o ")).requests == []


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kpy_tab_completes_through_kubectls_plugin_protocol(shell: Shell) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    env = {**shell.env, "PATH": f"{Path(KPY).parent}{os.pathsep}{shell.env['PATH']}"}
    for words, expected in ((["get", "pods", ""], ["web", "worker"]), (["get", "pods", "-o", "y"], ["yaml"])):
        proc = subprocess.run(
            [kubectl, "__complete", "kpy", *words],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split("\n") == [*expected, ":4", ""]


# -- port-forward, events, elect --------------------------------------------------------------------------
def test_port_forward_targets(shell: Shell) -> None:
    expected = ["pod/web", "pod/worker", "svc/web", "deploy/web"]
    assert quiet(shell.bash("kpy port-forward ")).values == expected
    assert quiet(shell.zsh("kpy port-forward svc/")).values == ["svc/web"]
    assert quiet(shell.fish("kpy port-forward wo")).values == ["worker"]  # the type defaults to pod
    assert quiet(shell.bash("kpy port-forward service/w")).values == ["service/web"]
    assert quiet(shell.bash("kpy port-forward pod/web ")).values == []  # ports are not completed


def test_event_objects_and_lease_names(shell: Shell) -> None:
    assert quiet(shell.bash("kpy events tail --for ")).values == [
        "pod/web",
        "pod/worker",
        "svc/web",
        "deploy/web",
    ]
    assert quiet(shell.bash("kpy elect --lease ")).values == ["nightly"]
    assert quiet(shell.zsh("kpy elect status --lease n")).values == ["nightly"]
    assert quiet(shell.fish("kpy elect status --lease ")).values == ["nightly"]


# -- errors -----------------------------------------------------------------------------------------------
def test_an_unreachable_server_completes_nothing_silently(sandbox: Any, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = json.loads(Path(sandbox.kubeconfig_path).read_text(encoding="utf-8"))
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    kubeconfig = tmp_path / "down.yaml"
    kubeconfig.write_text(json.dumps(config), encoding="utf-8")
    shell = Shell(sandbox, tmp_path / "cache", kubeconfig)
    for line in ("kpy -n ", "kpy get ", "kpy get pods ", "kpy port-forward ", "kpy elect --lease "):
        done = quiet(shell.bash(line))
        assert (done.values, done.out.strip()) == ([], ""), line
    assert quiet(shell.zsh("kpy get pods ")).out.strip() == "_files"  # zsh's "nothing to offer"
    assert quiet(shell.fish("kpy -n ")).out.strip() == ""


def test_no_kubeconfig_completes_nothing_silently(sandbox: Any, tmp_path: Path) -> None:
    shell = Shell(sandbox, tmp_path / "cache", tmp_path / "missing.yaml")
    for line in ("kpy --context ", "kpy -n ", "kpy get pods "):
        done = quiet(shell.bash(line))
        assert done.values == [], line


def _until(condition: Any, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds (each poll is a real completion run, so no sleep is needed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"


def _age_cache(cache_dir: Path, seconds: float) -> None:
    """Make every completion answer on disk ``seconds`` older (the files carry their own timestamp)."""
    for path in (cache_dir / "completion").rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "time" in data:
            data["time"] -= seconds
            path.write_text(json.dumps(data), encoding="utf-8")
