"""``-o jsonpath=…``, ``-o jsonpath-file=…`` and ``-o jsonpath-as-json=…``, as kubectl's JSONPathPrinter.

The template is compiled once; every ``print_obj`` runs it over what kubectl would hand its printer (one object,
or a ``List`` for several). Errors carry kubectl's wording: ``error parsing jsonpath TEMPLATE, REASON`` at
construction, ``error executing jsonpath "TEMPLATE": Error executing template: …`` (with the object dump kubectl
prints for debugging) when the template fails on an object. Output is written in batches as it is formatted, so
a 50,000-item list is never held as one string next to its pieces.
"""

from __future__ import annotations

from typing import Any, TextIO

from kpy.errors import TemplateError
from kpy.jsonpath import Template, parse
from kpy.jsonpath.gofmt import go_quote, go_sharp_v

_BATCH = 2048


def parse_error(template: str, exc: TemplateError) -> TemplateError:
    """kubectl's ``error parsing jsonpath`` error for a template that does not parse (position kept)."""
    return TemplateError(f"error parsing jsonpath {template}, {exc}", template, exc.position)


def execution_error(template: str, obj: Any, exc: TemplateError) -> TemplateError:
    """kubectl's error for a template that fails on an object (cli-runtime ``JSONPathPrinter.PrintObj``)."""
    details = (
        f"Error executing template: {exc}. Printing more information for debugging the template:\n"
        f"\ttemplate was:\n\t\t{template}\n"
        f"\tobject given to jsonpath engine was:\n\t\t{go_sharp_v(obj)}\n\n"
    )
    return TemplateError(f"error executing jsonpath {go_quote(template)}: {details}\n", template)


class JSONPathPrinter:
    def __init__(self, template: str, *, allow_missing_keys: bool = True, as_json: bool = False) -> None:
        try:
            self.template: Template = parse(template, allow_missing_keys=allow_missing_keys)
        except TemplateError as exc:
            raise parse_error(template, exc) from None
        self.raw = template
        self.as_json = as_json

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        try:
            pieces = self.template.iter_render(obj, as_json=self.as_json)
            first = next(pieces, None)  # finding happens before the first piece: errors leave no output
        except TemplateError as exc:
            raise execution_error(self.raw, obj, exc) from None
        if first is None:
            return
        batch = [first]
        for piece in pieces:
            batch.append(piece)
            if len(batch) >= _BATCH:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
