"""Table output is laid out like kubectl's tabwriter (minwidth 6, padding 3) and honours its options."""

from __future__ import annotations

import io
from typing import Any

from kpy.printers.table import TableOptions, TablePrinter, format_cell

TABLE: dict[str, Any] = {
    "kind": "Table",
    "columnDefinitions": [
        {"name": "Name", "type": "string", "priority": 0},
        {"name": "Ready", "type": "string", "priority": 0},
        {"name": "Status", "type": "string", "priority": 0},
        {"name": "Restarts", "type": "integer", "priority": 0},
        {"name": "IP", "type": "string", "priority": 1},
    ],
    "rows": [
        {
            "cells": ["web", "1/1", "Running", 0, "10.0.0.7"],
            "object": {
                "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "a"}}
            },
        },
        {
            "cells": ["worker-with-long-name", "0/1", "Pending", 12, None],
            "object": {"metadata": {"name": "worker-with-long-name", "namespace": "jobs"}},
        },
    ],
}


def render(options: TableOptions, prefix: str = "") -> str:
    out = io.StringIO()
    TablePrinter(out, options).print_table(TABLE, prefix)
    return out.getvalue()


def test_default_columns_are_padded_by_three_and_wide_columns_hidden() -> None:
    assert render(TableOptions()) == (
        "NAME                    READY   STATUS    RESTARTS\n"
        "web                     1/1     Running   0\n"
        "worker-with-long-name   0/1     Pending   12\n"
    )


def test_wide_shows_priority_columns_and_none_for_null() -> None:
    lines = render(TableOptions(wide=True)).splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "IP"]
    assert lines[2].endswith("12         <none>")


def test_all_namespaces_adds_namespace_column_and_no_headers_drops_header() -> None:
    text = render(TableOptions(with_namespace=True, no_headers=True))
    assert text.splitlines()[0].startswith("default   web                     1/1   Running")
    assert "NAME" not in text


def test_kind_prefix_and_labels() -> None:
    lines = render(TableOptions(show_labels=True), prefix="pod").splitlines()
    assert lines[0].split()[-1] == "LABELS"
    assert lines[1].startswith("pod/web ")
    assert lines[1].endswith("app=web,tier=a")
    assert lines[2].endswith("<none>")


def test_min_width_applies_to_short_columns() -> None:
    out = io.StringIO()
    table = {"columnDefinitions": [{"name": "A"}, {"name": "B"}], "rows": [{"cells": ["x", "y"]}]}
    TablePrinter(out, TableOptions()).print_table(table)
    assert out.getvalue() == "A     B\nx     y\n"


def test_cells_print_like_go_values() -> None:
    assert [format_cell(v) for v in (None, True, 3, 2.0, "s")] == ["<none>", "true", "3", "2", "s"]
