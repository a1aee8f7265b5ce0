"""``-o json``, ``-o yaml`` and ``-o name``, byte-compatible with kubectl's printers.

kubectl prints unstructured objects with Go's encoders: JSON via ``json.MarshalIndent`` (4-space indent, keys
sorted, ``<``/``>``/``&`` and U+2028/U+2029 escaped as ``\\u003c`` etc.), YAML via sigs.k8s.io/yaml (see
``kpy.printers.goyaml``). Both are written item by item for Lists.
"""

from __future__ import annotations

from kpy.gocompat.jsonindent import write_go_json

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, TextIO


class JSONPrinter:
    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        write_go_json(obj, out.write)


class YAMLPrinter:
    """kubectl's YAML (sigs.k8s.io/yaml), written item by item; one emitter keeps its caches across objects.

    Like kubectl's YAMLPrinter, every object after the first one a printer prints (``get -w``) starts with
    ``---``.
    """

    def __init__(self) -> None:
        from kpy.printers.goyaml import YAMLEmitter

        self._emitter = YAMLEmitter()
        self._printed = 0

    def print_obj(self, obj: dict[str, Any], out: TextIO) -> None:
        self._printed += 1
        if self._printed > 1:
            out.write("---\n")
        self._emitter.dump(obj, out.write)


def to_yaml(obj: Any) -> str:
    from kpy.printers.goyaml import dump

    return dump(obj)


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
