"""Output printers shared by ``kpy get`` and ``kpy events``.

Every printer has ``print_obj(obj, out)``. ``obj`` is what kubectl would hand its printer: the object itself when
one named object was asked for, else a ``List`` (``{"apiVersion": "v1", "kind": "List", "items": [...]}``) whose
items carry ``apiVersion`` and ``kind``. Table output is different (server-side ``Table`` objects) and lives in
``kpy.printers.table``.
"""

from __future__ import annotations

from kpy.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, Protocol, TextIO

    class Printer(Protocol):
        def print_obj(self, obj: dict[str, Any], out: TextIO) -> None: ...


def make_printer(
    output: str,
    *,
    no_headers: bool = False,
    allow_missing_template_keys: bool = True,
    template: str | None = None,
    show_managed_fields: bool = False,
) -> Printer:
    """The printer for ``-o OUTPUT`` (everything except table output).

    JSON and YAML leave ``metadata.managedFields`` out unless ``show_managed_fields`` (kubectl's
    ``OmitManagedFieldsPrinter``); YAML separates the second and later objects with ``---`` like kubectl's.
    """
    fmt, _, arg = output.partition("=")
    if template is not None and not arg:
        arg = template
    if fmt == "json":
        from kpy.printers.structured import JSONPrinter

        return JSONPrinter() if show_managed_fields else OmitManagedFields(JSONPrinter())
    if fmt == "yaml":
        from kpy.printers.structured import YAMLPrinter

        printer: Printer = YAMLPrinter()  # writes "---" before every object after the first, as kubectl
        return printer if show_managed_fields else OmitManagedFields(printer)
    if fmt == "name":
        from kpy.printers.structured import NamePrinter

        return NamePrinter()
    if fmt in ("jsonpath", "jsonpath-file", "jsonpath-as-json"):
        from kpy.printers.jsonpath import JSONPathPrinter

        if not arg:
            raise UsageError("template format specified but no template given")
        text = _read_template_file(arg) if fmt == "jsonpath-file" else arg
        return JSONPathPrinter(
            text, allow_missing_keys=allow_missing_template_keys, as_json=fmt == "jsonpath-as-json"
        )
    if fmt in ("go-template", "go-template-file", "template", "templatefile"):
        from kpy.printers.gotemplate import GoTemplatePrinter

        if not arg:
            raise UsageError("template format specified but no template given")
        text = _read_template_file(arg) if fmt in ("go-template-file", "templatefile") else arg
        return GoTemplatePrinter(text, allow_missing_keys=allow_missing_template_keys)
    if fmt in ("custom-columns", "custom-columns-file"):
        from kpy.printers.custom_columns import CustomColumnsPrinter

        if fmt == "custom-columns-file":
            return CustomColumnsPrinter.from_file(_read_template_file(arg), no_headers=no_headers)
        if not arg:
            raise UsageError("custom-columns format specified but no custom columns given")
        return CustomColumnsPrinter(arg, no_headers=no_headers)
    allowed = (  # kubectl get's list: sorted, comma-separated
        "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
        "jsonpath-file,name,template,templatefile,wide,yaml"
    )
    raise UsageError(
        f'unable to match a printer suitable for the output format "{output}", allowed formats are: {allowed}'
    )


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` (or of each item of a list) without ``metadata.managedFields``; shares the rest."""

    def strip(item: Any) -> Any:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(meta, dict) or "managedFields" not in meta:
            return item
        return {**item, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}

    items = obj.get("items")
    if isinstance(items, list):
        return {**obj, "items": [strip(item) for item in items]}
    stripped: dict[str, Any] = strip(obj)
    return stripped


class OmitManagedFields:
    """kubectl's ``OmitManagedFieldsPrinter``: JSON/YAML without ``metadata.managedFields``."""

    def __init__(self, delegate: Printer) -> None:
        self.delegate = delegate

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        self.delegate.print_obj(without_managed_fields(obj), out)


def _read_template_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"error reading template {path}, {exc.strerror or exc}") from None
