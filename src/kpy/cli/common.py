"""What every command shares: the connection flags, the asyncio boundary and the client factory.

Global flags are accepted both before the command (``kpy -n kube-system get pods``) and after it
(``kpy get pods -n kube-system``), like kubectl; the command-level value wins. ``connection_options`` adds them to
a command's signature so typer shows and parses them, and hands the command one frozen ``ConnectionFlags``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from kpy.cli import completion
from kpy.cli.command import RunContext, default_open_client
from kpy.cli.command import run_async as run_async  # re-exported for the commands not yet converted
from kpy.config.flags import ConnectionFlags

if TYPE_CHECKING:
    from kpy.rest import RestClient

T = TypeVar("T")

PANEL = "Global flags"


def _opt(*names: str, help: str, metavar: str | None = None,
         autocompletion: Callable[..., Any] | None = None) -> Any:
    return typer.Option(None, *names, help=help, metavar=metavar, rich_help_panel=PANEL, show_default=False,
                        autocompletion=autocompletion)


# name -> (annotation, typer.Option); the order is the order shown in --help.
_CONNECTION_PARAMS: dict[str, tuple[Any, Any]] = {
    "kubeconfig": (str | None, _opt("--kubeconfig", help="Path to the kubeconfig file to use for CLI requests.")),
    "context": (str | None, _opt("--context", help="The name of the kubeconfig context to use.",
                                 autocompletion=completion.complete_contexts)),
    "cluster": (str | None, _opt("--cluster", help="The name of the kubeconfig cluster to use.",
                                 autocompletion=completion.complete_clusters)),
    "user": (str | None, _opt("--user", help="The name of the kubeconfig user to use.",
                                 autocompletion=completion.complete_users)),
    "namespace": (str | None, _opt("-n", "--namespace", help="If present, the namespace scope for this CLI request.",
                                 autocompletion=completion.complete_namespaces)),
    "server": (str | None, _opt("-s", "--server", help="The address and port of the Kubernetes API server.")),
    "token": (str | None, _opt("--token", help="Bearer token for authentication to the API server.")),
    "insecure_skip_tls_verify": (
        bool | None,
        typer.Option(None, "--insecure-skip-tls-verify", rich_help_panel=PANEL, show_default=False,
                     help="If true, the server's certificate will not be checked for validity. "
                          "This will make your HTTPS connections insecure."),
    ),
    "tls_server_name": (str | None, _opt("--tls-server-name", help="Server name to use for server certificate validation.")),
    "certificate_authority": (str | None, _opt("--certificate-authority", help="Path to a cert file for the certificate authority.")),
    "client_certificate": (str | None, _opt("--client-certificate", help="Path to a client certificate file for TLS.")),
    "client_key": (str | None, _opt("--client-key", help="Path to a client key file for TLS.")),
    "request_timeout": (str | None, _opt("--request-timeout", metavar="DURATION",
                                         help="How long to wait for a single server request (e.g. 1s, 2m). 0 = no timeout.")),
    "as_user": (str | None, _opt("--as", help="Username to impersonate for the operation.")),
    "as_groups": (list[str] | None, _opt("--as-group", help="Group to impersonate for the operation (repeatable).")),
    "qps": (float | None, _opt("--qps", help="Client-side rate limit: queries per second (default 5).")),
    "burst": (int | None, _opt("--burst", help="Client-side rate limit: burst (default 10).")),
    "cache_dir": (str | None, _opt("--cache-dir", help="Default cache directory (default ~/.kube/cache).")),
    "verbosity": (int | None, _opt("-v", "--v", metavar="LEVEL",
                                   help="Log level: 6 logs requests, 8 headers and bodies (9 longer ones).")),
}


_DEBUG_OPTION: Any = typer.Option(False, "--debug", help="Show tracebacks for errors.", rich_help_panel=PANEL,
                                  show_default=False)


def flags_from_values(values: dict[str, Any]) -> ConnectionFlags:
    """Turn parsed option values (None = unset) into ConnectionFlags."""
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name == "as_groups":
            value = tuple(value)
            if not value:
                continue
        kwargs[name] = value
    return ConnectionFlags(**kwargs)


def merge_flags(root: ConnectionFlags, command: ConnectionFlags) -> ConnectionFlags:
    """Command-level flags win over root-level ones; unset (None/empty/0) values fall through."""
    default = ConnectionFlags()
    changes = {f.name: getattr(command, f.name) for f in fields(ConnectionFlags)
               if getattr(command, f.name) != getattr(default, f.name)}
    return replace(root, **changes)


def connection_options(fn: Callable[..., T]) -> Callable[..., T]:
    """Add the global connection flags to a typer command and inject ``flags: ConnectionFlags``."""
    import typing

    sig = inspect.signature(fn)
    # Resolve string annotations (``from __future__ import annotations``): typer reads Annotated[...] metadata
    # from the real objects, and a string annotation would silently drop the option names (-o, -f, -A).
    hints = typing.get_type_hints(fn, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
        if p.name != "flags"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
        for name, (annotation, option) in _CONNECTION_PARAMS.items()
    ]
    added.append(inspect.Parameter("debug_", inspect.Parameter.KEYWORD_ONLY, default=_DEBUG_OPTION, annotation=bool))

    # typer hands the context to one parameter: the command's own when it has one
    own_ctx = next((p.name for p in own if p.annotation is typer.Context), None)
    if own_ctx is None:
        added.append(inspect.Parameter("ctx_", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        ctx = kwargs[own_ctx] if own_ctx is not None else kwargs.pop("ctx_")
        flags = command_flags(run_context(ctx), kwargs)
        return fn(*args, flags=flags, **kwargs)

    annotations = {k: v for k, v in hints.items() if k != "flags"}
    annotations.update({name: annotation for name, (annotation, _) in _CONNECTION_PARAMS.items()})
    annotations["debug_"] = bool
    if own_ctx is None:
        annotations["ctx_"] = typer.Context
    wrapper.__annotations__ = annotations
    wrapper.__signature__ = sig.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
    del wrapper.__wrapped__  # typer must see the new signature, not the wrapped one
    return wrapper


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


def run_context(ctx: typer.Context) -> RunContext:
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


def open_client(flags: ConnectionFlags) -> AbstractAsyncContextManager[RestClient]:
    """Load the kubeconfig the kubectl way and open one REST client (one connection pool) for the command."""
    return default_open_client(flags)


Opt = Annotated  # re-exported for command modules that want a short name


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """Run awaitables concurrently; the first failure cancels the rest and is raised (no swallowed errors)."""
    import asyncio

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(_as_coro(a)) for a in aws]
    return [t.result() for t in tasks]


async def _as_coro(aw: Awaitable[T]) -> T:
    return await aw
