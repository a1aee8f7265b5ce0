"""A small exact reader for the kubeconfig shapes kubectl and kpy's tools write, so a one-shot command needs no
PyYAML import (~10 ms of a ~60 ms budget).

``load(text)`` returns the document, or ``UNSUPPORTED`` when the text uses anything outside the subset below;
the caller then parses it with PyYAML, so the answer (and every error message) is always PyYAML's. The subset:

* JSON (what ``kpy.testing`` writes): an object whose strings hold no backslash, no numbers, no duplicate keys;
* block YAML: mappings and ``- `` sequences by indentation (a mapping's sequence may sit at the key's column, as
  kubectl writes it), one ``key: value`` per line, keys that are plain words, comment lines, ``# comments``
  after a value;
* scalars on one line: plain words that YAML 1.1 (PyYAML's resolver) reads as strings, ``true``/``false`` and
  their spellings, ``null``/``~``, ``"double"`` quoted without escapes, ``'single'`` quoted, ``{}``, ``[]``,
  and one-line flow collections of plain words (``{cluster: c, user: u}``, ``[a, b]``).

Anything else (anchors, tags, block scalars, multi-line scalars, numbers, non-ASCII text, tabs, ``\\r``,
duplicate keys, document markers, quoted keys) is UNSUPPORTED. A test compares this reader with PyYAML on
every kubeconfig of the client-go differential data and on odd documents.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

#: returned for a text outside the subset (parse it with PyYAML)
UNSUPPORTED: Any = object()

_BOOLS = {
    "yes": True,
    "Yes": True,
    "YES": True,
    "no": False,
    "No": False,
    "NO": False,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
    "on": True,
    "On": True,
    "ON": True,
    "off": False,
    "Off": False,
    "OFF": False,
}
_NULLS = ("~", "null", "Null", "NULL")
#: YAML's "simple key" limit (PyYAML and libyaml refuse longer implicit keys)
_MAX_KEY = 1000
#: what may start a key, a plain scalar or a flow word, and what may follow in a key or a flow word (no regular
#: expressions: compiling them would cost a one-shot command more than the reading)
_WORD_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-")


class _Unsupported(Exception):
    pass


def load(text: str) -> Any:
    """The document in ``text``, or ``UNSUPPORTED``."""
    if not text.isascii() or not text.replace("\n", "").isprintable():  # control characters, tabs, \r
        return UNSUPPORTED
    try:
        stripped = text.lstrip(" \n")
        if stripped.startswith("{"):
            return _json(text)
        return _Block(text).document()
    except _Unsupported:
        return UNSUPPORTED


def _json(text: str) -> Any:
    import json

    if "\\" in text:
        raise _Unsupported
    # YAML wants each key and its ``:`` on one line: outside the strings, every ``:`` follows a closing quote
    outside = text.split('"')[::2]
    if ":" in outside[0] or any(":" in part[1:] for part in outside[1:]):
        raise _Unsupported
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_unique_pairs,
            parse_float=_no_number,
            parse_int=_no_number,
            parse_constant=_no_number,
        )
    except ValueError:
        raise _Unsupported from None
    return doc


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs) or any(len(key) > _MAX_KEY for key in out):
        raise _Unsupported
    return out


def _no_number(text: str) -> Any:
    raise _Unsupported


class _Block:
    """Block YAML by indentation, line by line."""

    def __init__(self, text: str) -> None:
        self.lines: list[tuple[int, str]] = []
        for raw in text.split("\n"):
            content = raw.lstrip(" ")
            if not content or content.startswith("#"):
                continue
            if raw.startswith(("---", "...", "%")):
                raise _Unsupported
            self.lines.append((len(raw) - len(content), content.rstrip(" ")))
        self.pos = 0

    def document(self) -> Any:
        if not self.lines or self.lines[0][0] != 0:
            raise _Unsupported
        doc = self._block(0)
        if self.pos != len(self.lines) or not isinstance(doc, dict):
            raise _Unsupported
        return doc

    def _block(self, indent: int) -> Any:
        content = self.lines[self.pos][1]
        if content == "-" or content.startswith("- "):
            return self._sequence(indent)
        return self._mapping(indent)

    def _mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines = self.lines
        while self.pos < len(lines):
            at, content = lines[self.pos]
            if at < indent:
                break
            if at > indent or content == "-" or content.startswith("- "):
                raise _Unsupported
            found = _key(content)
            if found is None:
                raise _Unsupported
            key, rest = found
            if key in out or key in _BOOLS or key in _NULLS or len(key) > _MAX_KEY:
                raise _Unsupported
            self.pos += 1
            if rest and not rest.startswith("#"):
                out[key] = _scalar(rest)
                continue
            out[key] = self._nested(indent, allow_same_column_sequence=True)
        return out

    def _sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        lines = self.lines
        while self.pos < len(lines):
            at, content = lines[self.pos]
            if at != indent or not (content == "-" or content.startswith("- ")):
                if at > indent:
                    raise _Unsupported
                break
            rest = content[2:]
            if not rest or rest.startswith("#"):
                self.pos += 1
                out.append(self._nested(indent, allow_same_column_sequence=False))
            elif rest.startswith(" ") or rest == "-" or rest.startswith("- "):
                raise _Unsupported  # an item indented further, or a sequence in a sequence on one line
            elif _key(rest) is not None:
                lines[self.pos] = (indent + 2, rest)  # ``- key: value``: a mapping at the key's column
                out.append(self._mapping(indent + 2))
            else:
                self.pos += 1
                out.append(_scalar(rest))
        return out

    def _nested(self, indent: int, *, allow_same_column_sequence: bool) -> Any:
        """The value after ``key:`` or ``-`` with nothing more on the line: the block below it, or null."""
        if self.pos >= len(self.lines):
            return None
        at, content = self.lines[self.pos]
        if at > indent:
            return self._block(at)
        if at == indent and allow_same_column_sequence and (content == "-" or content.startswith("- ")):
            return self._sequence(indent)
        return None


def _key(content: str) -> tuple[str, str] | None:
    """``(key, rest)`` for a ``key:`` line (a plain word, then ``:`` at the end or before a space), else None."""
    colon = content.find(":")
    key, rest = content[:colon], content[colon + 1 :]
    if colon < 0 or (rest and rest[0] != " ") or not _word(key):
        return None
    return key, rest.lstrip(" ")


def _word(text: str) -> bool:
    """A plain word: ``[A-Za-z_][A-Za-z0-9_./-]*``, or starting with ``/``."""
    return bool(text) and (text[0] in _WORD_FIRST or text[0] == "/") and all(c in _WORD_CHARS for c in text)


def _plain_start(value: str) -> bool:
    """A plain scalar YAML 1.1 reads as a string whatever follows: a letter, ``_``, ``/``, ``~/``, ``./``,
    ``../``, or ``-`` then a letter or ``-`` (``--flag``; never a number)."""
    first = value[0]
    if first in _WORD_FIRST or first == "/":
        return True
    if first == "-":
        return len(value) > 1 and (value[1] in _WORD_FIRST or value[1] == "-") and value[1] != "_"
    return value.startswith(("~/", "./", "../"))


def _scalar(text: str) -> Any:
    """One value on one line (``text`` starts at the value, trailing spaces removed)."""
    first = text[0]
    if first == '"':
        end = text.find('"', 1)
        if end < 0 or "\\" in text[:end]:
            raise _Unsupported
        _after_scalar(text[end + 1 :])
        return text[1:end]
    if first == "'":
        i = 1
        parts = []
        while True:
            end = text.find("'", i)
            if end < 0:
                raise _Unsupported
            parts.append(text[i:end])
            if text.startswith("'", end + 1):
                parts.append("'")
                i = end + 2
                continue
            _after_scalar(text[end + 1 :])
            return "".join(parts)
    value = text.split(" #", 1)[0].rstrip(" ")
    if first == "{" or first == "[":
        return _flow(value)
    if value in _BOOLS:
        return _BOOLS[value]
    if value in _NULLS:
        return None
    if not _plain_start(value) or ": " in value or value.endswith(":") or value.startswith("---"):
        raise _Unsupported
    return value


def _after_scalar(rest: str) -> None:
    """After a quoted scalar only spaces and a comment may follow."""
    if rest and not (rest.startswith(" ") and (not rest.strip(" ") or rest.lstrip(" ").startswith("#"))):
        raise _Unsupported


def _flow(text: str) -> Any:
    """``{}``, ``[]``, ``{a: b, c: d}`` or ``[a, b]`` of plain words (or true/false/null)."""
    close = "}" if text[0] == "{" else "]"
    if not text.endswith(close):
        raise _Unsupported
    inner = text[1:-1].strip(" ")
    if not inner:
        return {} if close == "}" else []
    if any(c in inner for c in "{}[]#'\"&*!|>%@`?"):
        raise _Unsupported
    items = [item.strip(" ") for item in inner.split(",")]
    if close == "]":
        return [_flow_word(item) for item in items]
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition(": ")
        key = key.strip(" ")
        if not sep or not _word(key) or key in _BOOLS or key in _NULLS or key in out or len(key) > _MAX_KEY:
            raise _Unsupported
        out[key] = _flow_word(value.strip(" "))
    return out


def _flow_word(word: str) -> Any:
    if word in _BOOLS:
        return _BOOLS[word]
    if word in _NULLS:
        return None
    if not _word(word):
        raise _Unsupported
    return word
