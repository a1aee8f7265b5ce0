"""Rendering a 50,000-item list streams its output: the printer never holds the whole output as one string."""

from __future__ import annotations

import tracemalloc
from typing import Any

from kpy.printers.jsonpath import JSONPathPrinter


class CountingSink:
    """A stdout stand-in that keeps only the byte count and the largest single write."""

    def __init__(self) -> None:
        self.total = 0
        self.largest = 0

    def write(self, text: str) -> int:
        self.total += len(text)
        self.largest = max(self.largest, len(text))
        return len(text)


def test_fifty_thousand_items_are_written_in_bounded_pieces() -> None:
    items = [
        {"metadata": {"name": f"pod-{i:06d}-" + "x" * 40}, "status": {"phase": "Running"}}
        for i in range(50_000)
    ]
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "List", "items": items}
    printer = JSONPathPrinter('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}')
    sink = CountingSink()
    tracemalloc.start()
    try:
        printer.print_obj(obj, sink)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = sum(len(i["metadata"]["name"]) + len("\tRunning\n") for i in items)
    assert sink.total == expected  # everything was printed
    assert sink.largest < expected / 10  # ... in pieces, not one string
    # Like kubectl (JSONPath.Execute finds all results before printing, so an error prints nothing) the values
    # are found first, as references into the object: about 4 small lists per item here, ~300 bytes per item.
    # Holding formatted output on top of that (a second copy) would add strings for every piece.
    assert peak < 400 * len(items), f"peak {peak} bytes for {len(items)} items"
