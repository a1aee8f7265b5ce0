"""The global flags every server command takes, and where a run's state lives.

Global flags are accepted both before the command (``kpy -n kube-system get pods``) and after it
(``kpy get pods -n kube-system``), like kubectl; the command-level value wins. ``kpy.cli.command`` adds them to
every ``ClientOptions`` command and hands the command one frozen, merged ``ConnectionFlags``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from kpy.cli import framework
from kpy.cli.command import lazy_completer
from kpy.cli.context import RunContext
from kpy.config.flags import ConnectionFlags, flags_from_values, merge_flags

PANEL = "Global flags"

Completer = Callable[[Any, str], list[str]]


def completer(fn: Completer | None) -> Callable[[click.Context, click.Parameter, str], list[str]] | None:
    """click's ``shell_complete`` callback for one of kpy's ``(ctx, incomplete) -> values`` completers: the
    values that start with what was typed."""
    if fn is None:
        return None

    def shell_complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        return [value for value in fn(ctx, incomplete) if value.startswith(incomplete)]

    return shell_complete


# field name -> (flags, help, metavar, kind, completer); the order is the order shown in --help.
_CONNECTION_FLAGS: dict[str, tuple[tuple[str, ...], str, str | None, str, Completer | None]] = {
    "kubeconfig": (
        ("--kubeconfig",),
        "Path to the kubeconfig file to use for CLI requests.",
        None,
        "str",
        None,
    ),
    "context": (
        ("--context",),
        "The name of the kubeconfig context to use.",
        None,
        "str",
        lazy_completer("complete_contexts"),
    ),
    "cluster": (
        ("--cluster",),
        "The name of the kubeconfig cluster to use.",
        None,
        "str",
        lazy_completer("complete_clusters"),
    ),
    "user": (
        ("--user",),
        "The name of the kubeconfig user to use.",
        None,
        "str",
        lazy_completer("complete_users"),
    ),
    "namespace": (
        ("-n", "--namespace"),
        "If present, the namespace scope for this CLI request.",
        None,
        "str",
        lazy_completer("complete_namespaces"),
    ),
    "server": (("-s", "--server"), "The address and port of the Kubernetes API server.", None, "str", None),
    "token": (("--token",), "Bearer token for authentication to the API server.", None, "str", None),
    "insecure_skip_tls_verify": (
        ("--insecure-skip-tls-verify",),
        "If true, the server's certificate will not be checked for validity. "
        "This will make your HTTPS connections insecure.",
        None,
        "bool",
        None,
    ),
    "tls_server_name": (
        ("--tls-server-name",),
        "Server name to use for server certificate validation.",
        None,
        "str",
        None,
    ),
    "certificate_authority": (
        ("--certificate-authority",),
        "Path to a cert file for the certificate authority.",
        None,
        "str",
        None,
    ),
    "client_certificate": (
        ("--client-certificate",),
        "Path to a client certificate file for TLS.",
        None,
        "str",
        None,
    ),
    "client_key": (("--client-key",), "Path to a client key file for TLS.", None, "str", None),
    "request_timeout": (
        ("--request-timeout",),
        "How long to wait for a single server request (e.g. 1s, 2m). 0 = no timeout.",
        "DURATION",
        "str",
        None,
    ),
    "as_user": (("--as",), "Username to impersonate for the operation.", None, "str", None),
    "as_groups": (
        ("--as-group",),
        "Group to impersonate for the operation (repeatable).",
        None,
        "list",
        None,
    ),
    "as_uid": (("--as-uid",), "UID to impersonate for the operation.", None, "str", None),
    "qps": (("--qps",), "Client-side rate limit: queries per second (default 5).", None, "float", None),
    "burst": (("--burst",), "Client-side rate limit: burst (default 10).", None, "int", None),
    "cache_dir": (("--cache-dir",), "Default cache directory (default ~/.kube/cache).", None, "str", None),
    "verbosity": (
        ("-v", "--v"),
        "Log level: 6 logs requests, 8 headers and bodies (9 longer ones).",
        "LEVEL",
        "int",
        None,
    ),
}

#: every spelling of a global flag that takes a value (``--kubeconfig``, ``-n`` ...)
VALUE_FLAGS = frozenset(
    name for decls, _, _, kind, _ in _CONNECTION_FLAGS.values() if kind != "bool" for name in decls
)

_TYPES: dict[str, Any] = {
    "str": click.STRING,
    "int": framework.INT,
    "float": framework.FLOAT,
    "list": click.STRING,
}


def connection_options(*, hidden: bool = False) -> list[click.Parameter]:
    """The global flags as click options (new objects for every command that takes them)."""
    out: list[click.Parameter] = []
    for name, (decls, help, metavar, kind, complete) in _CONNECTION_FLAGS.items():
        if kind == "bool":
            out.append(
                framework.Option(
                    [*decls, name],
                    is_flag=True,
                    flag_value=True,
                    default=None,
                    help=help,
                    hidden=hidden,
                    panel=PANEL,
                )
            )
            continue
        out.append(
            framework.Option(
                [*decls, name],
                type=_TYPES[kind],
                multiple=kind == "list",
                default=None,
                help=help,
                metavar=metavar,
                hidden=hidden,
                panel=PANEL,
                shell_complete=completer(complete),
            )
        )
    return out


def debug_option(name: str = "debug_", *, panel: str | None = PANEL) -> click.Parameter:
    return framework.Option(
        ["--debug", name], is_flag=True, default=False, help="Show tracebacks for errors.", panel=panel
    )


def run_context(ctx: Any) -> RunContext:
    """The ``RunContext`` of this run (``kpy.cli.main.run`` passes it as the root context's ``obj``)."""
    root = ctx.find_root()
    if not isinstance(root.obj, RunContext):
        root.obj = RunContext()
    state: RunContext = root.obj
    return state


def command_flags(run: RunContext, values: dict[str, Any]) -> ConnectionFlags:
    """Pop the global flags given after the command from ``values``; merge them over the root ones."""
    connection = {name: values.pop(name, None) for name in _CONNECTION_FLAGS}
    debug = bool(values.pop("debug_", False))  # --debug after the command too
    run.debug = run.debug or debug
    flags = merge_flags(run.root_flags, flags_from_values(connection))
    run.set_logging(flags.verbosity)
    return flags


def group_flags(run: RunContext, values: dict[str, Any]) -> None:
    """Global flags given between a group and its subcommand count as given before the group."""
    connection = {name: values.pop(name, None) for name in _CONNECTION_FLAGS}
    run.root_flags = merge_flags(run.root_flags, flags_from_values(connection))


def root_flags(run: RunContext, values: dict[str, Any]) -> None:
    """The global flags given before the command."""
    connection = {name: values.pop(name, None) for name in _CONNECTION_FLAGS}
    run.root_flags = flags_from_values(connection)
    run.set_logging(run.root_flags.verbosity)
