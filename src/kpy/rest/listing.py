"""A paginated list: client-go's ``ListPager`` (``limit``/``continue`` chunks; when a continue token has expired,
410, one full list without ``limit`` instead). Separate from the reflector so one-shot commands import no asyncio.
"""

from __future__ import annotations

from collections.abc import Callable

from kpy.dataclasslite import dataclass
from kpy.errors import Gone
from kpy.rest.logs import log, v

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.rest.client import RestClient
    from kpy.rest.discovery_docs import ResourceInfo
else:
    Any = object  # the run-time value of the aliases below (mypy reads typing's)

#: client-go's ``TransformFunc``: what the reflector keeps and delivers instead of each object (it must keep
#: ``metadata``'s name, namespace, uid and resourceVersion)
Transform = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ListResult:
    """The items of a (paginated) list, with the list's resourceVersion, kind and apiVersion."""

    items: list[dict[str, Any]]
    resource_version: str
    kind: str
    api_version: str


def selector_params(label_selector: str | None, field_selector: str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    return params


async def list_all(
    client: RestClient,
    info: ResourceInfo,
    namespace: str | None,
    *,
    label_selector: str | None = None,
    field_selector: str | None = None,
    chunk_size: int = 500,
    timeout: float | None = None,
    transform: Callable[[dict[str, Any]], Any] | None = None,
    lean: bool = False,
) -> ListResult:
    """Every object of a type (in ``namespace``, or all), fetched in chunks of ``chunk_size`` (0 = one go);
    ``timeout`` bounds each request (default: the client's request timeout). ``transform`` is applied to each
    item as its page arrives (so a large list's decoded pages need not all be alive at once). ``lean`` leaves the
    items' ``managedFields`` empty (for printers that never show them: decoding them is half the work)."""
    path = info.path(namespace)
    params: dict[str, Any] = selector_params(label_selector, field_selector)
    if chunk_size > 0:
        params["limit"] = chunk_size
    items: list[dict[str, Any]] = []
    while True:
        try:
            page = await client.get_json(path, params, timeout, lean=lean)
        except Gone:
            if "continue" not in params:
                raise
            # the continue token expired: like client-go's pager, fall back to one full, unpaginated list
            log.log(v(2), "continue token for %s expired; relisting without limit", path)
            params.pop("continue")
            params.pop("limit", None)
            items = []
            page = await client.get_json(path, params, timeout, lean=lean)
        page_items = page.pop("items", None) or []
        items.extend(page_items if transform is None else map(transform, page_items))
        del page_items
        meta = page.get("metadata") or {}
        token = meta.get("continue")
        if not token or "limit" not in params:
            return ListResult(
                items,
                str(meta.get("resourceVersion", "") or ""),
                str(page.get("kind") or f"{info.kind}List"),
                str(page.get("apiVersion") or info.group_version),
            )
        params["continue"] = token
