"""``kpy cp``: tar over exec like kubectl, plus verification, resume, and a path for images without tar.

Pod → local runs ``tar cf - PATH`` and unpacks the stream as it arrives (kubectl's rules: member names must
start with the source's prefix, nothing is written outside the destination, symlinks are skipped with a
warning). Every file is written under a temporary name and renamed once complete, so a failed copy never
leaves a truncated file under the real name. When the stream breaks, a fresh exec resumes it at the last byte
received (``tar cf - PATH | tail -c+N``; tar's output is the same for unchanged files) up to ``retries``
times. Local → pod writes a tar (Python's ``tarfile``) into the stdin of ``tar -xmf - -C DIR``.

Verification: afterwards, the size and sha256 of every regular file are read in the pod (``wc -c`` and
``sha256sum``, one exec) and compared with what was written or read locally; any difference is an error.
Without ``tar`` in the image, files are copied one exec at a time with ``cat`` (``method`` says which).
Blocking code: it runs in a worker thread, and dials each exec through the event loop (``RemoteRunner``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import posixpath
import queue
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from kpy.errors import KpyError
from kpy.exec import protocol as p
from kpy.exec.cpspec import tar_prefix
from kpy.exec.session import ExecRequest, ExecSession, StreamLost, open_exec

if TYPE_CHECKING:
    from kpy.rest import RestClient

CHUNK = 256 * 1024
#: chunks of pod output waiting for the unpacker (bounds memory: 64 x 256 KiB at most)
QUEUE_DEPTH = 64
PART_SUFFIX = ".kpy-part"

#: per batch of files (find's ``{} +``): their sha256sum lines, a marker, then their sizes in the same order
_SUMS = (
    'find "$1" -type f -exec sh -c \'sha256sum -- "$@" && echo "'
    + "{marker}"
    + '" && stat -c %s -- "$@"\' sh {} +'
)
_MARKER = "--kpy-sizes-follow--"
_TOOLS = "for t in tar sha256sum stat tail; do command -v $t >/dev/null 2>&1 && echo $t; done"
_LIST = (
    'find "$1" -exec sh -c \'for f do if [ -L "$f" ]; then t=l; elif [ -d "$f" ]; then t=d; else t=f; fi; '
    'printf "%s %s\\0" "$t" "$f"; done\' sh {} +'
)


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


Warn = Callable[[str], None]
Progress = Callable[[int], None]


class RemoteRunner:
    """Runs commands in one container from a worker thread (each exec dialled on ``loop``)."""

    def __init__(
        self, client: RestClient, loop: asyncio.AbstractEventLoop, namespace: str, pod: str, container: str
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
    ) -> p.ExitResult:
        request = ExecRequest(self.namespace, self.pod, self.container, command, stdin=stdin is not None)
        dialed = asyncio.run_coroutine_threadsafe(open_exec(self.client, request), self.loop).result()
        return ExecSession(dialed, stdin=stdin, stdout=stdout, stderr=stderr).run()

    def capture(self, command: list[str]) -> tuple[p.ExitResult, bytes, bytes]:
        out, err = bytearray(), bytearray()
        result = self.run(command, stdout=out.extend, stderr=err.extend)
        return result, bytes(out), bytes(err)

    def tools(self) -> set[str]:
        result, out, _ = self.capture(["sh", "-c", _TOOLS])
        return set(out.decode(errors="replace").split()) if result.code == 0 else set()


def _failed(result: p.ExitResult, stderr: bytes = b"") -> CopyError:
    text = stderr.decode(errors="replace").strip()
    if result.message is not None:
        return CopyError(result.message)
    return CopyError(
        (text + "\n" if text else "") + f"command terminated with exit code {result.code}", result.code
    )


def remote_sums(runner: RemoteRunner, path: str) -> dict[str, tuple[int, str]]:
    """``{path in the pod: (size, sha256)}`` for every regular file under ``path`` (a few execs in the pod
    per thousands of files: ``sha256sum`` and ``stat`` run once per batch of names)."""
    script = _SUMS.replace("{marker}", _MARKER)
    result, out, err = runner.capture(["sh", "-c", script, "sh", path])
    if result.code != 0:
        raise _failed(result, err)
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
    """The output of ``_SUMS``: batches of ``HASH  NAME`` lines, the marker, then as many sizes."""
    sums: dict[str, tuple[int, str]] = {}
    lines = os.fsdecode(out).split("\n")
    hashes: list[tuple[str, str]] = []
    sizes: list[str] | None = None
    for line in lines:
        if line == _MARKER:
            sizes = []
        elif sizes is None:
            if line:
                escaped = line.startswith("\\")
                digest, _, name = line.lstrip("\\").partition("  ")
                hashes.append((digest, _unescape(name) if escaped else name))
        elif line.isdigit():
            sizes.append(line)
            if len(sizes) == len(hashes):
                for (digest, name), size in zip(hashes, sizes, strict=True):
                    sums[name] = (int(size), digest)
                hashes, sizes = [], None
    return sums


def _relative(root: str, name: str) -> str:
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


# --- pod -> local --------------------------------------------------------------------------------------


class _ResumingStream:
    """The stdout of ``tar cf - PATH`` as a readable stream, resumed with a fresh exec when it breaks."""

    def __init__(self, runner: RemoteRunner, path: str, retries: int, warn: Warn, progress: Progress) -> None:
        self.runner, self.path, self.retries = runner, path, retries
        self.warn, self.progress = warn, progress
        self.offset = 0
        self.resumed = 0
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_DEPTH)
        self._buffer = memoryview(b"")
        self._stderr = bytearray()
        self._start()

    def _start(self) -> None:
        path = self.path.replace("'", "'\\''")
        command = (
            ["tar", "cf", "-", self.path]
            if self.offset == 0
            else ["sh", "-c", f"tar cf - '{path}' | tail -c+{self.offset + 1}"]
        )

        def work() -> None:
            try:
                outcome: object = self.runner.run(
                    command, stdout=lambda data: self._queue.put(bytes(data)), stderr=self._stderr.extend
                )
            except (StreamLost, OSError) as exc:
                outcome = exc
            except BaseException as exc:  # handed to the reading thread
                outcome = exc
            self._queue.put(outcome)

        threading.Thread(target=work, name="kpy-cp-from-pod", daemon=True).start()

    def read(self, size: int = -1) -> bytes:
        while not self._buffer:
            item = self._queue.get()
            if isinstance(item, bytes):
                self._buffer = memoryview(item)
            elif isinstance(item, p.ExitResult):
                if item.code != 0:
                    raise _failed(item, bytes(self._stderr))
                self._queue.put(item)  # EOF for every later read too
                return b""
            elif isinstance(item, StreamLost | OSError):
                if self.resumed >= self.retries:
                    raise CopyError(f"the stream from the pod broke after {self.offset} bytes: {item}")
                self.resumed += 1
                self.warn(f"resuming copy at {self.offset} bytes, retry {self.resumed}/{self.retries}")
                self._start()
            else:
                assert isinstance(item, BaseException)
                raise item
        n = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        chunk = bytes(self._buffer[:n])
        self._buffer = self._buffer[n:]
        self.offset += n
        self.progress(n)
        return chunk


def _inside(dest: Path, target: Path) -> bool:
    base = os.path.abspath(dest)
    full = os.path.abspath(target)
    return full == base or full.startswith(base.rstrip(os.sep) + os.sep)


def _write_file(target: Path, chunks: Iterator[bytes]) -> tuple[int, str]:
    """Write ``chunks`` to ``target`` through a temporary name; (size, sha256). Nothing at ``target`` on failure."""
    part = target.with_name(target.name + PART_SUFFIX)
    digest, size = hashlib.sha256(), 0
    try:
        with open(part, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return size, digest.hexdigest()


def _chunks(stream: Any) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def copy_from_pod(
    runner: RemoteRunner,
    src: str,
    dest: Path,
    *,
    retries: int = 3,
    verify: bool = True,
    tools: set[str] | None = None,
    warn: Warn = lambda _m: None,
    progress: Progress = lambda _n: None,
) -> CopyReport:
    tools = runner.tools() if tools is None else tools
    report = CopyReport(method="tar" if "tar" in tools else "cat")
    written: dict[str, tuple[int, str]] = {}  # path relative to the source -> (size, sha256)
    if report.method == "tar":
        _untar(runner, src, dest, retries, tools, warn, progress, report, written)
    else:
        _cat_from_pod(runner, src, dest, warn, progress, report, written)
    report.files, report.bytes = len(written), sum(size for size, _ in written.values())
    if verify and {"sha256sum", "stat"} <= tools:
        remote = {_relative(src, k): v for k, v in remote_sums(runner, src).items()}
        report.mismatches = compare(written, remote)
        report.verified = not report.mismatches
    return report


def _untar(
    runner: RemoteRunner,
    src: str,
    dest: Path,
    retries: int,
    tools: set[str],
    warn: Warn,
    progress: Progress,
    report: CopyReport,
    written: dict[str, tuple[int, str]],
) -> None:
    prefix = tar_prefix(src)
    stream = _ResumingStream(runner, src, retries if "tail" in tools else 0, warn, progress)
    try:
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|", bufsize=CHUNK) as archive:
            for member in archive:
                if not member.name.startswith(prefix):
                    raise CopyError("tar contents corrupted")
                rel = member.name[len(prefix) :].lstrip("/")
                target = dest / rel if rel else dest
                if not _inside(dest, target):
                    warn(f'file "{target}" is outside target destination, skipping')
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.issym() or member.islnk():
                    report.skipped_symlinks.append(rel)
                    warn(f'skipping symlink: "{target}" -> "{member.linkname}"')
                elif member.isfile():
                    source = archive.extractfile(member)
                    assert source is not None
                    written[rel] = _write_file(target, _chunks(source))
        while stream.read(CHUNK):  # tar's padding, then its exit status (an error after an empty archive)
            pass
    except tarfile.TarError as exc:
        raise CopyError(f"the tar stream from the pod is not valid: {exc}") from None
    finally:
        report.resumed = stream.resumed


def _cat_from_pod(
    runner: RemoteRunner,
    src: str,
    dest: Path,
    warn: Warn,
    progress: Progress,
    report: CopyReport,
    written: dict[str, tuple[int, str]],
) -> None:
    result, out, err = runner.capture(["sh", "-c", _LIST, "sh", src])
    if result.code != 0:
        raise _failed(result, err)
    for record in out.split(b"\0"):
        if not record:
            continue
        kind, name = record[:1].decode(), os.fsdecode(record[2:])
        rel = _relative(src, name)
        target = dest / rel if rel else dest
        if not _inside(dest, target):
            continue
        if kind == "d":
            target.mkdir(parents=True, exist_ok=True)
        elif kind == "l":
            report.skipped_symlinks.append(rel)
            warn(f'skipping symlink: "{target}" -> (a link in the pod)')
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            data = bytearray()
            result = runner.run(["cat", "--", name], stdout=data.extend, stderr=lambda _b: None)
            if result.code != 0:
                raise _failed(result)
            progress(len(data))
            written[rel] = _write_file(target, iter([bytes(data)]))


# --- local -> pod ----------------------------------------------------------------------------------------


def _local_files(src: Path) -> Iterator[tuple[Path, str]]:
    """(path, path relative to ``src``) for ``src`` and everything under it, parents first."""
    yield src, ""
    if src.is_dir() and not src.is_symlink():
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                full = Path(root) / name
                yield full, str(full.relative_to(src))


class _HashingReader:
    def __init__(self, path: Path, progress: Progress) -> None:
        self.file = open(path, "rb")  # noqa: SIM115 - closed by the tar writer's caller
        self.digest = hashlib.sha256()
        self.size = 0
        self.progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self.file.read(n)
        self.digest.update(data)
        self.size += len(data)
        self.progress(len(data))
        return data


def copy_to_pod(
    runner: RemoteRunner,
    src: Path,
    dest: str,
    *,
    verify: bool = True,
    tools: set[str] | None = None,
    warn: Warn = lambda _m: None,
    progress: Progress = lambda _n: None,
) -> CopyReport:
    if not src.exists() and not src.is_symlink():
        raise CopyError(f"{src} doesn't exist in local filesystem")
    tools = runner.tools() if tools is None else tools
    report = CopyReport(method="tar" if "tar" in tools else "cat")
    result, _, _ = runner.capture(["test", "-d", dest])
    target = posixpath.join(dest, src.name) if result.code == 0 else dest
    sent: dict[str, tuple[int, str]] = {}
    if report.method == "tar":
        _tar_to_pod(runner, src, target, progress, sent)
    else:
        _cat_to_pod(runner, src, target, progress, sent)
    report.files, report.bytes = len(sent), sum(size for size, _ in sent.values())
    if verify and {"sha256sum", "stat"} <= tools:
        remote = {_relative(target, k): v for k, v in remote_sums(runner, target).items()}
        report.mismatches = compare(sent, remote)
        report.verified = not report.mismatches
    return report


def _tar_to_pod(
    runner: RemoteRunner, src: Path, target: str, progress: Progress, sent: dict[str, tuple[int, str]]
) -> None:
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []
    base = posixpath.basename(target.rstrip("/")) or "."

    def produce() -> None:
        try:
            with (
                os.fdopen(write_fd, "wb") as pipe,
                tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as tar,
            ):
                for path, rel in _local_files(src):
                    info = tar.gettarinfo(str(path), arcname=posixpath.join(base, rel) if rel else base)
                    if info.isfile():
                        reader = _HashingReader(path, progress)
                        try:
                            tar.addfile(info, cast(IO[bytes], reader))
                        finally:
                            reader.file.close()
                        sent[rel] = (reader.size, reader.digest.hexdigest())
                    else:
                        tar.addfile(info)
        except BaseException as exc:  # reported by the caller
            failure.append(exc)

    producer = threading.Thread(target=produce, name="kpy-cp-tar", daemon=True)
    producer.start()
    parent = posixpath.dirname(target.rstrip("/"))
    command = ["tar", "-xmf", "-"] + (["-C", parent] if parent else [])
    err = bytearray()
    try:
        result = runner.run(
            command, stdin=lambda n: os.read(read_fd, n), stdout=lambda _b: None, stderr=err.extend
        )
    finally:
        os.close(read_fd)
        producer.join()
    if failure:
        raise CopyError(f"reading {src}: {failure[0]}")
    if result.code != 0:
        raise _failed(result, bytes(err))


def _cat_to_pod(
    runner: RemoteRunner, src: Path, target: str, progress: Progress, sent: dict[str, tuple[int, str]]
) -> None:
    for path, rel in _local_files(src):
        remote = posixpath.join(target, rel) if rel else target
        if path.is_symlink():
            continue
        if path.is_dir():
            result, _, err = runner.capture(["mkdir", "-p", remote])
        else:
            reader = _HashingReader(path, progress)
            err_buf = bytearray()
            try:
                result = runner.run(
                    ["sh", "-c", 'cat > "$1"', "sh", remote],
                    stdin=reader.read,
                    stdout=lambda _b: None,
                    stderr=err_buf.extend,
                )
            finally:
                reader.file.close()
            err = bytes(err_buf)
            sent[rel] = (reader.size, reader.digest.hexdigest())
        if result.code != 0:
            raise _failed(result, err)


def describe(report: CopyReport) -> Any:
    """A dict for ``-v`` output and tests."""
    return {
        "method": report.method,
        "files": report.files,
        "bytes": report.bytes,
        "resumed": report.resumed,
        "verified": report.verified,
    }
