"""JSON decoding for large documents (lists of thousands of objects, from files or from the server).

Decoding creates millions of containers; each few hundred allocations let the cyclic GC walk the young ones,
and the older generations are walked again and again as the result grows, so a 50,000-pod list took 4x as long
as ten 5,000-pod lists. Decoded JSON holds no reference cycles, so the collector is paused while it is built.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic GC paused for the block (and left as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
