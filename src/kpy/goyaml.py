"""YAML read as kubectl reads it (``sigs.k8s.io/yaml`` over go-yaml v2), with go-yaml's limits and messages.

kubectl splits a stream into documents at ``---`` lines, converts each document to JSON with go-yaml and refuses
what go-yaml refuses. Three of those refusals protect memory and are why this module exists:

* alias expansion: go-yaml counts every node it decodes, and the ones decoded through an alias; past 100 aliased
  and 1,000 total decodes, more than ``allowed_alias_ratio(total)`` aliased means ``document contains excessive
  aliasing`` (99% up to 400,000 decodes, falling linearly to 10% at 4,000,000). An 839-byte "billion laughs"
  stops after a few thousand decodes instead of growing to gigabytes.
* nesting: 10,000 levels of flow (``[[[``) or block collections (``exceeded max depth of 10000``).
* an alias inside its own anchor (``anchor 'a' value contains itself``).

Documents are built from PyYAML's event stream with an explicit stack (no recursion, so no ``RecursionError``);
an alias shares the anchored value instead of copying it, and its go-yaml cost (the anchored subtree's size,
aliases inside counted in full) is computed once per anchor. Scalars resolve as go-yaml resolves them: ``y``/``n``
are booleans, ``1e3`` is a float, a number too big for float64 stays a string, ``.nan``/``.inf`` cannot become JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 10000  # go-yaml max_flow_level / max_indents
RATIO_LOW = 400_000
RATIO_HIGH = 4_000_000
_SPECIAL_FLOATS = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
_MERGE = "tag:yaml.org,2002:merge"


class GoYAMLError(Exception):
    """What go-yaml / sigs.k8s.io/yaml refuse; ``str()`` is kubectl's text after ``error parsing SOURCE: ``."""


def allowed_alias_ratio(decodes: int) -> float:
    """go-yaml's ``allowedAliasRatio``."""
    if decodes <= RATIO_LOW:
        return 0.99
    if decodes >= RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((decodes - RATIO_LOW) / (RATIO_HIGH - RATIO_LOW))


def split_documents(text: str) -> list[tuple[str, int]]:
    """kubectl's ``YAMLReader``: documents separated by lines starting ``---`` (only a comment may follow it).

    Returns (document text, 0-based line where it starts); empty documents are kept (they decode to null)."""
    docs: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise GoYAMLError(f"invalid Yaml document separator: {rest}")
            if current:
                docs.append(("".join(current), start))
            current = []
            start = number + 1
            continue
        current.append(line)
    if current:
        docs.append(("".join(current), start))
    return docs


def _error(message: str) -> GoYAMLError:
    return GoYAMLError(f"error converting YAML to JSON: yaml: {message}")


@dataclass
class _Open:
    """A mapping or sequence being built."""

    value: Any
    anchor: str | None
    flow: bool
    cost: int = 1  # go-yaml decodes of this subtree (aliases counted in full)
    key: Any = None
    has_key: bool = False
    merges: list[Any] = field(default_factory=list)


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Open] = []
        self.flow_depth = 0
        self.block_depth = 0
        self.decodes = 1  # the document node
        self.aliased = 0
        self.result: Any = None
        self.done = False

    def count(self, decodes: int, aliased: int) -> None:
        self.decodes += decodes
        self.aliased += aliased
        if (
            self.aliased > 100
            and self.decodes > 1000
            and self.aliased / self.decodes > allowed_alias_ratio(self.decodes)
        ):
            raise _error("document contains excessive aliasing")

    def add(self, value: Any, cost: int) -> None:
        """Attach a finished value to its parent (or make it the document)."""
        if not self.stack:
            self.result = value
            self.done = True
            return
        parent = self.stack[-1]
        parent.cost += cost
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif not parent.has_key:
            parent.key, parent.has_key = value, True
        else:
            key, parent.has_key = parent.key, False
            if isinstance(key, _MergeKey):
                parent.merges.extend(value if isinstance(value, list) else [value])
            else:
                parent.value[_json_key(key)] = value

    def start(self, event: Any, value: Any) -> None:
        self.count(1, 0)
        flow = bool(getattr(event, "flow_style", False))
        if flow:
            self.flow_depth += 1
        else:
            self.block_depth += 1
        if max(self.flow_depth, self.block_depth) > MAX_DEPTH:
            raise _error(f"line {event.start_mark.line + 1}: exceeded max depth of {MAX_DEPTH}")
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Open(value, event.anchor, flow))

    def end(self) -> None:
        node = self.stack.pop()
        if node.flow:
            self.flow_depth -= 1
        else:
            self.block_depth -= 1
        if isinstance(node.value, dict) and node.merges:
            for merged in node.merges:
                if not isinstance(merged, dict):
                    raise _error("map merge requires map or sequence of maps as the value")
                for key, val in merged.items():
                    node.value.setdefault(key, val)
        if node.anchor:
            self.open_anchors.discard(node.anchor)
            self.anchors[node.anchor] = (node.value, node.cost)
        self.add(node.value, node.cost)

    def alias(self, name: str) -> None:
        if name in self.open_anchors:
            raise _error(f"anchor '{name}' value contains itself")
        if name not in self.anchors:
            raise _error(f"unknown anchor '{name}' referenced")
        value, cost = self.anchors[name]
        self.count(1 + cost, cost)
        self.add(value, 1 + cost)

    def scalar(self, event: Any) -> None:
        import yaml

        self.count(1, 0)
        value = _scalar(self.loader, yaml, event)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.add(value, 1)


class _MergeKey:
    """The ``<<`` key of a mapping."""


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml's JSON object key for a decoded YAML key."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(repr(key), f"{key:g}")
    if key is None:
        raise _error_plain("unsupported map key of type: %!s(<nil>), key: <nil>")
    raise _error(f"invalid map key: {_go_value(key)}")


def _go_value(value: Any) -> str:
    """Go's ``%#v`` of a decoded YAML value (for go-yaml's ``invalid map key`` message)."""
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_value(v) for v in value) + "}"
    if isinstance(value, dict):
        inner = ", ".join(f"{_go_value(k)}:{_go_value(v)}" for k, v in value.items())
        return "map[interface {}]interface {}{" + inner + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_plain(message: str) -> GoYAMLError:
    return GoYAMLError(f"error converting YAML to JSON: {message}")


def _scalar(loader: Any, yaml: Any, event: Any) -> Any:
    """A scalar as go-yaml decodes it into ``interface{}``."""
    text = event.value
    tag = event.tag
    if tag in (None, "!"):
        tag = loader.resolve(yaml.ScalarNode, text, event.implicit)
    if tag == _MERGE:
        return _MergeKey()
    if tag in ("tag:yaml.org,2002:null",):
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("y", "yes", "true", "on")
    if tag == "tag:yaml.org,2002:int":
        return _int(loader, yaml, tag, text)
    if tag == "tag:yaml.org,2002:float":
        if _SPECIAL_FLOATS.match(text):
            return float(loader.construct_yaml_float(yaml.ScalarNode(tag, text)))
        try:
            number = float(loader.construct_yaml_float(yaml.ScalarNode(tag, text)))
        except (ValueError, OverflowError):
            return text
        return number if math.isfinite(number) else text  # go-yaml: out of float64 range stays a string
    return text


def _int(loader: Any, yaml: Any, tag: str, text: str) -> Any:
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 400:  # past float64 whatever the base: go-yaml keeps it as a string
        return text
    try:
        number = int(loader.construct_yaml_int(yaml.ScalarNode(tag, text)))
    except (ValueError, OverflowError):
        return text
    if -(2**63) <= number < 2**64:
        return number
    try:
        return float(number)  # go-yaml: ParseInt/ParseUint fail, ParseFloat succeeds
    except OverflowError:
        return text


def _events(text: str, loader_cls: Any) -> Iterator[Any]:
    loader = loader_cls(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _problem(exc: Any, line_offset: int) -> str:
    """go-yaml's ``yaml: line N: problem`` from a PyYAML (libyaml) error: scanner errors count lines from 1,
    parser errors (go-yaml's quirk) from 0; a reader error has no line."""
    import yaml

    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.reader.ReaderError):
        return "control characters are not allowed"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return str(problem)
    line = mark.line + line_offset + (1 if isinstance(exc, yaml.scanner.ScannerError) else 0)
    return f"line {line}: {problem}" if line else str(problem)


def to_json_value(text: str, loader_cls: Any, fallback_cls: Any = None) -> Any:
    """The first document of ``text`` as sigs.k8s.io/yaml's ``YAMLToJSON`` + ``json.Unmarshal`` see it.

    libyaml (``loader_cls`` when PyYAML has it) stops at 1,000 levels where go-yaml allows 10,000; such a
    document is read again with ``fallback_cls`` (PyYAML's pure-Python parser, which has no such limit)."""
    import yaml

    builder = _Builder(loader_cls(""))
    try:
        for event in _events(text, loader_cls):
            if isinstance(event, yaml.ScalarEvent):
                builder.scalar(event)
            elif isinstance(event, yaml.MappingStartEvent):
                builder.start(event, {})
            elif isinstance(event, yaml.SequenceStartEvent):
                builder.start(event, [])
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                builder.end()
            elif isinstance(event, yaml.AliasEvent):
                builder.alias(str(event.anchor))
            elif isinstance(event, yaml.DocumentEndEvent):
                break
    except yaml.YAMLError as exc:
        if fallback_cls is not None and "nesting depth" in str(getattr(exc, "problem", "") or ""):
            line = _flow_overflow_line(text)
            if line is not None:  # PyYAML's own parser is quadratic in depth: answer go-yaml's refusal now
                raise _error(f"line {line + 1}: exceeded max depth of {MAX_DEPTH}") from None
            return to_json_value(text, fallback_cls)
        raise _error(_problem(exc, 0)) from None
    _check_json(builder.result)
    return builder.result


def _flow_overflow_line(text: str) -> int | None:
    """The 0-based line where flow collections (``[``/``{``, outside quotes and comments) nest deeper than
    go-yaml's limit, or None."""
    depth = 0
    line = 0
    quote = ""
    previous = "\n"
    for ch in text:
        if ch == "\n":
            line += 1
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and previous in " \t\n[{,:":
            quote = ch
        elif ch == "#" and previous in " \t\n":
            quote = "\n"  # a comment runs to the end of the line
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
        previous = ch
    return None


def _check_json(value: Any) -> None:
    """``json.Marshal`` refuses NaN and infinities: ``json: unsupported value: NaN``."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            text = "NaN" if math.isnan(item) else ("+Inf" if item > 0 else "-Inf")
            raise _error_plain(f"json: unsupported value: {text}")
        if isinstance(item, dict | list) and id(item) not in seen:
            seen.add(id(item))  # aliases share values: visit each once
            stack.extend(item.values() if isinstance(item, dict) else item)
