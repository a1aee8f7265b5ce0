"""Label and field selectors as the apiserver parses and matches them (apimachinery pkg/labels, pkg/fields).

Pure functions: ``parse_label_selector`` / ``parse_field_selector`` raise :class:`SelectorError` with the
upstream message; the resulting selectors are ``matches(dict) -> bool``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SPECIAL = ("==", "!=", "=", "!", "(", ")", ",", ">", "<")
_SPECIAL_CHARS = set("=!(),><")
#: Token kinds the parser reads as identifiers where it expects a key or a value ("in"/"notin" included).
_WORDS = ("id", "in", "notin")

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


class SelectorError(ValueError):
    """A selector that does not parse; ``str()`` is the apiserver's message."""


# ---------------------------------------------------------------------------------------------- labels


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal); kinds: id, in, notin, op literal, end."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _SPECIAL_CHARS:
            for sym in _SPECIAL:
                if text.startswith(sym, i):
                    tokens.append((sym, sym))
                    i += len(sym)
                    break
            continue
        j = i
        while j < len(text) and not text[j].isspace() and text[j] not in _SPECIAL_CHARS:
            j += 1
        word = text[i:j]
        tokens.append((word if word in ("in", "notin") else "id", word))
        i = j
    tokens.append(("end", ""))
    return tokens


def validate_label_key(key: str) -> str | None:
    """The validation message for a bad label key, or None (validation.IsQualifiedName)."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "prefix part must be non-empty"
    if key.count("/") > 1:
        return (
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
            "and '/' (e.g. 'example.com/MyName')"
        )
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.match(name):
        return _NAME_MSG
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return (
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
            "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
    return None


def _validate_value(key: str, index: int, value: str) -> None:
    if len(value) > 63:
        raise SelectorError(
            f'values[{index}][{key}]: Invalid value: "{value}": must be no more than 63 characters'
        )
    if not _LABEL_VALUE.match(value):
        raise SelectorError(f'values[{index}][{key}]: Invalid value: "{value}": {_VALUE_MSG}')


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return has and value in self.values
        if self.op in ("!=", "notin"):
            return not has or value not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if not has:
            return False
        try:
            left, right = int(str(value)), int(self.values[0])
        except ValueError:
            return False
        return left > right if self.op == "gt" else left < right


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def parse_label_selector(text: str) -> LabelSelector:
    """Parse like labels.Parse: =, ==, !=, in (...), notin (...), key, !key, > and < (integers)."""
    tokens = _lex(text)
    pos = 0
    reqs: list[Requirement] = []

    def peek() -> tuple[str, str]:
        return tokens[pos]

    def take() -> tuple[str, str]:
        nonlocal pos
        tok = tokens[pos]
        pos = min(pos + 1, len(tokens) - 1)
        return tok

    def show(tok: tuple[str, str]) -> str:
        return tok[1]

    def requirement() -> Requirement:
        kind, lit = take()
        negate = False
        if kind == "!":
            negate = True
            kind, lit = take()
        if kind not in _WORDS:
            raise SelectorError(f"found '{lit}', expected: identifier")
        problem = validate_label_key(lit)
        if problem:
            # The parser validates the key with its own field path, which is nil for a query parameter.
            raise SelectorError(f'<nil>: Invalid value: "{lit}": {problem}')
        key = lit
        if negate:
            return Requirement(key, "!")  # whatever follows is the caller's to reject
        if peek()[0] in ("end", ","):
            return Requirement(key, "exists")
        kind, lit = take()
        ops = {"=": "=", "==": "=", "!=": "!=", "in": "in", "notin": "notin", ">": "gt", "<": "lt"}
        if kind not in ops:
            raise SelectorError(f"found '{lit}', expected: in, notin, =, ==, !=, gt, lt")
        op = ops[kind]
        values: list[str] = []
        if op in ("in", "notin"):
            values = value_set()
        else:
            kind, lit = peek()
            if kind in ("end", ","):
                values.append("")
            elif kind in ("id", "in", "notin"):
                take()
                values.append(lit)
            else:
                raise SelectorError(f"found '{lit}', expected: identifier")
        if op in ("gt", "lt"):
            try:
                int(values[0])
            except ValueError:
                raise SelectorError(
                    f"values[0]: Invalid value: \"{values[0]}\": for 'Gt', 'Lt' operators, the value must be "
                    "an integer"
                ) from None
        for i, v in enumerate(values):
            _validate_value(key, i, v)
        return Requirement(key, op, tuple(values))

    def value_set() -> list[str]:
        """``(a,b,...)`` as Parser.parseValues reads it: "()" and empty items stand for the value ""."""
        kind, lit = take()
        if kind != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        kind, first = peek()
        if kind == ")":
            take()
            return [""]
        if kind != "," and kind not in _WORDS:
            raise SelectorError(f"found '{first}', expected: ',', ')' or identifier")
        found: set[str] = set()
        while True:
            kind, lit = take()
            if kind in _WORDS:
                found.add(lit)
                nxt, nlit = peek()
                if nxt == ")":
                    break
                if nxt != ",":
                    raise SelectorError(f"found '{nlit}', expected: ',' or ')'")
            elif kind == ",":
                if not found:
                    found.add("")  # "(,"
                nxt = peek()[0]
                if nxt == ")":
                    found.add("")  # ",)"
                    break
                if nxt == ",":
                    found.add("")  # ",,"
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")
        if take()[0] != ")":
            raise SelectorError(f"found '{first}', expected: ')'")
        return sorted(found)

    while True:
        kind, lit = peek()
        if kind == "end":
            break
        if kind != "!" and kind not in _WORDS:
            raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
        try:
            reqs.append(requirement())
        except SelectorError as exc:
            raise SelectorError(f"unable to parse requirement: {exc}") from None
        kind, lit = peek()
        if kind == "end":
            break
        if kind != ",":
            raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
        take()
        if peek()[0] != "!" and peek()[0] not in _WORDS:
            raise SelectorError(f"found '{peek()[1]}', expected: identifier after ','")
    return LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))


# ---------------------------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class FieldTerm:
    field: str
    op: str  # "=" or "!="
    value: str


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[FieldTerm, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        for t in self.terms:
            have = fields.get(t.field, "")
            if (t.op == "=") != (have == t.value):
                return False
        return True

    @property
    def empty(self) -> bool:
        return not self.terms


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    """fields.UnescapeValue: ``\\``, ``\\,`` and ``\\=`` are escapes; anything else after a backslash, a bare
    ``,`` or ``=``, or a trailing backslash is an error (the rune printed as its code point, as Go's %v does)."""
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value):
                raise SelectorError("invalid field selector: invalid escape sequence: \\")
            if value[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{value[i + 1]}")
            out.append(value[i + 1])
            i += 2
            continue
        if ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        out.append(ch)
        i += 1
    return "".join(out)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse like fields.ParseSelector: comma-separated ``f=v``, ``f==v``, ``f!=v`` with backslash escapes."""
    if not text.strip():
        return FieldSelector()
    terms: list[FieldTerm] = []
    for part in _split_unescaped(text, ","):
        if part == "":
            continue
        for i in range(len(part)):
            if part.startswith("\\", i):
                continue
            found = next((op for op in ("!=", "==", "=") if part.startswith(op, i)), None)
            if found is not None:
                field, value = part[:i], part[i + len(found) :]
                terms.append(FieldTerm(field.strip(), "!=" if found == "!=" else "=", _unescape(value)))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
    return FieldSelector(tuple(terms))
