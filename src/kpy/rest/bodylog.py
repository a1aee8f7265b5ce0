"""``-v=8``/``-v=9`` body logging, as client-go's ``rest.Request`` does it (``logBody``/``truncateBody``).

A body with a byte below 0x0a (protobuf, gzip ...) is shown as Go's ``hex.Dump``, anything else as text, both
in klog's structured form (``"Response Body" body="..."``), truncated to 1024 characters at -v=8, 10240 at
-v=9 and not at all from -v=10, with client-go's `` [truncated N chars]`` suffix.

One deliberate difference: kubectl prints Secret values and issued tokens in these logs; kpy masks them
(``data``/``stringData`` of Secrets, ``status.token`` of a TokenRequest) because logs get pasted into issues.
The Authorization header is masked elsewhere (``kpy.config.redact``), as kubectl does.
"""

from __future__ import annotations

import json
from typing import Any

MASK = "<masked>"


def truncate(text: str, verbosity: int) -> str:
    if verbosity >= 10:
        return text
    limit = 10240 if verbosity >= 9 else 1024
    if len(text) <= limit:
        return text
    return text[:limit] + f" [truncated {len(text) - limit} chars]"


def hex_dump(data: bytes) -> str:
    """Go's ``encoding/hex.Dump``."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        cells = [f"{b:02x}" for b in chunk] + ["  "] * (16 - len(chunk))
        hexpart = " ".join(cells[:8]) + "  " + " ".join(cells[8:])
        text = "".join(chr(b) if 32 <= b <= 126 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexpart}  |{text}|\n")
    return "".join(lines)


def _go_quote(text: str) -> str:
    """klog quotes a string value like Go's %q (close enough: JSON's escapes, non-ASCII kept)."""
    return json.dumps(text, ensure_ascii=False)


def _mask_secret(obj: dict[str, Any]) -> bool:
    changed = False
    for key in ("data", "stringData"):
        values = obj.get(key)
        if isinstance(values, dict) and values:
            obj[key] = dict.fromkeys(values, MASK)
            changed = True
    return changed


def _mask_secrets(obj: Any) -> bool:
    """Mask Secret values and TokenRequest tokens in place (also inside Lists and Tables); True if any."""
    if not isinstance(obj, dict):
        return False
    kind = obj.get("kind")
    if kind == "Secret":
        return _mask_secret(obj)
    if kind == "TokenRequest":
        status = obj.get("status")
        if isinstance(status, dict) and status.get("token"):
            status["token"] = MASK
            return True
        return False
    changed = False
    if kind == "SecretList":
        for item in obj.get("items") or []:
            if isinstance(item, dict):
                changed = _mask_secret(item) or changed
    elif kind == "List":
        for item in obj.get("items") or []:
            changed = _mask_secrets(item) or changed
    elif kind == "Table":
        for row in obj.get("rows") or []:
            if isinstance(row, dict):
                changed = _mask_secrets(row.get("object")) or changed
    return changed


def redact(body: bytes) -> bytes:
    """The body with Secret values and tokens masked (unchanged when there are none or it is not JSON)."""
    if b'"Secret' not in body and b'"TokenRequest"' not in body:
        return body
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if not _mask_secrets(obj):
        return body
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def format_body(prefix: str, body: bytes, verbosity: int) -> str:
    """One log line (or block) for a request/response body, the way kubectl -v=8 prints it."""
    if any(b < 0x0A for b in body):
        dump = truncate(hex_dump(body), verbosity)
        inner = "".join(f"\t{line}\n" for line in dump.rstrip("\n").split("\n"))
        return f'"{prefix}" body=<\n{inner} >'
    text = truncate(redact(body).decode("utf-8", "replace"), verbosity)
    if "\n" in text:  # klog writes a multi-line string value as a tab-indented block
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        inner = "".join(f"\t{line}\n" for line in lines)
        return f'"{prefix}" body=<\n{inner} >'
    return f'"{prefix}" body={_go_quote(text)}'
