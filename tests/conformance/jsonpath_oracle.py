"""Runs the installed kubectl as the JSONPath oracle (offline: ``kubectl label --local -f FILE tmp-``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

KUBECTL = shutil.which("kubectl")


def kubectl_jsonpath(
    obj: dict[str, Any], template: str, allow_missing_keys: bool = True, fmt: str = "jsonpath"
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of kubectl printing ``obj`` with ``-o FMT=TEMPLATE``."""
    assert KUBECTL is not None
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, ensure_ascii=False)
        proc = subprocess.run(
            [
                KUBECTL,
                "label",
                "--local",
                "-f",
                path,
                "tmp-",
                f"--output={fmt}={template}",
                f"--allow-missing-template-keys={'true' if allow_missing_keys else 'false'}",
            ],
            capture_output=True,
            env={"PATH": os.environ.get("PATH", ""), "HOME": tempfile.gettempdir(), "KUBECONFIG": os.devnull},
            timeout=30,
            check=False,
        )
    finally:
        os.unlink(path)
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "surrogateescape"),
    )
