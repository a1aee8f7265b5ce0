"""Fixtures: kubeconfig files in tmp_path and an environment with no real HOME/KUBECONFIG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(name: str, doc: dict[str, Any] | None = None, **parts: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc if doc is not None else kubeconfig_doc(**parts)), encoding="utf-8")
        return path

    return write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: HOME is an empty temp dir, no KUBECONFIG, no in-cluster variables."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "PATH": "/usr/bin:/bin"}
