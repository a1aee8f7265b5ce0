"""``-o custom-columns=SPEC`` and ``-o custom-columns-file=FILE``, as kubectl's CustomColumnsPrinter.

A spec is ``HEADER:PATH,...`` (split on every comma, then on the first colon); a file is one line of headers
and one line of paths, whitespace separated. Paths are "relaxed" (``metadata.name``, ``.metadata.name``,
``{metadata.name}`` and ``{.metadata.name}`` all mean ``{.metadata.name}``) and evaluated with missing keys
allowed; several values join with commas, none prints ``<none>``, values print with Go's ``%v``. Rows are laid
out by Go's tabwriter settings kubectl uses (min width 6, padding 3); the header is printed once per printer.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from kpy.errors import TemplateError, UsageError
from kpy.jsonpath import Template, parse
from kpy.jsonpath.gofmt import go_v
from kpy.printers.table import TabWriter

_RELAXED = re.compile(r"\{\.?([^{}]+)\}|\.?([^{}]+)")
_FILE_FORMAT = (
    "Expected format is one line of space separated headers, one line of space separated column specs."
)


def relaxed_jsonpath(expression: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression``."""
    if not expression:
        return expression
    match = _RELAXED.fullmatch(expression)
    if match is None:
        raise UsageError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
            "or '{.name1.name2}'"
        )
    return "{.%s}" % (match.group(1) or match.group(2))


def _escape_terminal(text: str) -> str:
    return text.replace("\x1b", "^[").replace("\r", "\\r")


def _cell(values: list[list[Any]]) -> str:
    strings = [] if values and values[0] else ["<none>"]
    for group in values:
        for value in group:
            strings.append(_escape_terminal(go_v(value)))
    return ",".join(strings)


class CustomColumnsPrinter:
    def __init__(
        self,
        spec: str | None = None,
        *,
        no_headers: bool = False,
        columns: list[tuple[str, str]] | None = None,
    ) -> None:
        if columns is None:
            columns = self._parse_spec(spec or "")
        self.headers = [header for header, _ in columns]
        self.specs = [path for _, path in columns]
        self.no_headers = no_headers
        self._printed_header = False
        self._templates: list[Template] = []
        self._error: TemplateError | None = None
        try:  # kubectl parses at print time: a bad path only fails once there is something to print
            self._templates = [parse(path, allow_missing_keys=True) for path in self.specs]
        except TemplateError as exc:
            self._error = exc

    @staticmethod
    def _parse_spec(spec: str) -> list[tuple[str, str]]:
        if not spec:
            raise UsageError("custom-columns format specified but no custom columns given")
        columns = []
        for part in spec.split(","):
            header, sep, path = part.partition(":")
            if not sep:
                raise UsageError(
                    f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                )
            columns.append((header, relaxed_jsonpath(path)))
        return columns

    @classmethod
    def from_file(cls, text: str, *, no_headers: bool = False) -> CustomColumnsPrinter:
        """From a custom-columns file's content. Like kubectl, ``--no-headers`` does not apply to file specs."""
        lines = text.split("\n")
        if not text or len(lines) < 1:
            raise UsageError(f"invalid template, missing header line. {_FILE_FORMAT}")
        if len(lines) < 2 or (len(lines) == 2 and lines[1] == "" and text.endswith("\n")):
            raise UsageError(f"invalid template, missing spec line. {_FILE_FORMAT}")
        headers = lines[0].removesuffix("\r").split()
        specs = lines[1].removesuffix("\r").split()
        if len(headers) != len(specs):
            raise UsageError(
                f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match"
            )
        return cls(
            columns=[(h, relaxed_jsonpath(s)) for h, s in zip(headers, specs, strict=True)], no_headers=False
        )

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        writer = TabWriter(out)
        if not self.no_headers and not self._printed_header:
            writer.add("\t".join(self.headers).split("\t"))
            self._printed_header = True
        try:
            if self._error is not None:
                raise self._error
            items = obj.get("items") if _is_list(obj) else [obj]
            for item in items or []:
                row = "\t".join(_cell(t.find(item)) for t in self._templates)
                writer.add(row.split("\t"))
        finally:
            writer.flush()


def _is_list(obj: dict[str, Any]) -> bool:
    """meta.IsListType: an ``items`` field that is a list (kind List and every *List kind)."""
    return isinstance(obj.get("items"), list) or (
        str(obj.get("kind", "")).endswith("List") and "items" in obj
    )
