"""The global flags every server command takes, and where a run's state lives.

Global flags are accepted both before the command (``kpy -n kube-system get pods``) and after it
(``kpy get pods -n kube-system``), like kubectl; the command-level value wins. ``kpy.cli.command`` adds them to
every ``ClientOptions`` command and hands the command one frozen, merged ``ConnectionFlags``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import typer

from kpy.cli import completion
from kpy.cli.context import RunContext
from kpy.config.flags import ConnectionFlags, flags_from_values, merge_flags

PANEL = "Global flags"


def _opt(
    *names: str, help: str, metavar: str | None = None, autocompletion: Callable[..., Any] | None = None
) -> Any:
    return typer.Option(
        None,
        *names,
        help=help,
        metavar=metavar,
        rich_help_panel=PANEL,
        show_default=False,
        autocompletion=autocompletion,
    )


# name -> (annotation, typer.Option); the order is the order shown in --help.
_CONNECTION_PARAMS: dict[str, tuple[Any, Any]] = {
    "kubeconfig": (
        str | None,
        _opt("--kubeconfig", help="Path to the kubeconfig file to use for CLI requests."),
    ),
    "context": (
        str | None,
        _opt(
            "--context",
            help="The name of the kubeconfig context to use.",
            autocompletion=completion.complete_contexts,
        ),
    ),
    "cluster": (
        str | None,
        _opt(
            "--cluster",
            help="The name of the kubeconfig cluster to use.",
            autocompletion=completion.complete_clusters,
        ),
    ),
    "user": (
        str | None,
        _opt(
            "--user", help="The name of the kubeconfig user to use.", autocompletion=completion.complete_users
        ),
    ),
    "namespace": (
        str | None,
        _opt(
            "-n",
            "--namespace",
            help="If present, the namespace scope for this CLI request.",
            autocompletion=completion.complete_namespaces,
        ),
    ),
    "server": (str | None, _opt("-s", "--server", help="The address and port of the Kubernetes API server.")),
    "token": (str | None, _opt("--token", help="Bearer token for authentication to the API server.")),
    "insecure_skip_tls_verify": (
        bool | None,
        typer.Option(
            None,
            "--insecure-skip-tls-verify",
            rich_help_panel=PANEL,
            show_default=False,
            help="If true, the server's certificate will not be checked for validity. "
            "This will make your HTTPS connections insecure.",
        ),
    ),
    "tls_server_name": (
        str | None,
        _opt("--tls-server-name", help="Server name to use for server certificate validation."),
    ),
    "certificate_authority": (
        str | None,
        _opt("--certificate-authority", help="Path to a cert file for the certificate authority."),
    ),
    "client_certificate": (
        str | None,
        _opt("--client-certificate", help="Path to a client certificate file for TLS."),
    ),
    "client_key": (str | None, _opt("--client-key", help="Path to a client key file for TLS.")),
    "request_timeout": (
        str | None,
        _opt(
            "--request-timeout",
            metavar="DURATION",
            help="How long to wait for a single server request (e.g. 1s, 2m). 0 = no timeout.",
        ),
    ),
    "as_user": (str | None, _opt("--as", help="Username to impersonate for the operation.")),
    "as_groups": (
        list[str] | None,
        _opt("--as-group", help="Group to impersonate for the operation (repeatable)."),
    ),
    "qps": (float | None, _opt("--qps", help="Client-side rate limit: queries per second (default 5).")),
    "burst": (int | None, _opt("--burst", help="Client-side rate limit: burst (default 10).")),
    "cache_dir": (str | None, _opt("--cache-dir", help="Default cache directory (default ~/.kube/cache).")),
    "verbosity": (
        int | None,
        _opt(
            "-v",
            "--v",
            metavar="LEVEL",
            help="Log level: 6 logs requests, 8 headers and bodies (9 longer ones).",
        ),
    ),
}


_DEBUG_OPTION: Any = typer.Option(
    False, "--debug", help="Show tracebacks for errors.", rich_help_panel=PANEL, show_default=False
)


def root_callback_params() -> list[inspect.Parameter]:
    """The same flags for the root callback (``kpy -n NS get pods``)."""
    return [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
        for name, (annotation, option) in _CONNECTION_PARAMS.items()
    ]


def connection_params() -> list[inspect.Parameter]:
    """The global flags (and ``--debug``) as keyword parameters of a command's typer callback."""
    return [
        *root_callback_params(),
        inspect.Parameter("debug_", inspect.Parameter.KEYWORD_ONLY, default=_DEBUG_OPTION, annotation=bool),
    ]


def run_context(ctx: Any) -> RunContext:
    """The ``RunContext`` of this run (``kpy.cli.main.run`` passes it as the root context's ``obj``)."""
    root = ctx.find_root().obj
    if not isinstance(root, RunContext):
        root = RunContext()
        ctx.find_root().obj = root
    return root


def command_flags(run: RunContext, values: dict[str, Any]) -> ConnectionFlags:
    """Pop the global flags given after the command from ``values``; merge them over the root ones."""
    connection = {name: values.pop(name, None) for name in _CONNECTION_PARAMS}
    debug = bool(values.pop("debug_", False))  # --debug after the command too
    run.debug = run.debug or debug
    flags = merge_flags(run.root_flags, flags_from_values(connection))
    run.set_logging(flags.verbosity)
    return flags
