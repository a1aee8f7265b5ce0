"""``kpy.config`` is imported at CLI start-up, so it must not pull in heavy modules."""

from __future__ import annotations

import subprocess
import sys


def test_importing_kpy_config_loads_no_heavy_modules() -> None:
    code = (
        "import sys, kpy.config; from kpy.config import ConnectionFlags; "
        "print(sorted(m for m in ('yaml', 'ssl', 'asyncio', 'kubernetes', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lazy_names_resolve() -> None:
    import kpy.config as config

    assert config.load_client_config.__module__ == "kpy.config.loader"
    assert config.ClientConfig.__module__ == "kpy.config.client_config"
    assert callable(config.redact_headers)
