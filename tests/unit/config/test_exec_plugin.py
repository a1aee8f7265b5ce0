"""Exec credential plugins: small Python scripts in tmp_path stand in for kubelogin & co."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc

from kpy.config import ConnectionFlags, load_client_config
from kpy.config.exec_plugin import ExecConfig, ExecCredentials
from kpy.errors import ConfigError

V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"

PLUGIN = """\
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls"), "a") as fh:
    fh.write("x")
record = {{"info": json.loads(os.environ["KUBERNETES_EXEC_INFO"]), "argv": sys.argv[1:],
          "MY_VAR": os.environ.get("MY_VAR"), "stdin_tty": os.isatty(0)}}
try:
    record["stdin"] = sys.stdin.read()
except Exception as exc:
    record["stdin"] = repr(exc)
with open(os.path.join(here, "last.json"), "w") as fh:
    json.dump(record, fh)
wait_for = os.environ.get("WAIT_FOR")
while wait_for and not os.path.exists(wait_for):
    time.sleep(0.01)
with open(os.path.join(here, "response.json")) as fh:
    sys.stdout.write(fh.read())
sys.stderr.write(os.environ.get("PLUGIN_STDERR", ""))
sys.exit(int(os.environ.get("PLUGIN_EXIT", "0")))
"""


class Plugin:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.path = directory / "plugin"
        self.path.write_text(f"#!{sys.executable}\n" + PLUGIN.format())
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR)
        self.respond()

    def respond(self, api_version: str = V1, **status: Any) -> None:
        doc: dict[str, Any] = {"kind": "ExecCredential", "apiVersion": api_version}
        if status.pop("no_status", False) is False:
            doc["status"] = status or {"token": "plugin-token"}
        (self.dir / "response.json").write_text(json.dumps(doc))

    def respond_raw(self, text: str) -> None:
        (self.dir / "response.json").write_text(text)

    @property
    def calls(self) -> int:
        calls = self.dir / "calls"
        return len(calls.read_text()) if calls.exists() else 0

    @property
    def last(self) -> dict[str, Any]:
        return dict(json.loads((self.dir / "last.json").read_text()))


@pytest.fixture
def plugin(tmp_path: Path) -> Plugin:
    return Plugin(tmp_path / "plugin-dir")


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _creds(
    plugin: Plugin,
    *,
    mode: str = "Never",
    api_version: str = V1,
    terminal: bool = False,
    clock: FakeClock | None = None,
    environ: dict[str, str] | None = None,
    **extra: Any,
) -> ExecCredentials:
    cfg = ExecConfig(command=str(plugin.path), api_version=api_version, interactive_mode=mode, **extra)
    return ExecCredentials(
        cfg,
        environ={"PATH": "/usr/bin:/bin", **(environ or {})},
        clock=clock or FakeClock(),
        is_terminal=lambda: terminal,
    )


async def test_v1_plugin_token_becomes_a_bearer_header(plugin: Plugin) -> None:
    creds = _creds(plugin)
    assert await creds.auth_headers() == {"Authorization": "Bearer plugin-token"}
    assert await creds.client_certificate() is None
    assert plugin.last["info"] == {"kind": "ExecCredential", "apiVersion": V1, "spec": {"interactive": False}}


async def test_v1beta1_plugin(plugin: Plugin) -> None:
    plugin.respond(V1BETA1, token="beta")
    creds = _creds(plugin, api_version=V1BETA1, mode="IfAvailable")
    assert await creds.auth_headers() == {"Authorization": "Bearer beta"}
    assert plugin.last["info"]["apiVersion"] == V1BETA1


async def test_answer_in_another_api_version_is_refused(plugin: Plugin) -> None:
    plugin.respond(V1BETA1, token="x")
    with pytest.raises(ConfigError) as info:
        await _creds(plugin).auth_headers()
    assert str(info.value) == (
        f"getting credentials: exec plugin is configured to use API version {V1}, "
        f"plugin returned version {V1BETA1}"
    )


async def test_args_and_config_env_reach_the_plugin(plugin: Plugin) -> None:
    creds = _creds(
        plugin,
        args=("get-token", "--x"),
        environ={"MY_VAR": "from-environ"},
        env=(("MY_VAR", "from-config"),),
    )
    await creds.auth_headers()
    assert plugin.last["argv"] == ["get-token", "--x"]
    assert plugin.last["MY_VAR"] == "from-config"


async def test_never_mode_is_not_interactive_and_gets_no_stdin(plugin: Plugin) -> None:
    await _creds(plugin, mode="Never", terminal=True).auth_headers()
    assert plugin.last["info"]["spec"]["interactive"] is False
    assert plugin.last["stdin"] == ""  # /dev/null, not the terminal
    assert plugin.last["stdin_tty"] is False


@pytest.mark.parametrize(
    ("mode", "terminal", "interactive"),
    [("IfAvailable", True, True), ("IfAvailable", False, False), ("Always", True, True)],
)
async def test_interactive_flag_follows_the_mode(
    plugin: Plugin, mode: str, terminal: bool, interactive: bool
) -> None:
    await _creds(plugin, mode=mode, terminal=terminal).auth_headers()
    assert plugin.last["info"]["spec"]["interactive"] is interactive


async def test_always_mode_without_a_terminal_fails_like_client_go(plugin: Plugin) -> None:
    with pytest.raises(ConfigError) as info:
        await _creds(plugin, mode="Always", terminal=False).auth_headers()
    assert str(info.value) == (
        "getting credentials: exec plugin cannot support interactive mode: standard input is not a terminal"
    )
    assert plugin.calls == 0


async def test_token_is_cached_until_its_expiration(plugin: Plugin) -> None:
    clock = FakeClock(1_700_000_000.0)  # 2023-11-14T22:13:20Z
    plugin.respond(token="first", expirationTimestamp="2023-11-14T22:23:20Z")  # +600 s
    creds = _creds(plugin, clock=clock)
    assert await creds.auth_headers() == {"Authorization": "Bearer first"}
    plugin.respond(token="second", expirationTimestamp="2023-11-14T23:23:20Z")
    clock.now += 600
    assert await creds.auth_headers() == {"Authorization": "Bearer first"}
    assert plugin.calls == 1
    clock.now += 1
    assert await creds.auth_headers() == {"Authorization": "Bearer second"}
    assert plugin.calls == 2


async def test_token_without_expiration_is_cached_for_good(plugin: Plugin) -> None:
    clock = FakeClock()
    creds = _creds(plugin, clock=clock)
    await creds.auth_headers()
    clock.now += 10 * 365 * 86400
    await creds.auth_headers()
    assert plugin.calls == 1


async def test_invalidate_after_a_401_reruns_the_plugin_once(plugin: Plugin) -> None:
    creds = _creds(plugin)
    await creds.auth_headers()
    plugin.respond(token="rotated")
    creds.invalidate()
    assert await creds.auth_headers() == {"Authorization": "Bearer rotated"}
    assert await creds.auth_headers() == {"Authorization": "Bearer rotated"}
    assert plugin.calls == 2


async def test_concurrent_requests_run_the_plugin_once(plugin: Plugin) -> None:
    creds = _creds(plugin)
    results = await asyncio.gather(*(creds.auth_headers() for _ in range(5)))
    assert all(r == {"Authorization": "Bearer plugin-token"} for r in results)
    assert plugin.calls == 1


async def test_plugin_runs_without_blocking_the_event_loop(plugin: Plugin, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    creds = _creds(plugin, environ={"WAIT_FOR": str(gate)})
    task = asyncio.ensure_future(creds.auth_headers())
    while not (plugin.dir / "last.json").exists():  # the plugin started and now waits for the gate
        await asyncio.sleep(0.01)
    assert not task.done()
    gate.write_text("open")  # only possible because the loop is free while the plugin runs
    assert await asyncio.wait_for(task, 30) == {"Authorization": "Bearer plugin-token"}


async def test_client_certificate_from_the_plugin(plugin: Plugin) -> None:
    plugin.respond(clientCertificateData="-----CERT-----", clientKeyData="-----KEY-----")
    creds = _creds(plugin)
    assert await creds.client_certificate() == (b"-----CERT-----", b"-----KEY-----")
    assert await creds.auth_headers() == {}
    assert plugin.calls == 1


BAD_ANSWERS = [
    ({"no_status": True}, "getting credentials: exec plugin didn't return a status field"),
    (
        {"expirationTimestamp": "2030-01-01T00:00:00Z"},
        "getting credentials: exec plugin didn't return a token or cert/key pair",
    ),
    (
        {"clientCertificateData": "c"},
        "getting credentials: exec plugin returned only certificate or key, not both",
    ),
    (
        {"token": "t", "expirationTimestamp": "tomorrow"},
        'getting credentials: decoding stdout: parsing time "tomorrow"',
    ),
]


@pytest.mark.parametrize(("status", "message"), BAD_ANSWERS)
async def test_bad_plugin_answers(plugin: Plugin, status: dict[str, Any], message: str) -> None:
    if status.get("no_status"):
        plugin.respond(no_status=True)
    else:
        plugin.respond(**status)
    with pytest.raises(ConfigError) as info:
        await _creds(plugin).auth_headers()
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("text", ["not json", "[]", '{"kind": "Pod", "apiVersion": "v1"}'])
async def test_undecodable_output(plugin: Plugin, text: str) -> None:
    plugin.respond_raw(text)
    with pytest.raises(ConfigError, match=r"^getting credentials: decoding stdout: "):
        await _creds(plugin).auth_headers()


async def test_failing_plugin_reports_client_gos_error_and_its_stderr_reaches_ours(
    plugin: Plugin, tmp_path: Path
) -> None:
    with open(tmp_path / "stderr", "w") as sink:
        creds = _creds(plugin, environ={"PLUGIN_EXIT": "3", "PLUGIN_STDERR": "login required\nsecond line\n"})
        creds.stderr = sink
        with pytest.raises(ConfigError) as info:
            await creds.auth_headers()
    assert str(info.value) == f"getting credentials: exec: executable {plugin.path} failed with exit code 3"
    assert (tmp_path / "stderr").read_text() == "login required\nsecond line\n"


async def test_a_working_plugins_stderr_is_shown_too(plugin: Plugin, tmp_path: Path) -> None:
    with open(tmp_path / "stderr", "w") as sink:
        creds = _creds(plugin, environ={"PLUGIN_STDERR": "Opening the browser to log in...\n"})
        creds.stderr = sink
        assert await creds.auth_headers() == {"Authorization": "Bearer plugin-token"}
    assert (tmp_path / "stderr").read_text() == "Opening the browser to log in...\n"


async def test_missing_plugin_reports_the_install_hint(tmp_path: Path) -> None:
    cfg = ExecConfig(
        command="kpy-no-such-plugin",
        api_version=V1,
        interactive_mode="Never",
        install_hint="Install it with:\n  brew install kpy-no-such-plugin\n",
    )
    creds = ExecCredentials(cfg, environ={"PATH": str(tmp_path)}, is_terminal=lambda: False)
    with pytest.raises(ConfigError) as info:
        await creds.auth_headers()
    assert str(info.value) == (
        "getting credentials: exec: executable kpy-no-such-plugin not found; "
        "Install it with: brew install kpy-no-such-plugin"
    )


async def test_plugin_is_found_on_the_environments_path(plugin: Plugin) -> None:
    cfg = ExecConfig(command="plugin", api_version=V1, interactive_mode="Never")
    creds = ExecCredentials(cfg, environ={"PATH": str(plugin.dir)}, is_terminal=lambda: False)
    assert await creds.auth_headers() == {"Authorization": "Bearer plugin-token"}


# --- through load_client_config: cluster info, relative command, defaults


def _exec_doc(plugin: Plugin, **exec_extra: Any) -> dict[str, Any]:
    return kubeconfig_doc(
        current="x",
        clusters={
            "c": {
                "server": "https://kube.example:6443",
                "certificate-authority-data": base64.b64encode(b"CA-PEM").decode(),
                "tls-server-name": "kube.internal",
                "proxy-url": "http://proxy:3128",
                "extensions": [
                    {"name": "client.authentication.k8s.io/exec", "extension": {"audience": "kpy"}},
                    {"name": "other", "extension": {"x": 1}},
                ],
            }
        },
        contexts={"x": {"cluster": "c", "user": "u"}},
        users={
            "u": {
                "exec": {
                    "apiVersion": V1,
                    "command": "./plugin-dir/plugin",
                    "interactiveMode": "Never",
                    "env": [{"name": "MY_VAR", "value": "cfg"}],
                    **exec_extra,
                }
            }
        },
    )


async def test_provide_cluster_info_sends_the_cluster_in_exec_info(
    plugin: Plugin, write_config: WriteConfig, env: dict[str, str]
) -> None:
    path = write_config("config", _exec_doc(plugin, provideClusterInfo=True))
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(path)), env, is_terminal=lambda: False)
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer plugin-token"}
    assert plugin.last["info"] == {
        "kind": "ExecCredential",
        "apiVersion": V1,
        "spec": {
            "cluster": {
                "server": "https://kube.example:6443",
                "tls-server-name": "kube.internal",
                "certificate-authority-data": base64.b64encode(b"CA-PEM").decode(),
                "proxy-url": "http://proxy:3128",
                "config": {"audience": "kpy"},
            },
            "interactive": False,
        },
    }
    assert plugin.last["MY_VAR"] == "cfg"


async def test_cluster_info_is_withheld_without_provide_cluster_info(
    plugin: Plugin, write_config: WriteConfig, env: dict[str, str]
) -> None:
    path = write_config("config", _exec_doc(plugin))
    cfg = load_client_config(ConnectionFlags(kubeconfig=str(path)), env, is_terminal=lambda: False)
    await cfg.credentials.auth_headers()
    assert plugin.last["info"]["spec"] == {"interactive": False}


async def test_cluster_info_reflects_the_server_flag_and_insecure(
    plugin: Plugin, write_config: WriteConfig, env: dict[str, str]
) -> None:
    path = write_config("config", _exec_doc(plugin, provideClusterInfo=True))
    flags = ConnectionFlags(kubeconfig=str(path), server="https://other:443", insecure_skip_tls_verify=True)
    cfg = load_client_config(flags, env, is_terminal=lambda: False)
    await cfg.credentials.auth_headers()
    cluster = plugin.last["info"]["spec"]["cluster"]
    assert cluster["server"] == "https://other:443"
    assert cluster["insecure-skip-tls-verify"] is True
    assert "certificate-authority-data" not in cluster and "tls-server-name" not in cluster


async def test_v1beta1_config_without_interactive_mode_defaults_to_if_available(
    plugin: Plugin, write_config: WriteConfig, env: dict[str, str]
) -> None:
    plugin.respond(V1BETA1, token="b")
    doc = _exec_doc(plugin)
    exec_cfg = doc["users"][0]["user"]["exec"]
    exec_cfg["apiVersion"] = V1BETA1
    del exec_cfg["interactiveMode"]
    cfg = load_client_config(
        ConnectionFlags(kubeconfig=str(write_config("config", doc))), env, is_terminal=lambda: True
    )
    assert await cfg.credentials.auth_headers() == {"Authorization": "Bearer b"}
    assert plugin.last["info"]["spec"]["interactive"] is True


async def test_plugin_clock_comes_from_load_client_config(
    plugin: Plugin, write_config: WriteConfig, env: dict[str, str]
) -> None:
    clock = FakeClock(1_700_000_000.0)
    plugin.respond(token="t1", expirationTimestamp="2023-11-14T22:13:30Z")  # now + 10 s
    path = write_config("config", _exec_doc(plugin))
    cfg = load_client_config(
        ConnectionFlags(kubeconfig=str(path)), env, clock=clock, is_terminal=lambda: False
    )
    await cfg.credentials.auth_headers()
    clock.now += 11
    await cfg.credentials.auth_headers()
    assert plugin.calls == 2
