"""Dynamic completion without a server: the on-disk cache (TTL, stale-while-error, deadlines) and the names that
come from the kubeconfig alone (contexts, clusters, users), completed through the completion protocol (kpy.cli.shells)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpy.cli import completion
from kpy.cli.completion import CompletionCache
from kpy.cli.main import build_app
from kpy.cli.shells import BashComplete


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Fetch:
    """A fake live request: records the deadlines it was given, answers or fails."""

    def __init__(self, names: list[str] | None = None, error: Exception | None = None) -> None:
        self.names = names or []
        self.error = error
        self.deadlines: list[float] = []

    def __call__(self, deadline: float) -> list[str]:
        self.deadlines.append(deadline)
        if self.error is not None:
            raise self.error
        return list(self.names)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> CompletionCache:
    return CompletionCache(tmp_path / "c", ttl=60, max_stale=3600, live_timeout=1.0, stale_timeout=0.25, now=clock)


KEY = ("names", "default", "pods")


def test_a_miss_asks_the_server_with_the_full_deadline_and_stores_the_answer(cache: CompletionCache) -> None:
    fetch = Fetch(["web", "worker"])
    assert cache.lookup(KEY, fetch) == ["web", "worker"]
    assert fetch.deadlines == [1.0]
    assert cache.read(KEY) is not None


def test_a_fresh_answer_is_served_without_asking(cache: CompletionCache, clock: Clock) -> None:
    cache.lookup(KEY, Fetch(["web"]))
    clock.t += 59
    fetch = Fetch(["other"])
    assert cache.lookup(KEY, fetch) == ["web"]
    assert fetch.deadlines == []


def test_after_the_ttl_the_server_is_asked_again_with_the_short_deadline(
    cache: CompletionCache, clock: Clock
) -> None:
    cache.lookup(KEY, Fetch(["web"]))
    clock.t += 61
    fetch = Fetch(["web", "new"])
    assert cache.lookup(KEY, fetch) == ["web", "new"]
    assert fetch.deadlines == [0.25]  # an old answer exists: do not make the shell wait a full second
    clock.t += 1
    assert cache.lookup(KEY, Fetch(["ignored"])) == ["web", "new"]  # the refresh was stored


def test_a_stale_answer_is_served_when_the_server_fails(cache: CompletionCache, clock: Clock) -> None:
    cache.lookup(KEY, Fetch(["web"]))
    clock.t += 600
    assert cache.lookup(KEY, Fetch(error=TimeoutError())) == ["web"]
    assert cache.lookup(KEY, Fetch(error=ConnectionRefusedError())) == ["web"]


def test_a_failure_with_nothing_cached_completes_nothing(cache: CompletionCache) -> None:
    assert cache.lookup(KEY, Fetch(error=TimeoutError())) == []
    assert cache.read(KEY) is None


def test_answers_older_than_max_stale_are_not_served(cache: CompletionCache, clock: Clock) -> None:
    cache.lookup(KEY, Fetch(["web"]))
    clock.t += 3601
    fetch = Fetch(error=TimeoutError())
    assert cache.lookup(KEY, fetch) == []
    assert fetch.deadlines == [1.0]


def test_an_answer_from_the_future_is_not_trusted(cache: CompletionCache, clock: Clock) -> None:
    cache.lookup(KEY, Fetch(["web"]))
    clock.t -= 3600  # the clock went back an hour
    fetch = Fetch(["fresh"])
    assert cache.lookup(KEY, fetch) == ["fresh"]


def test_a_corrupt_cache_file_is_a_miss(cache: CompletionCache) -> None:
    path = cache.path(KEY)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert cache.lookup(KEY, Fetch(["web"])) == ["web"]
    assert json.loads(path.read_text(encoding="utf-8"))["names"] == ["web"]


def test_an_unwritable_cache_still_completes(tmp_path: Path, clock: Clock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    cache = CompletionCache(blocker / "sub", now=clock)  # a directory cannot be made under a file
    assert cache.lookup(KEY, Fetch(["web"])) == ["web"]


def test_cache_keys_cannot_escape_the_cache_directory(cache: CompletionCache) -> None:
    path = cache.path(("names", "../..", "../etc/passwd"))
    assert cache.directory in path.parents
    assert ".." not in path.relative_to(cache.directory).parts


def test_type_aliases_are_remembered(cache: CompletionCache) -> None:
    assert cache.aliases() == {}
    cache.add_alias("po", "pods")
    cache.add_alias("deploy", "deployments.apps")
    assert cache.aliases() == {"po": "pods", "pods": "pods", "deploy": "deployments.apps",
                               "deployments.apps": "deployments.apps"}


def test_server_directory_names_match_the_discovery_cache() -> None:
    from kpy.rest.discovery import cache_subdir

    for server in ("https://127.0.0.1:6443", "http://example.com:8080/prefix/", "https://[::1]:443"):
        assert completion.cache_subdir(server) == cache_subdir(server)


def test_resource_type_names_are_plurals_then_short_names_without_subresources() -> None:
    doc: dict[str, Any] = {"resources": [
        {"group": "", "resource": "pods", "shortNames": ["po"], "verbs": ["get", "list"]},
        {"group": "", "resource": "pods/log", "verbs": ["get"]},
        {"group": "", "resource": "bindings", "verbs": ["create"]},
        {"group": "apps", "resource": "deployments", "shortNames": ["deploy"], "verbs": ["list"]},
        {"group": "events.k8s.io", "resource": "events", "shortNames": ["ev"], "verbs": ["list"]},
        {"group": "", "resource": "events", "shortNames": ["ev"], "verbs": ["list"]},
    ]}
    assert completion._type_names(doc) == ["pods", "deployments", "events", "po", "deploy", "ev"]


# -- kubeconfig names, through the completion protocol (no network) ------------------------------------
def _kubeconfig(path: Path, contexts: list[str], current: str) -> Path:
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": f"cluster-{c}", "cluster": {"server": "https://127.0.0.1:1"}} for c in contexts],
        "users": [{"name": f"user-{c}", "user": {"token": "t"}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": f"cluster-{c}", "user": f"user-{c}"}} for c in contexts],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def complete(args: list[str], incomplete: str) -> list[str]:
    command = build_app()
    comp = BashComplete(command, {}, "kpy", "_KPY_COMPLETE")
    return [item.value for item in comp.get_completions(args, incomplete)]


@pytest.fixture
def kubeconfigs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    first = _kubeconfig(tmp_path / "a.yaml", ["prod", "staging"], "prod")
    second = _kubeconfig(tmp_path / "b.yaml", ["dev", "prod"], "dev")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    monkeypatch.setenv("HOME", str(tmp_path))
    return first, second


def test_context_names_come_from_the_merged_kubeconfig(kubeconfigs: tuple[Path, Path]) -> None:
    assert complete(["--context"], "") == ["dev", "prod", "staging"]
    assert complete(["get", "pods", "--context"], "st") == ["staging"]


def test_an_explicit_kubeconfig_earlier_on_the_line_wins(kubeconfigs: tuple[Path, Path]) -> None:
    _, second = kubeconfigs
    assert complete(["--kubeconfig", str(second), "--context"], "") == ["dev", "prod"]
    assert complete(["get", "--kubeconfig", str(second), "--context"], "") == ["dev", "prod"]
    assert complete(["--kubeconfig", str(second), "get", "--context"], "") == ["dev", "prod"]


def test_cluster_and_user_names_come_from_the_kubeconfig(kubeconfigs: tuple[Path, Path]) -> None:
    assert complete(["--cluster"], "cluster-") == ["cluster-dev", "cluster-prod", "cluster-staging"]
    assert complete(["elect", "status", "--user"], "user-p") == ["user-prod"]


def test_no_kubeconfig_completes_nothing_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete(["--context"], "") == []
    assert complete(["--kubeconfig", str(tmp_path / "missing"), "--context"], "") == []
    assert complete(["-n"], "") == []  # no server: no namespaces, no request, no message
    assert capsys.readouterr() == ("", "")


def test_a_broken_kubeconfig_completes_nothing_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: [unclosed", encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", str(bad))
    assert complete(["--context"], "") == []
    assert complete(["get"], "") == []
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("shell", "committed"), [("bash", "kpy.bash"), ("zsh", "_kpy"), ("fish", "kpy.fish")])
def test_show_completion_prints_the_committed_script_of_the_users_shell(
    shell: str, committed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpy.cli.main import run

    monkeypatch.setenv("SHELL", f"/bin/{shell}")
    assert run(["--show-completion"]) == 0
    root = Path(__file__).resolve().parents[3]
    assert capsys.readouterr().out == (root / "completions" / committed).read_text(encoding="utf-8")


def test_install_completion_writes_the_script_where_the_shell_loads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpy.cli.main import run

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SHELL", "/bin/bash")
    assert run(["--install-completion"]) == 0
    script = tmp_path / ".bash_completions" / "kpy.sh"
    assert "_KPY_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    assert "bash completion installed in" in capsys.readouterr().out
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert run(["--install-completion"]) == 1
