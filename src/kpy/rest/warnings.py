"""API server ``Warning:`` response headers, the client-go way.

The API server adds ``Warning: 299 - "text"`` headers (RFC 7234 5.5) to answers that use a deprecated API,
ignore unknown fields, and so on. client-go parses every response's headers with ``ParseWarningHeaders`` and
hands each warning to a handler; kubectl's handler writes ``Warning: <text>`` to stderr once per distinct text.

Here: :func:`parse_warning_headers` is the pure parser (same grammar and same rejections as apimachinery's
``ParseWarningHeader``), :class:`WarningWriter` is kubectl's deduplicating writer (it writes through a callable,
so the library never prints on its own), and :func:`set_default_warning_handler` is the process-wide default
a ``RestClient`` without its own handler uses. Until someone sets one, warnings go to the ``kpy.rest`` logger at
INFO level (client-go's default ``WarningLogger`` logs them through klog).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from kpy.dataclasslite import dataclass
from kpy.rest.logs import log

WarningHandler = Callable[[int, str, str], None]
"""Called with (code, agent, text) for each warning of a response."""

_CODE = re.compile(r"[0-9]{3}")
_YELLOW = "\x1b[33;1m"
_RESET = "\x1b[0m"


class WarningHeaderError(ValueError):
    """A ``Warning`` header that does not follow RFC 7234 (the rest of that header is skipped)."""


@dataclass(frozen=True)
class WarningHeader:
    """One warning of a ``Warning`` header (a docstring also spares dataclass the signature it would write)."""

    code: int
    agent: str
    text: str


def _has_control(text: str) -> bool:
    import unicodedata

    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _valid_utf8(text: str) -> bool:
    """Header values arrive decoded as latin-1 or with surrogate escapes; Go checks the raw bytes for UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_quoted(value: str) -> tuple[str, str]:
    """A backslash-escaped quoted string at the start of ``value``; returns (text, rest after it, stripped)."""
    if not value:
        raise WarningHeaderError("invalid quoted string: 0-length")
    if value[0] != '"':
        raise WarningHeaderError("invalid quoted string: missing initial quote")
    out: list[str] = []
    escaping = False
    for index in range(1, len(value)):
        ch = value[index]
        if ch == '"' and not escaping:
            return "".join(out), value[index + 1 :].strip()
        if ch == "\\" and not escaping:
            escaping = True
            continue
        out.append(ch)
        escaping = False
    raise WarningHeaderError("invalid quoted string: missing closing quote")


def _decode_rfc2047(text: str) -> str:
    """Tolerate RFC 2047 encoded words (``=?UTF-8?Q?...?=``) from RFC 2616-era servers, like Go's WordDecoder."""
    if "=?" not in text:
        return text
    try:
        import email.header  # only for a warning that is MIME-encoded

        parts = email.header.decode_header(text)
        decoded = "".join(
            part.decode(charset or "utf-8") if isinstance(part, bytes) else part for part, charset in parts
        )
    except (ValueError, LookupError, UnicodeDecodeError):
        return text
    return decoded


def parse_warning_header(header: str) -> tuple[WarningHeader, str]:
    """One warning from the start of ``header``: ``code agent "text" ["date"]``; returns it and the rest
    (after a separating comma). Raises :class:`WarningHeaderError` with apimachinery's messages."""
    header = header.strip()
    parts = header.split(" ", 2)
    if len(parts) != 3:
        raise WarningHeaderError("invalid warning header: fewer than 3 segments")
    code, agent, text_date_rest = parts
    if not _CODE.fullmatch(code):
        raise WarningHeaderError("invalid warning header: code segment is not 3 digits between 100-299")
    if not agent:
        raise WarningHeaderError("invalid warning header: empty agent segment")
    if not _valid_utf8(agent) or _has_control(agent):
        raise WarningHeaderError("invalid warning header: invalid agent")
    if not text_date_rest:
        raise WarningHeaderError("invalid warning header: empty text segment")
    try:
        text, rest = _parse_quoted(text_date_rest)
    except WarningHeaderError as exc:
        raise WarningHeaderError(f"invalid warning header: {exc}") from None
    text = _decode_rfc2047(text)
    if not _valid_utf8(text) or _has_control(text):
        raise WarningHeaderError("invalid warning header: invalid text")
    result = WarningHeader(int(code), agent, text)
    remainder = ""
    if rest:
        if rest[0] == '"':
            end = rest.find('"', 1)
            if end < 0:
                raise WarningHeaderError("invalid warning header: unterminated date segment")
            remainder = rest[end + 1 :].strip()
        else:
            remainder = rest
    if remainder:
        if remainder[0] != ",":
            raise WarningHeaderError("invalid warning header: unexpected token after warn-date")
        remainder = remainder[1:].strip()
    return result, remainder


def parse_warning_headers(headers: Iterable[str]) -> tuple[list[WarningHeader], list[WarningHeaderError]]:
    """Every warning of every ``Warning`` header value; a malformed one ends its header (client-go)."""
    results: list[WarningHeader] = []
    errors: list[WarningHeaderError] = []
    for header in headers:
        while header:
            try:
                warning, header = parse_warning_header(header)
            except WarningHeaderError as exc:
                errors.append(exc)
                break
            results.append(warning)
    return results, errors


def format_warning_header(text: str, code: int = 299, agent: str = "-") -> str:
    """``299 - "text"`` with ``"`` and ``\\`` escaped (apimachinery's ``NewWarningHeader``)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{code:03d} {agent} "{quoted}"'


class WarningWriter:
    """kubectl's warning handler: ``Warning: <text>`` for code 299 with a text, each distinct text once.

    ``write`` receives whole lines (with the newline); ``color`` makes ``Warning:`` bold yellow, as kubectl
    does when stderr is a terminal.
    """

    def __init__(
        self, write: Callable[[str], object], *, deduplicate: bool = True, color: bool = False
    ) -> None:
        self._write = write
        self._deduplicate = deduplicate
        self._color = color
        self._written: set[str] = set()
        import _thread  # threading's lock, without importing threading for a one-shot command

        self._lock = _thread.allocate_lock()
        self.count = 0

    def __call__(self, code: int, agent: str, text: str) -> None:
        if code != 299 or not text:
            return
        with self._lock:
            if self._deduplicate:
                if text in self._written:
                    return
                self._written.add(text)
            self.count += 1
            prefix = f"{_YELLOW}Warning:{_RESET}" if self._color else "Warning:"
            self._write(f"{prefix} {text}\n")


def log_warning(code: int, agent: str, text: str) -> None:
    """client-go's default ``WarningLogger``: log code-299 warnings (INFO, so silent unless logging is on)."""
    if code == 299 and text:
        log.info("Warning: %s", text)


_default: WarningHandler = log_warning


def set_default_warning_handler(handler: WarningHandler | None) -> None:
    """The handler of clients created without one (None restores the logging default)."""
    global _default
    _default = handler or log_warning


def default_warning_handler() -> WarningHandler:
    return _default


def handle_warnings(header_values: Iterable[str], handler: WarningHandler | None) -> list[WarningHeader]:
    """Parse a response's ``Warning`` headers and pass each warning to ``handler`` (or the default)."""
    warnings, _ = parse_warning_headers(header_values)
    target = handler or _default
    for warning in warnings:
        target(warning.code, warning.agent, warning.text)
    return warnings
