"""``--sort-by``: kubectl's ``RuntimeSort``/``TableSorter`` over objects or server-side Table rows.

The field is a relaxed JSONPath (``.metadata.name`` or ``{.metadata.name}``) evaluated with missing keys allowed;
the first value of each object is the sort key. An object without the field sorts first; numbers compare as
numbers, strings as strings unless both parse as resource quantities (``100m`` < ``1``, ``1Gi`` < ``2G``); other
values (booleans, maps) cannot be sorted, as in kubectl. Like kubectl's ``sort.Sort`` the sort is not stable:
ties (and objects without the field) end where Go's pdqsort leaves them (:mod:`kpy.gocompat.gosort`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kpy.errors import KpyError, TemplateError
from kpy.gocompat.gosort import sort_like_go
from kpy.jsonpath import INVALID, Template, parse

_SUFFIXES = {
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)


def parse_quantity(text: str) -> Decimal | None:
    """A Kubernetes resource quantity's value, or None when ``text`` is not one."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            return Decimal(number) * (Decimal(10) ** int(suffix[1:]))
        return Decimal(number) * _SUFFIXES[suffix]
    except (InvalidOperation, ValueError, KeyError):
        return None


class SortError(KpyError):
    """A sort field that no object has, or values that cannot be ordered."""


def sort_field(expression: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression`` for ``--sort-by`` (falls back to the text as given)."""
    from kpy.errors import UsageError
    from kpy.printers.custom_columns import relaxed_jsonpath

    try:
        return relaxed_jsonpath(expression)
    except UsageError:
        return expression


def _less(a: Any, b: Any, field: str) -> bool:
    if a is None or b is None:
        return a is None and b is not None
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, dict) or isinstance(b, dict):
        raise SortError(f"Field {field} in the objects is an unsortable type")
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a < b
    if isinstance(a, str) and isinstance(b, str):
        qa, qb = parse_quantity(a), parse_quantity(b)
        if qa is not None and qb is not None:
            return qa < qb
        return a.encode() < b.encode()
    if isinstance(a, list) and isinstance(b, list):
        return all(_less(x, y, field) for x, y in zip(a, b, strict=False))
    raise SortError(f"Field {field} in the objects is an unsortable type")


class Sorter:
    """Sorts objects (``sort_objects``) or the rows of a Table (``sort_table``) by one field."""

    def __init__(self, expression: str) -> None:
        self.field = sort_field(expression)
        try:
            self.template: Template = parse(self.field, allow_missing_keys=True)
        except TemplateError as exc:
            raise SortError(f"sorting error: {exc}") from None

    def _key(self, obj: Any) -> tuple[bool, Any]:
        found = self.template.find(obj)
        if not found or not found[0] or found[0][0] is INVALID:
            return False, None
        return True, found[0][0]

    def _sorted(self, objects: list[Any]) -> list[int]:
        keys = [self._key(o) for o in objects]
        if objects and not any(has for has, _ in keys):
            raise SortError(f'couldn\'t find any field with path "{self.field}" in the list of objects')

        def less(i: int, j: int) -> bool:
            # kubectl's Less, to the letter: an object without the field is "less" than anything, even another
            # object without it
            (hi, vi), (hj, vj) = keys[i], keys[j]
            if not hi:
                return True
            if not hj:
                return False
            return _less(vi, vj, self.field)

        order = list(range(len(objects)))
        sort_like_go(order, less)
        return order

    def sort_objects(self, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not objects:
            return objects
        return [objects[i] for i in self._sorted(objects)]

    def sort_table(self, table: dict[str, Any]) -> None:
        """Sort a Table's rows in place by their ``object`` (the server sends it with ``includeObject=Object``)."""
        rows = table.get("rows") or []
        if len(rows) < 2:
            return
        order = self._sorted([row.get("object") or {} for row in rows])
        table["rows"] = [rows[i] for i in order]
