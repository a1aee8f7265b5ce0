"""Tables of ``discovery.k8s.io``: EndpointSlices (printEndpointSlice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    as_list,
    dig,
    to_int,
    translate_timestamp_since,
)


def _list_with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def endpointslice_row(es: Obj, now: datetime) -> tuple[list[Any], None]:
    limit = 3
    ports: list[str] = []
    more = False
    count = 0
    for p in as_list(es.get("ports")):
        if len(ports) < limit:
            if dig(p, "port") is not None:
                ports.append(str(to_int(dig(p, "port"))))
            elif dig(p, "name") is not None:
                ports.append(str(dig(p, "name")))
            else:
                ports.append("*")
        elif len(ports) == limit:
            more = True
        count += 1
    port_text = _list_with_more(ports, more, count, limit)
    addrs: list[str] = []
    more = False
    count = 0
    for e in as_list(es.get("endpoints")):
        for a in as_list(dig(e, "addresses")):
            if len(addrs) < limit:
                addrs.append(str(a))
            elif len(addrs) == limit:
                more = True
            count += 1
    return [
        dig(es, "metadata", "name") or "",
        str(es.get("addressType") or ""),
        port_text,
        _list_with_more(addrs, more, count, limit),
        translate_timestamp_since(dig(es, "metadata", "creationTimestamp"), now),
    ], None


ENDPOINTSLICE_COLUMNS = [
    NAME,
    Column("AddressType", description="The type of addresses in this slice."),
    Column("Ports", description="The ports of this slice."),
    Column("Endpoints", description="The addresses of this slice's endpoints."),
    AGE,
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("discovery.k8s.io", "endpointslices"): (ENDPOINTSLICE_COLUMNS, endpointslice_row),
}
