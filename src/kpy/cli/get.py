"""``kpy get``: kubectl get on the shared REST layer (server-side tables, -o json/yaml/name/jsonpath/...).

The command line is ``GetOptions`` below; the engine that fetches and prints is ``get_run`` (lists, named
objects, ``-f``, ``--raw``), and ``--watch`` is ``get_watch``.
"""

from __future__ import annotations

from collections.abc import Coroutine

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, lazy_completer, option
from kpy.dataclasslite import dataclass, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

EXAMPLES = """

Examples:

  # List all pods in the current namespace, with more information
  kpy get pods -o wide

  # List one pod as JSON, and the names of all pods with a label
  kpy get pod web -o json
  kpy get pods -l app=web -o name

  # Print names and phases with a kubectl JSONPath template
  kpy get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'

  # Watch pods in every namespace (resumes across dropped connections)
  kpy get pods -A --watch

  # Print objects from a file without a server
  kpy get -f pods.json --local -o jsonpath='{.items[*].metadata.name}'
"""


_complete_get_args = lazy_completer("complete_get_args")
_complete_get_output = lazy_completer("complete_get_output")


@dataclass(frozen=True)
class GetOptions(ClientOptions):
    """``kpy get [TYPE[.VERSION][.GROUP] [NAME ...] | TYPE/NAME ...] [flags]``."""

    args: tuple[str, ...] = argument(
        metavar="[TYPE[.VERSION][.GROUP] [NAME ...] | TYPE[.VERSION][.GROUP]/NAME ...]",
        multiple=True,
        complete=_complete_get_args,
    )
    output: str = option(
        "-o",
        "--output",
        default="",
        complete=_complete_get_output,
        help="Output format: json|yaml|name|wide|jsonpath=...|"
        "jsonpath-file=...|jsonpath-as-json=...|custom-columns=...|"
        "custom-columns-file=...|go-template=...|go-template-file=...",
    )
    selector: str | None = option(
        "-l", "--selector", default=None, help="Label selector (e.g. -l key1=value1,key2=value2)."
    )
    field_selector: str | None = option(
        "--field-selector", default=None, help="Field selector (e.g. status.phase=Running)."
    )
    all_namespaces: bool = flag("-A", "--all-namespaces", help="List across all namespaces.")
    watch: bool = flag("-w", "--watch", help="After listing, watch for changes.")
    watch_only: bool = flag("--watch-only", help="Watch for changes without listing first.")
    chunk_size: int = option("--chunk-size", default=500, help="Return large lists in chunks (0 disables).")
    no_headers: bool = flag("--no-headers", help="Don't print headers in table output.")
    show_labels: bool = flag("--show-labels", help="Show all labels as the last column.")
    label_columns: tuple[str, ...] = option(
        "-L", "--label-columns", default=(), multiple=True, help="Labels to show as columns."
    )
    filename: tuple[str, ...] = option(
        "-f", "--filename", default=(), multiple=True, help="Files (or - for stdin) with the objects."
    )
    local: bool = flag("--local", help="With -f: print the objects from the files, without a server.")
    allow_missing_template_keys: bool = flag(
        "--allow-missing-template-keys/--no-allow-missing-template-keys",
        default=True,
        help="Ignore errors in templates when a field or map key is missing.",
    )
    template: str | None = option(
        "--template",
        default=None,
        help="Template string or path to template file to use when -o=go-template, "
        "-o=go-template-file, -o=jsonpath or -o=jsonpath-file.",
    )
    show_managed_fields: bool = flag(
        "--show-managed-fields",
        help="If true, keep the managedFields when printing objects in JSON or YAML format.",
    )
    sort_by: str = option(
        "--sort-by",
        default="",
        help="If non-empty, sort list types using this field specification (a JSONPath "
        "expression, e.g. '{.metadata.name}').",
    )
    show_kind: bool = flag(
        "--show-kind", help="If present, list the resource type for the requested object(s)."
    )
    ignore_not_found: bool = flag(
        "--ignore-not-found",
        help="If set to true, suppresses NotFound error for specific objects that do not exist.",
    )
    recursive: bool = flag(
        "-R", "--recursive", help="Process the directory used in -f, --filename recursively."
    )
    raw: str = option(
        "--raw",
        default="",
        help="Raw URI to request from the server. Uses the transport specified by the kubeconfig file.",
    )
    subresource: str = option(
        "--subresource",
        default="",
        help="If specified, gets the subresource of the requested object. Must be one of [status scale].",
    )
    output_watch_events: bool = flag(
        "--output-watch-events",
        help="Output watch event objects when --watch or --watch-only is used. "
        "Existing objects are output as initial ADDED events.",
    )
    max_retry_time: str | None = option(
        "--max-retry-time",
        default=None,
        metavar="DURATION",
        help="With --watch: exit 1 with the last error once the server has been unreachable this long "
        "(e.g. 2m). Default: keep retrying.",
    )
    #: set by complete: the command's name in messages, and --max-retry-time in seconds (None: retry forever)
    prog: str = "kpy"
    retry_seconds: float | None = None

    @property
    def table(self) -> bool:
        return self.output in ("", "wide") and not (self.template and not self.output)

    def complete(self, ctx: RunContext) -> GetOptions:
        retry_seconds = None
        if self.max_retry_time is not None:  # kpy.rest imports the network stack: only when the flag is used
            from kpy.rest.watchhealth import parse_retry_time

            retry_seconds = parse_retry_time(self.max_retry_time)
        label_columns = tuple(v for value in self.label_columns for v in value.split(",") if v)
        return replace(
            self,
            watch=self.watch or self.watch_only,
            label_columns=label_columns,
            prog=ctx.prog,
            retry_seconds=retry_seconds,
        )

    def validate(self) -> None:
        from kpy.cli.get_run import validate

        validate(self)

    def one_shot(self) -> bool:
        return not self.watch

    def run(self, ctx: RunContext) -> int | Coroutine[Any, Any, int]:
        from kpy.cli.get_run import run_get, run_get_local

        if self.local and self.filename:  # offline: no event loop to start
            return run_get_local(self)
        return run_get(self, ctx.client)


def register(app: Any) -> None:
    add_command(app, "get", GetOptions, help="Display one or many resources." + EXAMPLES)
