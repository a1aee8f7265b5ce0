"""``kpy get``: kubectl get on the shared REST layer (server-side tables, -o json/yaml/name/jsonpath/...)."""

from __future__ import annotations

from typing import Annotated

import typer

from kpy.cli.common import connection_options, run_async, run_oneshot
from kpy.cli.completion import complete_get_args, complete_get_output
from kpy.config.flags import ConnectionFlags

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


def register(app: typer.Typer) -> None:
    app.command("get", help="Display one or many resources." + EXAMPLES, no_args_is_help=False)(get_command)


@connection_options
def get_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[TYPE[.VERSION][.GROUP] [NAME ...] | TYPE[.VERSION][.GROUP]/NAME ...]",
            show_default=False,
            autocompletion=complete_get_args,
        ),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            autocompletion=complete_get_output,
            help="Output format: json|yaml|name|wide|jsonpath=...|"
            "jsonpath-file=...|jsonpath-as-json=...|custom-columns=...|"
            "custom-columns-file=...|go-template=...|go-template-file=...",
        ),
    ] = "",
    selector: Annotated[
        str | None, typer.Option("-l", "--selector", help="Label selector (e.g. -l key1=value1,key2=value2).")
    ] = None,
    field_selector: Annotated[
        str | None, typer.Option("--field-selector", help="Field selector (e.g. status.phase=Running).")
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("-A", "--all-namespaces", help="List across all namespaces.")
    ] = False,
    watch: Annotated[bool, typer.Option("-w", "--watch", help="After listing, watch for changes.")] = False,
    watch_only: Annotated[
        bool, typer.Option("--watch-only", help="Watch for changes without listing first.")
    ] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="Return large lists in chunks (0 disables).")
    ] = 500,
    no_headers: Annotated[
        bool, typer.Option("--no-headers", help="Don't print headers in table output.")
    ] = False,
    show_labels: Annotated[
        bool, typer.Option("--show-labels", help="Show all labels as the last column.")
    ] = False,
    label_columns: Annotated[
        list[str] | None, typer.Option("-L", "--label-columns", help="Labels to show as columns.")
    ] = None,
    filename: Annotated[
        list[str] | None, typer.Option("-f", "--filename", help="Files (or - for stdin) with the objects.")
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="With -f: print the objects from the files, without a server.")
    ] = False,
    allow_missing_template_keys: Annotated[
        bool,
        typer.Option(
            "--allow-missing-template-keys/--no-allow-missing-template-keys",
            help="Ignore errors in templates when a field or map key is missing.",
        ),
    ] = True,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="Template string or path to template file to use when -o=go-template, "
            "-o=go-template-file, -o=jsonpath or -o=jsonpath-file.",
        ),
    ] = None,
    show_managed_fields: Annotated[
        bool,
        typer.Option(
            "--show-managed-fields",
            help="If true, keep the managedFields when printing objects in JSON or YAML format.",
        ),
    ] = False,
    sort_by: Annotated[
        str,
        typer.Option(
            "--sort-by",
            help="If non-empty, sort list types using this field specification (a JSONPath "
            "expression, e.g. '{.metadata.name}').",
        ),
    ] = "",
    show_kind: Annotated[
        bool,
        typer.Option("--show-kind", help="If present, list the resource type for the requested object(s)."),
    ] = False,
    ignore_not_found: Annotated[
        bool,
        typer.Option(
            "--ignore-not-found",
            help="If set to true, suppresses NotFound error for specific objects that do not exist.",
        ),
    ] = False,
    recursive: Annotated[
        bool,
        typer.Option("-R", "--recursive", help="Process the directory used in -f, --filename recursively."),
    ] = False,
    raw: Annotated[
        str,
        typer.Option(
            "--raw",
            help="Raw URI to request from the server. Uses the transport specified by the kubeconfig file.",
        ),
    ] = "",
    subresource: Annotated[
        str,
        typer.Option(
            "--subresource",
            help="If specified, gets the subresource of the requested object. Must be one of [status scale].",
        ),
    ] = "",
    output_watch_events: Annotated[
        bool,
        typer.Option(
            "--output-watch-events",
            help="Output watch event objects when --watch or --watch-only is used. "
            "Existing objects are output as initial ADDED events.",
        ),
    ] = False,
    max_retry_time: Annotated[
        str | None,
        typer.Option(
            "--max-retry-time",
            metavar="DURATION",
            help="With --watch: exit 1 with the last error once the server has been unreachable this long "
            "(e.g. 2m). Default: keep retrying.",
        ),
    ] = None,
    *,
    flags: ConnectionFlags,
) -> None:
    from kpy.cli.get_run import GetOptions, run_get, run_get_local
    from kpy.cli.main import prog_name

    retry_time = None
    if max_retry_time is not None:  # kpy.rest imports the network stack: only when the flag is used
        from kpy.rest.watchhealth import parse_retry_time

        retry_time = parse_retry_time(max_retry_time)

    label_cols: list[str] = []
    for value in label_columns or []:
        label_cols.extend(v for v in value.split(",") if v)
    options = GetOptions(
        args=list(args or []),
        output=output,
        selector=selector,
        field_selector=field_selector,
        all_namespaces=all_namespaces,
        watch=watch or watch_only,
        watch_only=watch_only,
        chunk_size=chunk_size,
        no_headers=no_headers,
        show_labels=show_labels,
        label_columns=tuple(label_cols),
        filenames=list(filename or []),
        local=local,
        allow_missing_template_keys=allow_missing_template_keys,
        template=template,
        show_managed_fields=show_managed_fields,
        sort_by=sort_by,
        show_kind=show_kind,
        ignore_not_found=ignore_not_found,
        recursive=recursive,
        raw=raw,
        subresource=subresource,
        output_watch_events=output_watch_events,
        prog=prog_name(),
        max_retry_time=retry_time,
    )
    if options.local and options.filenames:  # offline: no event loop to start
        raise typer.Exit(run_get_local(options))
    if options.watch:
        raise typer.Exit(run_async(run_get(options, flags)))
    raise typer.Exit(run_oneshot(lambda: run_get(options, flags)))
