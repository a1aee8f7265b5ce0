"""The wheel builds, installs with pipx into a clean environment, and works there (also as a kubectl plugin).

Installing must not reach the network during tests: dependency wheels come from `.wheelhouse/`, which the
README's test command prepares before running pytest (`pip wheel -w .wheelhouse '.[testing]' pip`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpy import __version__

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / ".wheelhouse"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not WHEELHOUSE.is_dir():
        pytest.skip("no .wheelhouse/: run the README test command, which prepares it for this offline test")
    tmp = tmp_path_factory.mktemp("pkg")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("kpy-*.whl"))
    assert len(wheels) == 1
    env = {
        **os.environ,
        "PIPX_HOME": str(tmp / "pipx"),
        "PIPX_BIN_DIR": str(tmp / "bin"),
        "PIPX_MAN_DIR": str(tmp / "man"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pipx", "install", f"{wheels[0]}[testing]"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp / "bin"


def _clean_env(bindir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "VIRTUAL_ENV", "PYTHONPATH")}
    # Only the pipx bin dir and the system tools: nothing from the development venv.
    env["PATH"] = os.pathsep.join([str(bindir), "/usr/bin", "/bin"])
    return env


def test_pipx_installed_kpy_runs_the_sandbox(installed: Path) -> None:
    proc = subprocess.run(
        [str(installed / "kpy"), "sandbox", "--", "kpy", "get", "pods"],
        env=_clean_env(installed),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert names == ["web", "worker"]


def test_pipx_installed_kpy_reports_its_version(installed: Path) -> None:
    proc = subprocess.run(
        [str(installed / "kpy"), "--version"],
        env=_clean_env(installed),
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == f"kpy {__version__}\n"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_installing_makes_kubectl_kpy_work(installed: Path) -> None:
    assert (installed / "kubectl-kpy").exists()
    assert (installed / "kubectl_complete-kpy").exists()  # kubectl's plugin completion: kubectl kpy <TAB>
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    proc = subprocess.run(
        [kubectl, "kpy", "version", "--client"],
        env=_clean_env(installed),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"Client Version: v{__version__}\n"
