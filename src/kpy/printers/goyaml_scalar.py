"""Strings as go-yaml v2 writes them: which style (plain, single- or double-quoted, literal block) and the text.

A port of the decisions, not of the code: go-yaml's resolver (``resolve.go``: what a plain scalar would read back
as) and libyaml's scalar analysis and writers (``emitterc.go``), working on Python strings. Columns count
characters, as go-yaml's do.
"""

from __future__ import annotations

import re

BEST_WIDTH = 80
INDENT = 2

_BREAKS = "\r\n\x85\u2028\u2029"
#: libyaml's is_printable: LF, 0x20-0x7E, 0xA0-0xD7FF, 0xE000-0xFFFD except the BOM (no tab, no astral plane)
_SPECIAL = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
#: strings that are always plain, whatever their position: a letter or / first, then ordinary characters
_SIMPLE = re.compile(r"[A-Za-z/_][A-Za-z0-9_./=+@%()-]*")
SIMPLE_MATCH = _SIMPLE.fullmatch
NOT_PLAIN_WORDS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "true",
        "True",
        "TRUE",
        "on",
        "On",
        "ON",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "false",
        "False",
        "FALSE",
        "off",
        "Off",
        "OFF",
        "~",
        "null",
        "Null",
        "NULL",
        ".nan",
        ".NaN",
        ".NAN",
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "+.Inf",
        "+.INF",
        "-.inf",
        "-.Inf",
        "-.INF",
    ]
)
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_GO_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:[Tt]|( +))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
INT64 = 1 << 63
UINT64 = 1 << 64


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``, then ``ParseUint`` (no sign), as go-yaml's resolver tries them."""
    m = _GO_INT.fullmatch(text)
    if m is None:
        return None
    sign, hexa, octo, bina, zero, dec = m.groups()
    if hexa is not None:
        value = int(hexa, 16)
    elif octo is not None:
        value = int(octo, 8)
    elif bina is not None:
        value = int(bina, 2)
    elif zero is not None:
        value = int(zero, 8)
    else:
        value = int(dec)
    if sign == "-":
        return -value if value <= INT64 else None
    if value < INT64 or (not sign and value < UINT64):
        return value
    return None


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _is_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp: the four layouts it hands to Go's time.Parse, with time.Parse's range checks."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return False
    year, month, day, spaced, hour, minute, second, zone = m.groups()
    if hour is not None:
        if (zone is None) != (spaced is not None):  # the T layouts need a zone, the spaced one has none
            return False
        if int(hour) >= 24 or int(minute) >= 60 or int(second) >= 60:
            return False
        if zone and zone != "Z" and (int(zone[1:3]) > 24 or int(zone[4:6]) > 60):
            return False
    month_n = int(month)
    return 1 <= month_n <= 12 and 1 <= int(day) <= _days_in(month_n, int(year))


_NEL_RUN = re.compile("[ ]*\x85[ \x85]*")


def reread(text: str) -> str:
    """The string as go-yaml reads it back from kubectl's JSON: Go leaves NEL (U+0085) unescaped, and a raw line
    break in a double-quoted scalar folds (with the spaces around it) into one space, or n-1 newlines for n."""
    if "\x85" not in text:
        return text
    return _NEL_RUN.sub(
        lambda m: " " if m.group().count("\x85") == 1 else "\n" * (m.group().count("\x85") - 1), text
    )


def resolves_to_string(text: str) -> bool:
    """Whether go-yaml reads ``text`` written plain back as a string (and it is no base-60 float)."""
    if not text:
        return False
    first = text[0]
    if first in "yYnNtTfFoO~":
        return text not in NOT_PLAIN_WORDS
    if first == ".":
        return not (text in NOT_PLAIN_WORDS or _DOT_FLOAT.fullmatch(text))
    if first in "+-0123456789":
        if text in NOT_PLAIN_WORDS:
            return False
        if ":" in text and _BASE60.fullmatch(text):
            return False
        if _is_timestamp(text):
            return False
        plain = text.replace("_", "")
        if _go_int(plain) is not None:
            return False
        if _YAML_FLOAT.fullmatch(plain) and abs(float(plain)) != float("inf"):
            return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Style selection (libyaml's yaml_emitter_analyze_scalar + yaml_emitter_select_scalar_style, block context)

PLAIN, SINGLE, DOUBLE, LITERAL = 0, 1, 2, 3
_BLOCK_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
_COLON_BLANK = re.compile(r":(?:[ \t]|\Z)")
_HASH_AFTER_BLANK = re.compile("[ \t\r\n\x85\u2028\u2029\x00]#")
_BREAK_SPACE = re.compile("[\r\n\x85\u2028\u2029] ")
_SPACE_BREAK = re.compile(" [\r\n\x85\u2028\u2029]")
ANY_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def scalar_style(text: str, simple_key: bool = False) -> int:
    """The style go-yaml writes a string in (in block context; ``simple_key`` for a mapping key)."""
    if "\n" in text:
        wanted = LITERAL
    elif resolves_to_string(text):
        wanted = PLAIN
    else:
        wanted = DOUBLE
    if not text:
        return DOUBLE if wanted != PLAIN else (SINGLE if simple_key else PLAIN)
    special = _SPECIAL.search(text) is not None
    space_break = _SPACE_BREAK.search(text) is not None
    break_space = _BREAK_SPACE.search(text) is not None
    line_breaks = ANY_BREAK.search(text) is not None
    if simple_key and line_breaks:
        return DOUBLE
    if wanted == PLAIN:
        first = text[0]
        plain_ok = not (
            special
            or space_break
            or break_space
            or line_breaks
            or first == " "
            or text[-1] == " "
            or first in _BLOCK_FIRST
            or (first in "?-" and (len(text) == 1 or text[1] in " \t"))
            or text.startswith(("---", "..."))
            or _COLON_BLANK.search(text) is not None
            or _HASH_AFTER_BLANK.search(text) is not None
        )
        if plain_ok:
            return PLAIN
        wanted = SINGLE
    if wanted == SINGLE:
        return DOUBLE if (break_space or space_break or special) else SINGLE
    if wanted == LITERAL:
        return DOUBLE if (text[-1] == " " or space_break or special or simple_key) else LITERAL
    return DOUBLE


# ---------------------------------------------------------------------------------------------------------------
# Writers: each returns the text from the position after "key:" / "-" up to the end of the scalar, and leaves
# the output at the start of a line (a trailing "\n" unless the scalar itself ended with a line break).

_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
_NEEDS_ESCAPE = re.compile('[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]|["\\\\\u2028\u2029]')


def _escape(char: str) -> str:
    known = _ESCAPES.get(char)
    if known is not None:
        return known
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _escape_all(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _escape(m.group()), text)


def _write_plain(text: str, column: int, indent: int, allow_breaks: bool) -> tuple[str, int]:
    out: list[str] = []
    spaces = False
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == " ":
            if allow_breaks and not spaces and column > BEST_WIDTH and not (i + 1 < n and text[i + 1] == " "):
                out.append("\n" + " " * indent)
                column = indent
            else:
                out.append(char)
                column += 1
            spaces = True
        else:
            out.append(char)
            column += 1
            spaces = False
        i += 1
    return "".join(out), column


def _write_single(text: str, column: int, indent: int, allow_breaks: bool) -> tuple[str, int]:
    out = ["'"]
    column += 1
    spaces = breaks = False
    n = len(text)
    for i, char in enumerate(text):
        if char == " ":
            if allow_breaks and not spaces and column > BEST_WIDTH and 0 < i < n - 1 and text[i + 1] != " ":
                out.append("\n" + " " * indent)
                column = indent
            else:
                out.append(char)
                column += 1
            spaces = True
        elif char in _BREAKS:
            if not breaks and char == "\n":
                out.append("\n")
            out.append(char)
            column = 0
            breaks = True
        else:
            if breaks:
                out.append(" " * indent)
                column = indent
            if char == "'":
                out.append("'")
                column += 1
            out.append(char)
            column += 1
            spaces = breaks = False
    out.append("'")
    return "".join(out), column + 1


def _write_double(text: str, column: int, indent: int, allow_breaks: bool) -> tuple[str, int]:
    if text.startswith(
        "\ufeff"
    ):  # go-yaml's is_bom looks at the first byte, for every character: all escaped
        escaped = "".join(map(_escape, text))
        return '"' + escaped + '"', column + len(escaped) + 2
    if not allow_breaks or column + 2 + len(text) * 10 <= BEST_WIDTH or " " not in text:
        escaped = _escape_all(text)
        return '"' + escaped + '"', column + len(escaped) + 2
    out = ['"']
    column += 1
    spaces = False
    n = len(text)
    for i, char in enumerate(text):
        if char == " ":
            if allow_breaks and not spaces and column > BEST_WIDTH and 0 < i < n - 1:
                out.append("\n" + " " * indent)
                column = indent
                if text[i + 1] == " ":
                    out.append("\\")
                    column += 1
            else:
                out.append(" ")
                column += 1
            spaces = True
        else:
            piece = _escape_all(char)
            out.append(piece)
            column += len(piece)
            spaces = False
    out.append('"')
    return "".join(out), column + 1


def _write_literal(text: str, indent: int) -> tuple[str, int]:
    hint = "|"
    if text[0] == " " or text[0] in _BREAKS:
        hint += str(INDENT)
    if text[-1] not in _BREAKS:
        hint += "-"
    elif len(text) == 1 or text[-2] in _BREAKS:
        hint += "+"
    out = [hint, "\n"]
    column = 0
    pad = " " * indent
    breaks = True
    for char in text:
        if char in _BREAKS:
            out.append(char)
            column = 0
            breaks = True
        else:
            if breaks:
                out.append(pad)
                column = indent
            out.append(char)
            column += 1
            breaks = False
    return "".join(out), column


def render_scalar(text: str, column: int, indent: int, simple_key: bool = False) -> tuple[str, int]:
    """``text`` as go-yaml writes it starting after an indicator at ``column`` (the space included).

    Returns the text and the column after it (0 when a block scalar ended with its own line break).
    """
    style = scalar_style(text, simple_key)
    allow_breaks = not simple_key
    if style == PLAIN:
        body, column = _write_plain(text, column + 1, indent, allow_breaks)
        return " " + body, column
    if style == SINGLE:
        body, column = _write_single(text, column + 1, indent, allow_breaks)
    elif style == DOUBLE:
        body, column = _write_double(text, column + 1, indent, allow_breaks)
    else:
        body, column = _write_literal(text, indent)
    return " " + body, column
