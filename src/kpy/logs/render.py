"""How log lines reach the terminal: raw, ``[pod/NAME/CONTAINER]`` prefixed and coloured per pod, or JSON."""

from __future__ import annotations

import json
import os
import zlib
from typing import TYPE_CHECKING, BinaryIO, TextIO

from kpy.logs.resume import Gap
from kpy.logs.stamps import format_ts

if TYPE_CHECKING:
    from kpy.jsonpath import Template

#: ANSI foreground colours for pod prefixes (no black/white: they vanish on some backgrounds)
PALETTE = (31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96)


def use_colour(stream: BinaryIO | TextIO, env: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal and without ``NO_COLOR`` (https://no-color.org)."""
    environ = os.environ if env is None else env
    if environ.get("NO_COLOR", "") != "":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colour_of(pod: str) -> int:
    """A stable colour per pod name (the same pod keeps its colour across runs)."""
    return PALETTE[zlib.crc32(pod.encode()) % len(PALETTE)]


class Renderer:
    """Writes lines (bytes, newline included) and gap notices; knows nothing of streams or requests."""

    def __init__(
        self,
        out: BinaryIO,
        err: TextIO,
        *,
        prefix: bool = False,
        timestamps: bool = False,
        as_json: bool = False,
        colour: bool = False,
        template: Template | None = None,
    ) -> None:
        self.out = out
        self.err = err
        self.prefix = prefix
        self.timestamps = timestamps
        self.as_json = as_json
        self.colour = colour
        #: ``--jsonpath``: applied to lines that are JSON (the others are printed as they are)
        self.template = template
        self.lines = 0
        self.gaps: list[Gap] = []
        self._prefixes: dict[tuple[str, str], bytes] = {}

    def _prefix(self, pod: str, container: str) -> bytes:
        key = (pod, container)
        cached = self._prefixes.get(key)
        if cached is None:
            text = f"[pod/{pod}/{container}]"
            if self.colour:
                text = f"\x1b[{colour_of(pod)}m{text}\x1b[0m"
            cached = self._prefixes[key] = (text + " ").encode()
        return cached

    def line(self, namespace: str, pod: str, container: str, ts: int | None, text: bytes) -> None:
        """One line as the kubelet sent it without its timestamp (``ts``), newline included if it had one."""
        self.lines += 1
        if self.template is not None:
            text = self._apply(text)
        if self.as_json:
            record = {
                "namespace": namespace,
                "pod": pod,
                "container": container,
                "time": format_ts(ts) if ts is not None else None,
                "line": text.removesuffix(b"\n").decode("utf-8", errors="replace"),
            }
            self.out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            return
        head = self._prefix(pod, container) if self.prefix else b""
        if self.timestamps and ts is not None:
            head += format_ts(ts).encode() + b" "
        self.out.write(head + text if head else text)

    def _apply(self, text: bytes) -> bytes:
        """The template's output for a JSON line (newline kept); the line itself when it is no JSON or the
        template cannot be applied to it."""
        from kpy.errors import TemplateError

        assert self.template is not None
        try:
            obj = json.loads(text)
        except ValueError:
            return text
        if not isinstance(obj, dict | list):
            return text
        try:
            rendered = self.template.render(obj)
        except TemplateError:
            return text
        return rendered.encode() + (b"\n" if text.endswith(b"\n") else b"")

    def gap(self, gap: Gap) -> None:
        self.gaps.append(gap)
        if self.as_json:
            self.out.write(json.dumps(gap.as_json()).encode() + b"\n")
        self.err.write(gap.message() + "\n")

    def notice(self, message: str) -> None:
        self.err.write(message + "\n")

    def flush(self) -> None:
        self.out.flush()
        self.err.flush()
