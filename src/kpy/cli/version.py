"""``kpy version``: kubectl's ``version`` for kpy: the client's version and, when reachable, the server's.

The layout is kubectl's: ``Client Version:``/``Server Version:`` lines, and for ``-o json|yaml`` a
``clientVersion`` object with kubectl's keys (``major``, ``minor``, ``gitVersion`` ...) and ``serverVersion`` exactly
as ``GET /version`` answered. Where kpy differs, on purpose:

- no ``Kustomize Version`` line or ``kustomizeVersion`` key: kpy embeds no kustomize, and naming one would be false;
- ``clientVersion`` describes kpy (``gitVersion: v0.1.0``), with ``pythonVersion`` where kubectl has
  ``goVersion`` and ``compiler: cpython``; ``gitCommit``/``gitTreeState``/``buildDate`` are empty, because a
  Python package installed by pip does not know them (client-go's default for an unstamped build is no better);
- the version-skew warning compares the server with the Kubernetes release whose kubectl and client-go kpy
  reproduces (``KUBERNETES_VERSION``), since kpy's own version number says nothing about API compatibility.
  The warning text is kubectl 1.32's, on stderr, and does not change the exit code.
"""

from __future__ import annotations

import re
from typing import Any

from kpy.cli.command import ClientOptions, RunContext, add_command, flag, option
from kpy.cli.completion import complete_version_output
from kpy.dataclasslite import dataclass

#: The Kubernetes release kpy mirrors (kubectl/client-go 1.32): the "client" side of the skew warning.
KUBERNETES_VERSION = (1, 32)
#: kubectl's supportedMinorVersionSkew.
SUPPORTED_MINOR_SKEW = 1

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

HELP = (
    "Print the client and server version information for the current context.\n\n"
    "Examples:\n\n  # Print the client and server versions for the current context\n"
    "  kpy version\n\n  kpy version --client -o json"
)


@dataclass(frozen=True)
class VersionOptions(ClientOptions):
    """``kpy version [--client] [-o json|yaml]``."""

    client_only: bool = flag("--client", help="If true, shows client version only (no server required).")
    output: str = option(
        "-o", "--output", default="", complete=complete_version_output, help="One of 'yaml' or 'json'."
    )

    def validate(self) -> None:
        from kpy.errors import UsageError

        if self.output not in ("", "json", "yaml"):
            raise UsageError("--output must be 'yaml' or 'json'")

    async def run(self, ctx: RunContext) -> int:
        from kpy.errors import KpyError

        info: dict[str, Any] = {"clientVersion": client_version()}
        error: KpyError | None = None
        if not self.client_only:
            try:
                async with ctx.client(self.flags) as client:
                    info["serverVersion"] = await client.get_json("/version")
            except KpyError as exc:
                error = exc
        render(info, self.output)
        if error is not None:
            import sys

            sys.stderr.write(error.format() + "\n")
            return 1
        return 0


def register(app: Any) -> None:
    add_command(app, "version", VersionOptions, help=HELP)


def client_version() -> dict[str, str]:
    """kpy's ``clientVersion``, in the key order of apimachinery's ``version.Info``."""
    import platform

    from kpy import __version__
    from kpy.rest.client import default_user_agent

    parts = [*__version__.split("."), "", ""][:2]
    return {
        "major": parts[0],
        "minor": parts[1],
        "gitVersion": f"v{__version__}",
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "pythonVersion": platform.python_version(),
        "compiler": platform.python_implementation().lower(),
        "platform": default_user_agent().rsplit("(", 1)[1].rstrip(")"),
    }


def skew_warning(server: dict[str, Any]) -> str | None:
    """kubectl's version-skew warning for this server, or None (also None when gitVersion is not semver)."""
    match = _SEMVER.match(str(server.get("gitVersion", "")))
    if match is None:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    client_major, client_minor = KUBERNETES_VERSION
    if major == client_major and abs(minor - client_minor) <= SUPPORTED_MINOR_SKEW:
        return None
    return (
        f"WARNING: version difference between client ({client_major}.{client_minor}) and server "
        f"({major}.{minor}) exceeds the supported minor version skew of +/-{SUPPORTED_MINOR_SKEW}"
    )


def render(info: dict[str, Any], output: str) -> None:
    """kubectl's output for ``info`` (``clientVersion`` and, when reached, ``serverVersion``), and its skew
    warning on stderr."""
    import sys

    server = info.get("serverVersion")
    if output == "json":
        import json

        # Not go_json: kubectl marshals structs, so keys keep their order (the server's, for serverVersion).
        sys.stdout.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    elif output == "yaml":
        from kpy.printers.structured import to_yaml

        sys.stdout.write(to_yaml(info) + "\n")  # kubectl's Fprintln adds a blank line after the document
    else:
        sys.stdout.write(f"Client Version: {info['clientVersion']['gitVersion']}\n")
        if isinstance(server, dict):
            sys.stdout.write(f"Server Version: {server.get('gitVersion', '')}\n")
    sys.stdout.flush()
    if isinstance(server, dict) and (warning := skew_warning(server)) is not None:
        sys.stderr.write(warning + "\n")
