"""What ``kpy cp`` runs in the pod besides the copy itself: ``RemoteRunner`` (commands in one container, from a
worker thread), the tool probe, the size + sha256 listing that verification compares, and the copy's
``CopyReport``/``CopyError``."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kpy.errors import KpyError
from kpy.exec import protocol as p
from kpy.exec.session import ExecRequest

if TYPE_CHECKING:
    import asyncio

    from kpy.rest import RestClient

#: per batch of files (find's ``{} +``): their sha256 lines, a marker, then their sizes in the same order. The
#: hashes come from ``openssl dgst -sha256 -r`` when the image has a working openssl (it uses the CPU's SHA
#: instructions: ~4x coreutils' sha256sum here, and the pod hashes while the copy runs), else from sha256sum;
#: a batch with a name that has a backslash or a newline always goes to sha256sum (openssl does not escape
#: backslashes, so such names would be ambiguous in its output)
_SUMS = (
    "fast=; printf '' | openssl dgst -sha256 -r >/dev/null 2>&1 && fast=1; export fast; "
    'find "$1" -type f -exec sh -c \''
    'case "$*" in *\\\\*|*"\n"*) odd=1;; *) odd=;; esac; '
    'if [ -n "$fast" ] && [ -z "$odd" ]; then openssl dgst -sha256 -r -- "$@"; else sha256sum -- "$@"; fi '
    '&& echo "{marker}" && stat -c %s -- "$@"\' sh {} +'
)
_MARKER = "--kpy-sizes-follow--"
_TOOLS = "for t in tar sha256sum stat tail; do command -v $t >/dev/null 2>&1 && echo $t; done"


class CopyError(KpyError):
    """A copy that did not complete or did not verify."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class CopyReport:
    """What a copy did: ``method`` (tar or cat), files and bytes, resumes, verification."""

    method: str = "tar"
    files: int = 0
    bytes: int = 0
    resumed: int = 0
    skipped_symlinks: list[str] = field(default_factory=list)
    #: None: not verified (no sha256sum in the container, or --no-verify)
    verified: bool | None = None
    mismatches: list[str] = field(default_factory=list)


class RemoteRunner:
    """Runs commands in one container from a worker thread (each exec dialled on ``loop``; with ``loop`` None,
    a client driven without an event loop, in the calling thread: ``kpy.rest.blocking``)."""

    def __init__(
        self,
        client: RestClient,
        loop: asyncio.AbstractEventLoop | None,
        namespace: str,
        pod: str,
        container: str,
    ) -> None:
        self.client, self.loop = client, loop
        self.namespace, self.pod, self.container = namespace, pod, container

    def run(
        self,
        command: list[str],
        *,
        stdout: Callable[[bytes | memoryview], None],
        stderr: Callable[[bytes | memoryview], None],
        stdin: Callable[[int], bytes] | None = None,
        upgraded: threading.Event | None = None,
    ) -> p.ExitResult:
        """Run ``command``; ``upgraded`` is set once its exec is dialled (or failed to be)."""
        request = ExecRequest(self.namespace, self.pod, self.container, command, stdin=stdin is not None)
        from kpy.exec.fallback import open_exec_any, session_for

        try:
            if self.loop is None:
                from kpy.rest.blocking import drive

                dialed = drive(open_exec_any(self.client, request))
            else:
                import asyncio

                dialed = asyncio.run_coroutine_threadsafe(
                    open_exec_any(self.client, request), self.loop
                ).result()
        finally:
            if upgraded is not None:
                upgraded.set()
        # the output is handled in the receiving thread: for a copy (untar + sha256 + file writes) a second
        # thread measured no faster and cost ~15-30% more CPU (GIL hand-offs, the data hashed on another core)
        session = session_for(dialed, request, stdin=stdin, stdout=stdout, stderr=stderr, write_behind=False)
        return session.run()

    def capture(
        self, command: list[str], upgraded: threading.Event | None = None
    ) -> tuple[p.ExitResult, bytes, bytes]:
        out, err = bytearray(), bytearray()
        result = self.run(command, stdout=out.extend, stderr=err.extend, upgraded=upgraded)
        return result, bytes(out), bytes(err)

    def tools(self) -> set[str]:
        result, out, _ = self.capture(["sh", "-c", _TOOLS])
        return set(out.decode(errors="replace").split()) if result.code == 0 else set()


def failed(result: p.ExitResult, stderr: bytes = b"") -> CopyError:
    text = stderr.decode(errors="replace").strip()
    if result.message is not None:
        return CopyError(result.message)
    return CopyError(
        (text + "\n" if text else "") + f"command terminated with exit code {result.code}", result.code
    )


def remote_sums(
    runner: RemoteRunner, path: str, upgraded: threading.Event | None = None
) -> dict[str, tuple[int, str]]:
    """``{path in the pod: (size, sha256)}`` for every regular file under ``path`` (a few execs in the pod
    per thousands of files: ``sha256sum`` and ``stat`` run once per batch of names). ``upgraded`` is set
    once the exec is dialled."""
    script = _SUMS.replace("{marker}", _MARKER)
    result, out, err = runner.capture(["sh", "-c", script, "sh", path], upgraded)
    if result.code != 0:
        raise failed(result, err)
    return parse_sums(out)


def _unescape(name: str) -> str:
    """GNU sha256sum's escaping of names with a backslash or newline (the line then starts with ``\\``)."""
    out, i = [], 0
    while i < len(name):
        if name[i] == "\\" and i + 1 < len(name):
            out.append("\n" if name[i + 1] == "n" else name[i + 1])
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def parse_sums(out: bytes) -> dict[str, tuple[int, str]]:
    """The output of ``_SUMS``: batches of ``HASH  NAME`` (sha256sum) or ``HASH *NAME`` (openssl) lines, the
    marker, then as many sizes."""
    sums: dict[str, tuple[int, str]] = {}
    lines = os.fsdecode(out).split("\n")
    hashes: list[tuple[str, str]] = []
    sizes: list[str] | None = None
    for line in lines:
        if line == _MARKER:
            sizes = []
        elif sizes is None:
            escaped = line.startswith("\\")
            body = line[1:] if escaped else line
            digest, _, rest = body.partition(" ")  # "HASH  NAME" (sha256sum), "HASH *NAME" (openssl -r)
            if rest[:1] in (" ", "*"):
                name = rest[1:]
                hashes.append((digest, _unescape(name) if escaped else name))
        elif line.isdigit():
            sizes.append(line)
            if len(sizes) == len(hashes):
                for (digest, name), size in zip(hashes, sizes, strict=True):
                    sums[name] = (int(size), digest)
                hashes, sizes = [], None
    return sums


def relative(root: str, name: str) -> str:
    root = root.rstrip("/") or "/"
    if name == root:
        return ""
    return name[len(root) :].lstrip("/") if name.startswith(root) else name


def compare(local: dict[str, tuple[int, str]], remote: dict[str, tuple[int, str]]) -> list[str]:
    """Differences between two ``{relative path: (size, sha256)}`` maps, one line each."""
    problems = []
    for rel in sorted(set(local) | set(remote)):
        shown = rel or "."
        if rel not in local:
            problems.append(f"{shown}: only in the pod")
        elif rel not in remote:
            problems.append(f"{shown}: missing in the pod")
        elif local[rel][0] != remote[rel][0]:
            problems.append(f"{shown}: size {local[rel][0]} here, {remote[rel][0]} in the pod")
        elif local[rel][1] != remote[rel][1]:
            problems.append(f"{shown}: sha256 differs")
    return problems
