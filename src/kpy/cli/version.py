"""``kpy version``: kpy's version and, when a server is reachable, the server's."""

from __future__ import annotations

from typing import Annotated

import typer

from kpy.cli.common import connection_options, run_async
from kpy.config.flags import ConnectionFlags


def register(app: typer.Typer) -> None:
    app.command("version", help="Print kpy's version and, when a server is reachable, the server version.\n\n"
                                "Examples:\n\n  kpy version\n\n  kpy version --client -o json")(version_command)


@connection_options
def version_command(
    client_only: Annotated[bool, typer.Option("--client", help="Print only kpy's version.")] = False,
    output: Annotated[str, typer.Option("-o", "--output", help="One of '' (text), json or yaml.")] = "",
    *,
    flags: ConnectionFlags,
) -> None:
    raise typer.Exit(run_async(_version(client_only, output, flags)))


async def _version(client_only: bool, output: str, flags: ConnectionFlags) -> int:
    import sys

    from kpy import __version__
    from kpy.errors import KpyError, UsageError

    if output not in ("", "json", "yaml"):
        raise UsageError("--output must be 'yaml' or 'json'")
    info: dict[str, object] = {"clientVersion": {"kpyVersion": __version__}}
    error: KpyError | None = None
    if not client_only:
        from kpy.cli.common import open_client

        try:
            async with open_client(flags) as client:
                info["serverVersion"] = await client.get_json("/version")
        except KpyError as exc:
            error = exc
    if output == "json":
        from kpy.printers.structured import go_json

        sys.stdout.write(go_json(info, indent=2) + "\n")
    elif output == "yaml":
        from kpy.printers.structured import to_yaml

        sys.stdout.write(to_yaml(info))
    else:
        sys.stdout.write(f"kpy Version: {__version__}\n")
        server = info.get("serverVersion")
        if isinstance(server, dict):
            sys.stdout.write(f"Server Version: {server.get('gitVersion', '')}\n")
    if error is not None:
        sys.stderr.write(error.format() + "\n")
        return 1
    return 0
