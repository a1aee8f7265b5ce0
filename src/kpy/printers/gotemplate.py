"""``-o go-template=…``, ``-o go-template-file=…`` (and ``template``/``templatefile``), as kubectl's
``GoTemplatePrinter``: the object as decoded JSON, kubectl's ``exists`` and ``base64decode`` functions, and on an
execution error the output written so far, kubectl's debugging dump on stdout and its one-line error."""

from __future__ import annotations

from typing import Any, TextIO

from kpy.errors import TemplateError
from kpy.jsonpath.gofmt import go_quote, go_v
from kpy.jsonpath.gotemplate import GoTemplate, GoTemplateError


class GoTemplatePrinter:
    def __init__(self, template: str, *, allow_missing_keys: bool = True) -> None:
        self.raw = template
        try:
            self.template = GoTemplate(template, allow_missing_keys=allow_missing_keys)
        except TemplateError as exc:
            raise TemplateError(f"error parsing template {template}, {exc}", template) from None

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        try:
            self.template.execute(obj, out.write)
        except GoTemplateError as exc:
            from kpy.gocompat.jsonindent import go_json

            out.write(
                f"Error executing template: {exc}. Printing more information for debugging the template:\n"
                f"\ttemplate was:\n\t\t{self.raw}\n"
                f"\traw data was:\n\t\t{go_json(obj, indent=None)}\n"
                f"\tobject given to template engine was:\n\t\t{go_v(obj)}\n\n"
            )
            raise TemplateError(f"error executing template {go_quote(self.raw)}: {exc}", self.raw) from None
