"""Objects from ``-f FILE|DIR|-``: JSON or YAML, single objects, Lists and multi-document YAML, like kubectl."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from kpy.decode import paused_gc
from kpy.errors import UsageError

_EXTENSIONS = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Manifest:
    """The objects one source held, and whether that source was a single object (kubectl's singleItemImplied)."""

    source: str
    objects: list[dict[str, Any]]
    single: bool


class ManifestError(UsageError):
    """A file kubectl would refuse to decode; printed, like ``kubectl get -f``, without ``error: ``."""

    prefix = ""


def load(paths: Iterable[str], stdin: TextIO | BinaryIO | None = None) -> list[Manifest]:
    out: list[Manifest] = []
    for path in paths:
        if path == "-":
            out.append(parse(_read_stdin(stdin), "STDIN"))
        elif os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(_EXTENSIONS):
                    out.append(_read(os.path.join(path, name)))
        else:
            out.append(_read(path))
    return out


def _read_stdin(stdin: TextIO | BinaryIO | None) -> bytes | str:
    stream: Any = stdin if stdin is not None else sys.stdin
    buffer = getattr(stream, "buffer", None)
    data: bytes | str = buffer.read() if buffer is not None else stream.read()
    return data


def _read(path: str) -> Manifest:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise UsageError(f'the path "{path}" does not exist') from None
    except OSError as exc:
        raise UsageError(f'error reading "{path}": {exc.strerror or exc}') from None
    return parse(data, path)


def parse(data: bytes | str, source: str) -> Manifest:
    """Decode like kubectl's resource builder: a stream of JSON values when the input starts with ``{``, else
    ``---``-separated YAML documents; Lists (anything with ``items``) are flattened. Refusals carry kubectl's
    words: ``error parsing SOURCE: ...`` for bytes that are not JSON/YAML, ``unable to decode "SOURCE": ...``
    for documents that are not Kubernetes objects. Invalid UTF-8 becomes U+FFFD, as in Go."""
    from kpy import goyaml
    from kpy.gocompat import gojson

    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    text = raw.decode("utf-8", "replace")
    docs: list[tuple[Any, Callable[[], str]]] = []
    if text.lstrip(" \t\r\n").startswith("{"):
        spans: list[str] = []
        try:
            with paused_gc():
                values = gojson.decode_stream(raw, spans)
        except gojson.SyntaxError_ as exc:
            raise ManifestError(f"error parsing {source}: {exc}") from None
        except gojson.DecodeError as exc:
            raise ManifestError(f'unable to decode "{source}": {exc}') from None
        docs = [(value, functools.partial(str, span)) for value, span in zip(values, spans, strict=True)]
    else:
        try:
            for chunk, _line in goyaml.split_documents(text):
                value = goyaml.to_json_value(chunk, yaml_loader(), yaml_loader(pure=True))
                docs.append((value, functools.partial(gojson.marshal, value)))
        except goyaml.GoYAMLError as exc:
            raise ManifestError(f"error parsing {source}: {exc}") from None
    objects: list[dict[str, Any]] = []
    docs = [(value, raw_text) for value, raw_text in docs if value is not None]
    single = len(docs) == 1
    for value, raw_text in docs:
        problem = decode_problem(value, raw_text)
        if problem is not None:
            raise ManifestError(f'unable to decode "{source}": {problem}')
        if "items" in value:
            single = False
            objects.extend(_list_items(value))
            continue
        objects.append(value)
    return Manifest(source, objects, single and len(objects) == 1)


def _list_items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A List's items; those with neither kind nor apiVersion take them from the List (kubectl's decodeToList)."""
    kind = str(doc.get("kind") or "")
    item_kind = kind[: -len("List")] if kind.endswith("List") else kind
    out: list[dict[str, Any]] = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        if not item.get("kind") and not item.get("apiVersion"):
            item = {**item, "kind": item_kind, "apiVersion": doc.get("apiVersion", "")}
        out.append(item)
    return out


def decode_problem(doc: Any, raw_text: Callable[[], str]) -> str | None:
    """What kubectl's unstructured decoder (and cli-runtime's metadata check) say about one decoded document,
    or None when it is an object kubectl accepts. ``raw_text`` gives the JSON quoted by ``Object 'Kind' is
    missing in '...'``."""
    from kpy.gocompat.gojson import go_type

    if not isinstance(doc, dict):
        return f"json: cannot unmarshal {go_type(doc)} into Go value of type unstructured.detector"
    if "items" in doc:
        items = doc["items"]
        if items is not None and not isinstance(items, list):
            return (
                f"json: cannot unmarshal {go_type(items)} into Go struct field decodeList.items of type "
                "[]json.RawMessage"
            )
        for item in items or []:
            if item is not None and not isinstance(item, dict):
                return (
                    f"json: cannot unmarshal {go_type(item)} into Go value of type map[string]interface {{}}"
                )
    kind = doc.get("kind")
    if not isinstance(kind, str) or not kind:
        return f"Object 'Kind' is missing in '{raw_text()}'"
    return _metadata_problem(doc)


_META_STRINGS = frozenset({"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"})
_META_INTS = frozenset({"generation", "deletionGracePeriodSeconds"})
_META_STRING_MAPS = frozenset({"labels", "annotations"})


def _metadata_problem(doc: dict[str, Any]) -> str | None:
    """cli-runtime's metadataValidatingDecoder: TypeMeta and ObjectMeta must decode (first error in key order)."""
    from kpy.gocompat.gojson import go_type

    def mismatch(value: Any, where: str, go: str) -> str:
        shown = go_type(value)
        if shown == "number" and go == "int64":
            shown = f"number {value}"
        return f"json: cannot unmarshal {shown} into Go struct field {where} of type {go}"

    for key in doc:
        value = doc[key]
        if value is None:
            continue
        if key in ("apiVersion", "kind") and not isinstance(value, str):
            return mismatch(value, f"metadataOnlyObject.{key}", "string")
        if key != "metadata":
            continue
        if not isinstance(value, dict):
            return mismatch(value, "metadataOnlyObject.metadata", "v1.ObjectMeta")
        for field_name, field_value in value.items():
            where = f"ObjectMeta.metadata.{field_name}"
            if field_value is None:
                continue
            if field_name in _META_STRINGS and not isinstance(field_value, str):
                return mismatch(field_value, where, "string")
            if field_name in _META_INTS and (
                isinstance(field_value, bool) or not isinstance(field_value, int)
            ):
                return mismatch(field_value, where, "int64")
            if field_name in _META_STRING_MAPS:
                if not isinstance(field_value, dict):
                    return mismatch(field_value, where, "map[string]string")
                for entry in field_value.values():
                    if entry is not None and not isinstance(entry, str):
                        return mismatch(entry, where, "string")
            if field_name == "finalizers":
                if not isinstance(field_value, list):
                    return mismatch(field_value, where, "[]string")
                for entry in field_value:
                    if entry is not None and not isinstance(entry, str):
                        return mismatch(entry, where, "string")
    return None


_LOADERS: dict[bool, Any] = {}


def yaml_loader(pure: bool = False) -> Any:
    """A safe YAML loader that keeps timestamps as strings, as sigs.k8s.io/yaml (YAML → JSON) does.

    libyaml's when PyYAML has it, unless ``pure`` (PyYAML's Python parser: slower, no 1,000-level limit)."""
    if pure not in _LOADERS:
        import re

        import yaml

        base = yaml.SafeLoader if pure else getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class KubeLoader(base):  # type: ignore[misc,valid-type]
            pass

        KubeLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        add_exponent_floats(KubeLoader)
        KubeLoader.add_implicit_resolver(  # go-yaml v2 (kubectl) reads y/Y/n/N as booleans
            "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
        )
        _LOADERS[pure] = KubeLoader
    return _LOADERS[pure]


def add_exponent_floats(cls: Any) -> None:
    """go-yaml reads ``1e21`` as a float; YAML 1.1 (PyYAML) wants a dot. Teach ``cls`` go-yaml's reading."""
    import re

    pattern = re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$")
    for first in "-+0123456789":
        cls.yaml_implicit_resolvers.setdefault(first, [])
        cls.yaml_implicit_resolvers[first] = [
            *cls.yaml_implicit_resolvers[first],
            ("tag:yaml.org,2002:float", pattern),
        ]
