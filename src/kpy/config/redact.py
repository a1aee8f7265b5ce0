"""Header redaction for ``-v`` request logging (client-go ``transport/round_trippers.go`` ``maskValue``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})
_KNOWN_SCHEMES = frozenset({"bearer", "basic", "negotiate"})


def mask_value(name: str, value: str) -> str:
    """``Bearer abc`` -> ``Bearer <masked>``; unknown schemes -> ``<masked>``; other headers unchanged."""
    if name.lower() not in _SECRET_HEADERS or not value:
        return value
    scheme, _, rest = value.partition(" ")
    if scheme.lower() not in _KNOWN_SCHEMES:
        return "<masked>"
    return f"{scheme} <masked>" if rest else scheme


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` safe to log (Authorization / Proxy-Authorization values masked)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: mask_value(name, str(value)) for name, value in items}
