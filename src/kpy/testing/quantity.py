"""``resource.Quantity`` as kube-apiserver stores it: every quantity in an object comes back in canonical form
(``1024Mi`` → ``1Gi``, ``0.5`` → ``500m``, ``1.5Gi`` → ``1536Mi``, ``1000`` → ``1k``, checked against
kube-apiserver 1.36).

Binary suffixes (Ki..Ei) keep a binary form while the value is a whole number of at least 1024 (the largest
power of 1024 that divides it), anything else takes the decimal SI form with the largest power of 1000 that
leaves a whole number, rounded up to nano precision. Exponent notation (``2e9``) is left as written: the
real server mostly keeps it (its parser caches a string it finds canonical) but not always (``12e2`` becomes
``1200``). Text that is not a quantity is left as it is (the validation that would refuse it is not emulated).
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal
from typing import Any

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_BINARY_SUFFIX = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {e: s for s, e in _DECIMAL.items()}
_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?"
)
_NANO = Decimal("1e-9")


def canonical_quantity(text: Any) -> Any:
    """The canonical form of a quantity (a string, or a JSON number: it comes back a string); other values
    unchanged."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    match = _QUANTITY.fullmatch(text) if isinstance(text, str) else None
    if match is None or match[3] is not None:  # not a quantity, or exponent notation (kept as written)
        return text
    number, suffix = match[1], match[2]
    value = Decimal(number)  # the pattern admits only what Decimal reads
    if suffix in _BINARY:
        value *= Decimal(1024) ** _BINARY[suffix]
    else:
        value = value.scaleb(_DECIMAL[suffix or ""])
    if value != value.quantize(_NANO, rounding=ROUND_CEILING):
        value = value.quantize(_NANO, rounding=ROUND_CEILING)
    if suffix in _BINARY and abs(value) >= 1024 and value == value.to_integral_value():
        whole, power = int(value), 0
        while power < 6 and whole % 1024 == 0:
            whole //= 1024
            power += 1
        return f"{whole}{_BINARY_SUFFIX[power]}"
    if value == 0:
        return "0"
    for power in (18, 15, 12, 9, 6, 3, 0, -3, -6, -9):
        scaled = value.scaleb(-power)
        if scaled == scaled.to_integral_value():
            return f"{int(scaled)}{_DECIMAL_SUFFIX[power]}"
    return text


def canonical_map(values: Any) -> None:
    """Canonicalise a ResourceList (``{"memory": "1024Mi"}``) in place."""
    if isinstance(values, dict):
        for key, value in values.items():
            values[key] = canonical_quantity(value)
