"""pyOpenSSL is loaded only when ``kpy certs check`` reads a chain (Python < 3.13), not by importing kpy."""

from __future__ import annotations

import subprocess
import sys


def test_importing_certs_and_its_cli_does_not_load_pyopenssl() -> None:
    code = (
        "import sys, kpy.certs.chain, kpy.certs.check, kpy.cli.certs; "
        "print(sorted(m for m in sys.modules if m == 'OpenSSL' or m.startswith('OpenSSL.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
