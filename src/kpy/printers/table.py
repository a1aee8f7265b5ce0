"""Human-readable tables from server-side ``Table`` objects, laid out like kubectl's table printer.

kubectl asks the server for ``meta.k8s.io/v1`` Tables and prints them through Go's ``text/tabwriter`` with
minwidth 6, padding 3 and space padding; priority-0 columns by default, all with ``-o wide``; a NAMESPACE column
first with ``-A``; ``kind/name`` names when several resource types are printed together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter

from kpy.dataclasslite import dataclass, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TextIO

MIN_WIDTH = 6
PADDING = 3


def format_cell(value: Any) -> str:
    """A cell the way kubectl's printer writes it (``%v`` of the decoded JSON value)."""
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _row_cells(cells: list[Any], visible: list[int], prefix: str) -> list[str]:
    out = [format_cell(cells[i]) if i < len(cells) else "" for i in visible]
    if prefix and out:
        out[0] = prefix + out[0]
    return out


def _column(values: list[Any]) -> list[str]:
    """One column's cells as text; columns of only strings (or only integers) without a call per cell."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if kinds == {int}:
        return list(map(str, values))
    return [c if type(c) is str else format_cell(c) for c in values]


def cell_columns(cell_rows: list[list[Any]], visible: list[int], prefix: str) -> list[list[str]]:
    """The ``visible`` columns of rows of cells, as text (kubectl's ``%v``), column by column: rows shorter
    than a column get an empty cell; ``prefix`` goes before the first column's cells (``kind/name``)."""
    if not visible or not cell_rows:
        return [[] for _ in visible]
    if min(map(len, cell_rows)) > max(visible):
        columns = [_column(list(map(itemgetter(i), cell_rows))) for i in visible]
    else:
        columns = [list(col) for col in zip(*(_row_cells(c, visible, "") for c in cell_rows), strict=True)]
    if prefix:
        columns[0] = [prefix + cell for cell in columns[0]]
    return columns


class TabWriter:
    """Go's text/tabwriter as kubectl configures it, keeping column widths across flushes (RememberWidths)."""

    def __init__(self, out: TextIO, *, min_width: int = MIN_WIDTH, padding: int = PADDING) -> None:
        self.out = out
        self.min_width = min_width
        self.padding = padding
        self.widths: list[int] = []
        self.rows: list[Sequence[str]] = []

    def add(self, cells: Sequence[str]) -> None:
        self.rows.append([c.replace("\t", " ") for c in cells])

    def add_rows(self, rows: Iterable[Sequence[str]]) -> None:
        """Many rows at once (checked for tabs all together)."""
        block = list(rows)
        if "\t" in "".join(chain.from_iterable(block)):
            block = [[c.replace("\t", " ") for c in cells] for cells in block]
        self.rows.extend(block)

    def add_columns(self, columns: list[list[str]]) -> None:
        """Rows given column by column (as many cells in each column)."""
        self.add_rows(zip(*columns, strict=True))

    def flush(self) -> None:
        rows = self.rows
        if not rows:
            return
        count = len(rows[0])
        if count > 1 and all(len(row) == count for row in rows):
            self._flush_columns(count)
            return
        for row in self.rows:
            for i, cell in enumerate(row[:-1]):
                width = max(len(cell) + self.padding, self.min_width)
                if i >= len(self.widths):
                    self.widths.append(width)
                elif width > self.widths[i]:
                    self.widths[i] = width
        lines = []
        for row in self.rows:
            parts = [cell.ljust(self.widths[i]) for i, cell in enumerate(row[:-1])]
            if row:
                parts.append(row[-1])
            lines.append("".join(parts))
        self.out.write("".join(line + "\n" for line in lines))
        self.rows = []

    def _flush_columns(self, count: int) -> None:
        """``flush`` for rows of one length: the widths column by column, then every line in one formatting
        (a 5,000-row table in a few milliseconds)."""
        rows = self.rows
        widths = self.widths
        for i, column in enumerate(zip(*rows, strict=True)):
            if i == count - 1:
                break
            width = max(max(map(len, column)) + self.padding, self.min_width)
            if i >= len(widths):
                widths.append(width)
            elif width > widths[i]:
                widths[i] = width
        line = "".join(f"%-{width}s" for width in widths[: count - 1]) + "%s\n"
        self.out.write((line * len(rows)) % tuple(chain.from_iterable(rows)))
        self.rows = []


@dataclass
class TableOptions:
    """How a table is printed: kubectl's ``-o wide``, ``--no-headers``, ``-A``, ``--show-kind``, ``--show-labels``,
    ``-L``."""

    wide: bool = False
    no_headers: bool = False
    with_namespace: bool = False
    show_kind: bool = False
    show_labels: bool = False
    label_columns: Sequence[str] = field(default_factory=tuple)


class TablePrinter:
    """Prints Tables like cli-runtime's ``HumanReadablePrinter`` on one tabwriter (widths kept across flushes).

    A header is printed with the first rows of a table whose columns differ from the last ones printed (so named
    objects of one type, and watch events whose Tables carry no column definitions, share one header); a table
    without rows prints nothing. ``separator`` writes kubectl's blank line before this printer's first output.
    """

    def __init__(self, out: TextIO, options: TableOptions, *, separator: bool = False) -> None:
        self.out = out
        self.options = options
        self.writer = TabWriter(out)
        self.printed_header = False
        self.last_columns: list[dict[str, Any]] = []
        self.separator = separator

    def visible_columns(self, table: dict[str, Any]) -> list[int]:
        cols = table.get("columnDefinitions") or []
        return [i for i, c in enumerate(cols) if self.options.wide or int(c.get("priority", 0) or 0) == 0]

    def header(self, table: dict[str, Any]) -> list[str]:
        cols = table.get("columnDefinitions") or []
        names = [str(cols[i].get("name", "")).upper() for i in self.visible_columns(table)]
        if self.options.with_namespace:
            names.insert(0, "NAMESPACE")
        names.extend(label.rsplit("/", 1)[-1].upper() for label in self.options.label_columns)
        if self.options.show_labels:
            names.append("LABELS")
        return names

    def row_cells(self, table: dict[str, Any], row: dict[str, Any], kind_prefix: str = "") -> list[str]:
        visible = self.visible_columns(table)
        cols = table.get("columnDefinitions") or []
        cells = row.get("cells") or []
        out = [format_cell(cells[i]) if i < len(cells) else "" for i in visible]
        if kind_prefix and visible and str(cols[visible[0]].get("name", "")).lower() == "name":
            out[0] = f"{kind_prefix}/{out[0]}"
        metadata = (row.get("object") or {}).get("metadata") or {}
        if self.options.with_namespace:
            out.insert(0, str(metadata.get("namespace", "")))
        labels = metadata.get("labels") or {}
        out.extend(str(labels.get(key, "")) for key in self.options.label_columns)
        if self.options.show_labels:
            out.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
        return out

    def print_table(
        self, table: dict[str, Any], kind_prefix: str = "", *, flush: bool = True, event_type: str = ""
    ) -> int:
        """Print one Table (``event_type``: a watch event's type, shown in a first EVENT column); returns the
        number of rows."""
        columns = table.get("columnDefinitions") or []
        no_headers = self.options.no_headers
        if self.printed_header and (not columns or columns == self.last_columns):
            no_headers = True
        if not columns:
            table = {**table, "columnDefinitions": self.last_columns}
        elif columns != self.last_columns:
            self.last_columns = columns
            self.printed_header = False
        rows: list[dict[str, Any]] = table.get("rows") or []
        if not rows:
            return 0
        self.printed_header = True
        if self.separator:
            self.out.write("\n")
            self.separator = False
        if not no_headers:
            self.writer.add((["EVENT"] if event_type else []) + self.header(table))
        if event_type:
            for row in rows:
                cells = self.row_cells(table, row, kind_prefix)
                self.writer.add([_EVENT_TYPES.get(event_type, event_type), *cells])
        else:
            self.writer.add_rows(self._cells(table, rows, kind_prefix))
        if flush:
            self.writer.flush()
        return len(rows)

    def _cells(
        self, table: dict[str, Any], rows: list[dict[str, Any]], kind_prefix: str
    ) -> Iterable[Sequence[str]]:
        """``row_cells`` for every row, with the per-table work (visible columns, prefix) done once."""
        options = self.options
        if options.with_namespace or options.show_labels or options.label_columns:
            return (self.row_cells(table, row, kind_prefix) for row in rows)
        visible = self.visible_columns(table)
        cols = table.get("columnDefinitions") or []
        prefix = ""
        if kind_prefix and visible and str(cols[visible[0]].get("name", "")).lower() == "name":
            prefix = kind_prefix + "/"
        cell_rows = [row.get("cells") or [] for row in rows]
        return zip(*cell_columns(cell_rows, visible, prefix), strict=True)

    def flush(self) -> None:
        self.writer.flush()


_EVENT_TYPES = {"ADDED": "ADDED   ", "MODIFIED": "MODIFIED", "DELETED": "DELETED ", "ERROR": "ERROR   "}
