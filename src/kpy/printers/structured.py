"""``-o json``, ``-o yaml`` and ``-o name``, byte-compatible with kubectl's printers.

kubectl prints unstructured objects with Go's encoders: JSON via ``json.MarshalIndent`` (4-space indent, keys
sorted, ``<``/``>``/``&`` and U+2028/U+2029 escaped as ``\\u003c`` etc.), YAML via sigs.k8s.io/yaml (keys
sorted, block style, sequences not indented under their key).
"""

from __future__ import annotations

import json
from typing import Any, TextIO


def go_float(value: float) -> str:
    """A float64 the way Go's encoding/json writes it: shortest digits, exponent only below 1e-6 or from 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"unsupported value: {value}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = repr(value).partition("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        sign = exponent[0] if exponent[:1] in "+-" else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits}"
    if value.is_integer() and magnitude < 1e16:
        return str(int(value))
    from decimal import Decimal  # Go writes the shortest digits that round-trip: 2**63 is 9223372036854776000

    return format(Decimal(repr(value)), "f")




def _mark_floats(obj: Any) -> tuple[Any, bool]:
    """Replace floats by marker strings (the C JSON encoder cannot be taught Go's float format)."""
    if isinstance(obj, float):
        return f"\x00F{go_float(obj)}\x00", True
    if isinstance(obj, dict):
        found = False
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out[key], hit = _mark_floats(value)
            found = found or hit
        return (out, True) if found else (obj, False)
    if isinstance(obj, list):
        items = [_mark_floats(v) for v in obj]
        if any(hit for _, hit in items):
            return [v for v, _ in items], True
        return obj, False
    return obj, False


def go_json(obj: Any, indent: int | None = 4) -> str:
    """JSON exactly as Go's encoding/json marshals decoded unstructured content."""
    text = None
    if indent is not None:
        try:
            text = _indented(obj, " " * indent)
        except _Unsupported:  # a tuple, a non-str key, an int subclass...: json.dumps knows what to do
            text = None
    if text is None:
        obj, has_floats = _mark_floats(obj)
        text = json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False,
                          separators=(",", ": ") if indent is not None else (",", ":"))
        if has_floats:
            import re

            text = re.sub(r'"\\u0000F([^"\\]*)\\u0000"', r"\1", text)
    # The escaped characters can only occur inside JSON strings, so a plain replacement is exact (and, unlike
    # str.translate, costs nothing when they are absent: str.translate reads the whole text per character).
    for char, escaped in _GO_ESCAPE_PAIRS:
        if char in text:
            text = text.replace(char, escaped)
    return text


_GO_ESCAPE_PAIRS = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029"))


class _Unsupported(Exception):
    """A value the fast encoder leaves to json.dumps."""


def _indented(obj: Any, unit: str) -> str:
    """``json.dumps(obj, indent=…, sort_keys=True, ensure_ascii=False)`` with Go's floats, for decoded JSON.

    The stdlib's indenting encoder is pure-Python generators; this one appends to one list and is ~3x faster
    on a large List. Only exact dict/list/str/int/float/bool/None are handled (anything else raises
    ``_Unsupported`` and goes to json.dumps), with the same bytes.
    """
    from json.encoder import encode_basestring

    parts: list[str] = []
    append = parts.append
    enc_str = encode_basestring

    def enc(o: Any, nl: str) -> None:
        t = type(o)
        if t is str:
            append(enc_str(o))
        elif t is dict:
            if not o:
                append("{}")
                return
            inner = nl + unit
            sep = "{" + inner
            for key in sorted(o):  # sorting mixed key types raises TypeError, as json.dumps would
                if type(key) is not str:
                    raise _Unsupported
                value = o[key]
                append(sep)
                append(enc_str(key))
                append(": ")
                if type(value) is str:
                    append(enc_str(value))
                else:
                    enc(value, inner)
                sep = "," + inner
            append(nl + "}")
        elif t is list:
            if not o:
                append("[]")
                return
            inner = nl + unit
            sep = "[" + inner
            for value in o:
                append(sep)
                if type(value) is str:
                    append(enc_str(value))
                else:
                    enc(value, inner)
                sep = "," + inner
            append(nl + "]")
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif t is int:
            append(int.__repr__(o))
        elif t is float:
            append(go_float(o))
        else:
            raise _Unsupported

    enc(obj, "\n")
    return "".join(parts)


class JSONPrinter:
    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        out.write(go_json(obj))
        out.write("\n")


class YAMLPrinter:
    """A List prints as one document; kubectl's YAML printer separates separate objects with ``---``."""

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        out.write(to_yaml(obj))


_DUMPER: Any = None


def yaml_dumper() -> Any:
    """A safe dumper that writes floats the way sigs.k8s.io/yaml does (JSON numbers re-read by go-yaml)."""
    global _DUMPER
    if _DUMPER is None:
        import yaml

        from kpy.manifests import add_exponent_floats

        base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

        class KubeDumper(base):  # type: ignore[misc,valid-type]
            pass

        def represent_float(dumper: Any, value: float) -> Any:
            text = go_float(value)
            if "e" not in text and "." not in text:
                return dumper.represent_int(int(text))
            return dumper.represent_scalar("tag:yaml.org,2002:float", text)

        def represent_str(dumper: Any, value: str) -> Any:
            # go-yaml: multi-line strings as literal blocks; strings that would read back as another type
            # (or are empty) double-quoted; everything else plain, or single-quoted when plain is impossible.
            style: str | None = None
            if "\n" in value:
                style = "|"
            elif value == "" or dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
                style = '"'
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

        KubeDumper.yaml_implicit_resolvers = {k: list(v) for k, v in base.yaml_implicit_resolvers.items()}
        add_exponent_floats(KubeDumper)
        KubeDumper.add_representer(float, represent_float)
        KubeDumper.add_representer(str, represent_str)
        _DUMPER = KubeDumper
    return _DUMPER


def to_yaml(obj: Any) -> str:
    import yaml

    text: str = yaml.dump(obj, Dumper=yaml_dumper(), default_flow_style=False, sort_keys=True, allow_unicode=True)
    return text


def kind_name(obj: dict[str, Any]) -> str:
    """``pod/web``, ``deployment.apps/web``: kubectl's name printer (lower-case kind, dotted group)."""
    kind = str(obj.get("kind", "")).lower()
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    name = obj.get("metadata", {}).get("name", "")
    return f"{kind}.{group}/{name}" if group else f"{kind}/{name}"


class NamePrinter:
    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        if obj.get("kind") == "List" or (str(obj.get("kind", "")).endswith("List") and "items" in obj):
            out.write("".join(kind_name(item) + "\n" for item in obj.get("items") or []))
        else:
            out.write(kind_name(obj) + "\n")
