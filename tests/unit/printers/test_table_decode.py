"""``cells_only`` reads exactly the cells ``loads`` would, or declines (None) so the caller decodes it whole; the
column-wise cell formatting prints what the per-row one printed."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from kpy.gocompat import gojson
from kpy.printers.table import TableOptions, TablePrinter, _row_cells, cell_columns
from kpy.printers.table_decode import cells_only

COLUMNS = [
    {"name": "Name", "type": "string", "format": "name", "description": 'a "rows":[ trap', "priority": 0},
    {"name": "Data", "type": "integer", "format": "", "description": "", "priority": 0},
    {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0},
]


def meta(name: str, **extra: Any) -> dict[str, Any]:
    """A row's object as kube-apiserver sends it without includeObject (kind and apiVersion first)."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"name": name, "namespace": "ns", "uid": "u-" + name, **extra},
    }


def table(rows: list[dict[str, Any]], **metadata: Any) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "7", **metadata},
        "columnDefinitions": COLUMNS,
        "rows": rows,
    }


def wire(obj: Any) -> bytes:
    """As the apiserver writes it: compact, Go's escapes of <, > and &, a final newline."""
    text = json.dumps(obj, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n").encode()


def same_as_loads(body: bytes) -> dict[str, Any]:
    fast = cells_only(body)
    assert fast is not None
    full = gojson.loads(body)
    assert [r["cells"] for r in fast["rows"]] == [r["cells"] for r in full["rows"]]
    assert [r.get("conditions") for r in fast["rows"]] == [r.get("conditions") for r in full["rows"]]
    assert {k: v for k, v in fast.items() if k != "rows"} == {k: v for k, v in full.items() if k != "rows"}
    return fast


ODD_CELLS = [
    "naïve-ünïcode-名前",
    'quote " and \\ backslash',
    '{"cells":["not a row"]}',
    '},{"cells":[',
    "<none> & <b>",
    "tab\there",
    None,
    True,
    False,
    0,
    -3,
    2**63,
    1.5,
    2.0,
    [],
    ["a", 1],
    {"k": [1, {"cells": [2]}]},
    "",
]


def test_odd_cells_and_metadata_that_mimics_rows_read_as_loads_reads_them() -> None:
    rows = []
    for i, cell in enumerate(ODD_CELLS):
        extra = {
            "labels": {"cells": "x", "app": '},{"cells":["y"]}'},
            "annotations": {"note": ',{"cells":[1]}}]}', "rows": "[1]"},
            "finalizers": ["a]", "b}}]"],
            "managedFields": [{"manager": "m", "fieldsV1": {'k:{"cells":[1]}': {}, "f:data": {".": {}}}}],
        }
        rows.append({"cells": [f"row-{i}", cell, "5m"], "object": meta(f"row-{i}", **extra)})
    fast = same_as_loads(wire(table(rows, **{"continue": "abc", "remainingItemCount": 3})))
    assert len(fast["rows"]) == len(ODD_CELLS)
    assert all(set(r) == {"cells"} for r in fast["rows"])


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [{"cells": ["only", 1, "1s"]}],  # includeObject=None: no objects at all
        [{"cells": ["a", 1, "1s"], "object": meta("a")}, {"cells": ["b", 2, "2s"]}],
        [{"cells": ["short"]}, {"cells": ["a", 1, "1s", "extra"], "object": meta("a")}],
        [
            {
                "cells": ["done", 0, "1h"],
                "conditions": [{"type": "Completed", "status": "True", "reason": "Succeeded", "message": ""}],
                "object": meta("done"),
            }
        ],
        [{"cells": ["v1beta1", 0, "1s"], "object": {**meta("x"), "apiVersion": "meta.k8s.io/v1beta1"}}],
    ],
)
def test_row_shapes_read_as_loads_reads_them(rows: list[dict[str, Any]]) -> None:
    same_as_loads(wire(table(rows)))


@pytest.mark.parametrize(
    "body",
    [
        # full objects (includeObject=Object, or a server that sends them): their contents are anyone's
        wire(table([{"cells": ["a", 1, "1s"], "object": {"kind": "ConfigMap", "cells": [1]}}])),
        # another key order, spaces, a list that is not a Table, a key after the rows, broken JSON
        b'{"rows":[{"cells":["a"]}],"kind":"Table"}',
        b'{"kind": "Table", "rows": [{"cells": ["a"]}]}',
        b'{"kind":"ConfigMapList","items":[],"rows":[]}',
        wire(table([{"cells": ["a", 1, "1s"]}]))[:-2] + b',"extra":1}',
        wire(table([{"cells": ["a", 1, "1s"], "object": meta("a")}]))[:-8],
        b'{"kind":"Table","rows":[{"cells":["a",NaN]}]}',
        b'{"kind":"Table","rows":[{"cells":"a"}]}',
        b'{"kind":"Table","rows":[{"object":{},"cells":["a"]}]}',
    ],
)
def test_anything_else_is_left_to_loads(body: bytes) -> None:
    assert cells_only(body) is None


def test_random_tables_read_as_loads_reads_them() -> None:
    rng = random.Random(15)
    alphabet = 'ab{}[],:"\\ \t\n<>&é名\u2028'
    for _ in range(200):
        rows = []
        for i in range(rng.randint(0, 6)):
            junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            cells: list[Any] = [junk, rng.randint(-5, 5), rng.choice([None, 1.25, junk, [junk], {junk: i}])]
            row: dict[str, Any] = {"cells": cells[: rng.randint(1, 3)]}
            if rng.random() < 0.8:
                row["object"] = meta(junk, labels={junk: junk}, annotations={"a": junk * 2})
            rows.append(row)
        same_as_loads(wire(table(rows)))


def test_a_printed_table_is_the_same_from_cells_only_as_from_the_whole_answer() -> None:
    rows = [
        {"cells": [name, cell, "5m"], "object": meta(name)}
        for name, cell in zip((f"cm-{i}" for i in range(len(ODD_CELLS))), ODD_CELLS, strict=True)
    ]
    body = wire(table(rows))
    outputs = []
    for decoded in (cells_only(body), gojson.loads(body)):
        assert decoded is not None
        out = io.StringIO()
        TablePrinter(out, TableOptions(wide=True)).print_table(decoded, "configmap")
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert "configmap/cm-0" in outputs[0]
    assert "tab here" in outputs[0]  # a tab in a cell would break the columns: kubectl's printer has a space


def test_columns_are_the_cells_per_row_turned_sideways() -> None:
    rng = random.Random(7)
    values: list[Any] = [*ODD_CELLS, 10**30, -0.0, 3.0e21]
    for _ in range(300):
        width = rng.randint(1, 5)
        cell_rows = [
            [rng.choice(values) for _ in range(rng.randint(0, width))] for _ in range(rng.randint(1, 8))
        ]
        visible = sorted(rng.sample(range(width), rng.randint(1, width)))
        prefix = rng.choice(["", "pod/"])
        columns = cell_columns(cell_rows, visible, prefix)
        assert [list(row) for row in zip(*columns, strict=True)] == [
            _row_cells(cells, visible, prefix) for cells in cell_rows
        ]


def test_with_namespaces_each_row_keeps_its_namespace_as_loads_reads_it() -> None:
    rows = [
        {"cells": ["a", 1, "1s"], "object": meta("a")},
        {
            "cells": ["b", 1, "1s"],
            "object": {**meta("b"), "metadata": {"name": "b", "generateName": "b-", "namespace": "ns-ü"}},
        },
        {
            "cells": ["node", 1, "1s"],
            "object": {**meta("n"), "metadata": {"name": "n", "uid": "u"}},
        },  # cluster-scoped
        {"cells": ["bare", 1, "1s"]},
    ]
    body = wire(table(rows))
    fast = cells_only(body, namespaces=True)
    assert fast is not None
    full = gojson.loads(body)
    ns = [(r.get("object") or {}).get("metadata", {}).get("namespace", "") for r in fast["rows"]]
    assert ns == [(r.get("object") or {}).get("metadata", {}).get("namespace", "") for r in full["rows"]]
    assert ns == ["ns", "ns-ü", "", ""]
    outputs = []
    for decoded in (fast, full):
        out = io.StringIO()
        TablePrinter(out, TableOptions(with_namespace=True)).print_table(decoded)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    "metadata",
    [
        {"namespace": "ns", "name": "a"},  # not Go's order: declined, never guessed
        {"name": "a", "resourceVersion": "1", "namespace": "ns"},
        {"name": "a", "namespace": 5},
    ],
)
def test_namespaces_in_another_layout_are_left_to_loads(metadata: dict[str, Any]) -> None:
    rows = [{"cells": ["a", 1, "1s"], "object": {**meta("a"), "metadata": metadata}}]
    assert cells_only(wire(table(rows)), namespaces=True) is None
    assert cells_only(wire(table(rows))) is not None
