"""Tables of ``coordination.k8s.io``: leases (printLease)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    dig,
    translate_timestamp_since,
)


def lease_row(lease: Obj, now: datetime) -> tuple[list[Any], None]:
    return [
        dig(lease, "metadata", "name") or "",
        str(dig(lease, "spec", "holderIdentity") or ""),
        translate_timestamp_since(dig(lease, "metadata", "creationTimestamp"), now),
    ], None


LEASE_COLUMNS = [NAME, Column("Holder", description="The lease's current holder (spec.holderIdentity)."), AGE]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("coordination.k8s.io", "leases"): (LEASE_COLUMNS, lease_row),
}
