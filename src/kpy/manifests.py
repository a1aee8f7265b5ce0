"""Objects from ``-f FILE|DIR|-``: JSON or YAML, single objects, Lists and multi-document YAML, like kubectl."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from kpy.decode import loads_json
from kpy.errors import UsageError

_EXTENSIONS = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Manifest:
    """The objects one source held, and whether that source was a single object (kubectl's singleItemImplied)."""

    source: str
    objects: list[dict[str, Any]]
    single: bool


def load(paths: Iterable[str], stdin: TextIO | None = None) -> list[Manifest]:
    out: list[Manifest] = []
    for path in paths:
        if path == "-":
            out.append(parse((stdin or sys.stdin).read(), "STDIN"))
        elif os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(_EXTENSIONS):
                    out.append(_read(os.path.join(path, name)))
        else:
            out.append(_read(path))
    return out


def _read(path: str) -> Manifest:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise UsageError(f'the path "{path}" does not exist') from None
    except OSError as exc:
        raise UsageError(f'error reading "{path}": {exc.strerror or exc}') from None
    return parse(text, path)


def parse(text: str, source: str) -> Manifest:
    """Decode JSON (fast path) or YAML documents; List objects are flattened into their items."""
    docs: list[Any]
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            docs = [loads_json(text)]
        except json.JSONDecodeError:
            docs = _yaml_docs(text, source)
    else:
        docs = _yaml_docs(text, source)
    objects: list[dict[str, Any]] = []
    single = True
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        single = False
    for doc in docs:
        if not isinstance(doc, dict):
            raise UsageError(f"error validating \"{source}\": an object is expected, got {type(doc).__name__}")
        if isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
            single = False
            objects.extend(item for item in doc["items"] if isinstance(item, dict))
            continue
        if "kind" not in doc:
            raise UsageError(f'error validating "{source}": error validating data: kind not set')
        objects.append(doc)
    return Manifest(source, objects, single and len(objects) == 1)


_LOADER: Any = None


def yaml_loader() -> Any:
    """A safe YAML loader that keeps timestamps as strings, as sigs.k8s.io/yaml (YAML → JSON) does."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class KubeLoader(base):  # type: ignore[misc,valid-type]
            pass

        KubeLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        add_exponent_floats(KubeLoader)
        _LOADER = KubeLoader
    return _LOADER


def add_exponent_floats(cls: Any) -> None:
    """go-yaml reads ``1e21`` as a float; YAML 1.1 (PyYAML) wants a dot. Teach ``cls`` go-yaml's reading."""
    import re

    pattern = re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$")
    for first in "-+0123456789":
        cls.yaml_implicit_resolvers.setdefault(first, [])
        cls.yaml_implicit_resolvers[first] = [*cls.yaml_implicit_resolvers[first],
                                              ("tag:yaml.org,2002:float", pattern)]


def _yaml_docs(text: str, source: str) -> list[Any]:
    import yaml

    try:
        return list(yaml.load_all(text, Loader=yaml_loader()))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f'error parsing {source}:{where}: {problem}') from None
