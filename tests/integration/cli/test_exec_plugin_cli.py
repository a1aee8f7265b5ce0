"""An exec credential plugin's stderr reaches the terminal under kpy as under kubectl (a login prompt is seen)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kpy, kubectl

PLUGIN = """\
import json, os, sys
sys.stderr.write("Visit https://login.example/device and enter code ABCD-EFGH\\n")
sys.stderr.flush()
if os.environ.get("FAIL"):
    sys.exit(4)
print(json.dumps({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
                  "status": {"token": os.environ["TOKEN"]}}))
"""


def _kubeconfig(tmp_path: Path, sandbox: Any, *, fail: bool) -> Path:
    plugin = tmp_path / "login-plugin"
    plugin.write_text(f"#!{sys.executable}\n{PLUGIN}")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    doc = json.loads(Path(sandbox.kubeconfig_path).read_text())
    env = [{"name": "TOKEN", "value": sandbox.emulator.token}] + (
        [{"name": "FAIL", "value": "1"}] if fail else []
    )
    doc["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "interactiveMode": "Never",
            "env": env,
        }
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")
@pytest.mark.parametrize("fail", [False, True], ids=["ok", "failing"])
def test_plugin_stderr_is_shown_like_kubectl(sandbox: Any, tmp_path: Path, fail: bool) -> None:
    config = _kubeconfig(tmp_path, sandbox, fail=fail)
    ours = kpy("get", "ns", "default", "-o", "name", kubeconfig=config)
    theirs = kubectl("get", "ns", "default", "-o", "name", kubeconfig=config)
    prompt = "Visit https://login.example/device and enter code ABCD-EFGH\n"
    assert ours.err.startswith(prompt) and theirs.err.startswith(prompt)
    if not fail:
        assert (ours.code, ours.out, ours.err) == (0, "namespace/default\n", prompt)
        assert theirs.out == ours.out
    else:
        assert ours.code == theirs.code == 1
        assert (
            f"getting credentials: exec: executable {tmp_path}/login-plugin failed with exit code 4"
            in ours.err
        )
        assert "Traceback" not in ours.err
