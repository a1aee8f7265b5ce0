"""Lists as the apiserver serves them: selectors (400 for bad syntax or unsupported fields), ``limit`` and
``continue`` tokens (storage.EncodeContinue/DecodeContinue with their error texts), ``resourceVersion`` /
``resourceVersionMatch`` semantics (exact snapshots from the history, 410 once compacted, 504 for the
future)."""

from __future__ import annotations

import base64
import json

from kpy.testing import status
from kpy.testing.conversion import storage_gr, to_api
from kpy.testing.fieldlabels import field_selector_fields, has_field_label_conversion
from kpy.testing.resources import ResourceType
from kpy.testing.selection import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from kpy.testing.status import StatusError
from kpy.testing.store import Key, Obj, Store


def parse_selectors(rt: ResourceType, label: str, field: str) -> tuple[LabelSelector, FieldSelector]:
    """Parse list/watch selectors, answering 400 like the apiserver for bad syntax or unsupported fields."""
    try:
        labels = parse_label_selector(label)
    except SelectorError as exc:
        raise status.bad_request(str(exc)) from None
    try:
        fields = parse_field_selector(field)
    except SelectorError as exc:
        raise status.bad_request(str(exc)) from None
    supported = field_selector_fields(rt, {})
    for term in fields.terms:
        if term.field not in supported:
            raise status.bad_request(
                f"field label not supported: {term.field}"
                if has_field_label_conversion(rt)
                else f'"{term.field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
            )
    return labels, fields


def matches(rt: ResourceType, obj: Obj, labels: LabelSelector, fields: FieldSelector) -> bool:
    if not labels.empty and not labels.matches((obj.get("metadata") or {}).get("labels") or {}):
        return False
    return fields.empty or fields.matches(field_selector_fields(rt, obj))


def encode_continue(rv: int, key: Key) -> str:
    raw = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{key[0]}/{key[1]}\u0000"}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, Key]:
    """storage.DecodeContinue, with its error texts (base64.RawURLEncoding, then JSON, then the fields)."""
    data = status.decode_continue_json(token)
    version = data.get("v")
    if version != "meta.k8s.io/v1":
        raise status.invalid_continue(
            f"continue key is not valid: server does not recognize this encoded version {version or ''}"
        )
    rv = data.get("rv")
    if not isinstance(rv, int) or rv == 0:
        raise status.invalid_continue(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )
    start = str(data.get("start") or "").rstrip("\u0000")
    if not start:
        raise status.invalid_continue(
            "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"
        )
    ns, _, name = start.rpartition("/")
    return rv, (ns, name)


def check_list_options(resource_version: str, match: str, continue_token: str) -> None:
    """ValidateListOptions for a list (not a watch): resourceVersionMatch needs a resourceVersion, no continue,
    one of the known values, and "Exact" not with resourceVersion "0"."""
    if not match:
        return
    causes: list[dict[str, str]] = []
    field = "resourceVersionMatch"
    if not resource_version:
        causes.append(
            status.forbidden_field(field, f"{field} is forbidden unless resourceVersion is provided")
        )
    if continue_token:
        causes.append(status.forbidden_field(field, f"{field} is forbidden when continue is provided"))
    if match not in ("Exact", "NotOlderThan"):
        causes.append(status.not_supported_field(field, match, ["Exact", "NotOlderThan", ""]))
    if match == "Exact" and resource_version == "0":
        causes.append(status.forbidden_field(field, f'{field} "exact" is forbidden for resourceVersion "0"'))
    if causes:
        raise status.invalid_list_options(causes)


def list_objects(
    store: Store,
    rt: ResourceType,
    namespace: str | None,
    *,
    label_selector: str = "",
    field_selector: str = "",
    limit: int = 0,
    continue_token: str = "",
    resource_version: str = "",
    resource_version_match: str = "",
) -> Obj:
    labels, fields = parse_selectors(rt, label_selector, field_selector)
    gr = storage_gr(rt)
    current = store.rv
    start: Key | None = None
    check_list_options(resource_version, resource_version_match, continue_token)
    if continue_token:
        snap_rv, start = decode_continue(continue_token)
        if resource_version not in ("", "0"):
            raise status.bad_request("specifying resource version is not allowed when using continue")
        if snap_rv < store.compacted_rv:
            raise status.expired(status.CONTINUE_EXPIRED)
    elif resource_version == "0":
        snap_rv, limit = current, 0  # served from the watch cache, which ignores limit
    elif resource_version:
        if not (resource_version.isascii() and resource_version.isdigit()) or len(resource_version) > 20:
            raise status.invalid_resource_version(resource_version)
        wanted = int(resource_version)
        if wanted > current:
            raise StatusError(
                504,
                status.status_body(
                    504,
                    "Timeout",
                    f"Too large resource version: {wanted}, current: {current}",
                    {
                        "causes": [
                            {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                        ],
                        "retryAfterSeconds": 1,
                    },
                ),
            )
        exact = resource_version_match == "Exact" or (limit > 0 and resource_version_match == "")
        snap_rv = wanted if exact else current
        if snap_rv < store.compacted_rv:
            raise status.expired(status.LIST_EXPIRED)
    else:
        snap_rv = current
    pairs = store.items(gr, namespace) if snap_rv == current else store.snapshot_at(gr, snap_rv, namespace)
    if start is not None:
        pairs = [(k, o) for k, o in pairs if k > start]
    items: list[Obj] = []
    next_key: Key | None = None
    remaining = 0
    for i, (_key, obj) in enumerate(pairs):
        view = to_api(rt, obj)
        if not matches(rt, view, labels, fields):
            continue
        if limit and len(items) == limit:
            next_key = pairs[i - 1][0]
            remaining = len(pairs) - i
            break
        items.append(view)
    meta: Obj = {"resourceVersion": str(snap_rv)}
    if next_key is not None:
        meta["continue"] = encode_continue(snap_rv, next_key)
        if labels.empty and fields.empty:
            meta["remainingItemCount"] = remaining
    if not rt.crd_name:
        for item in items:  # builtin lists omit each item's apiVersion/kind
            item.pop("apiVersion", None)
            item.pop("kind", None)
    return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": items}
