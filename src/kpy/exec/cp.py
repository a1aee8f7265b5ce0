"""``kpy cp``: tar over exec like kubectl, plus verification, resume, and a path for images without tar.

Pod → local runs ``tar cf - PATH`` and unpacks the stream as it arrives, in the session's reading thread
(``kpy.exec.untar``; kubectl's rules: member names must start with the source's prefix, nothing is written
outside the destination, symlinks are skipped with a warning). Every file is written under a temporary name and renamed once complete, so a failed copy never
leaves a truncated file under the real name. When the stream breaks, a fresh exec resumes it at the last byte
received (``tar cf - PATH | tail -c+N``; tar's output is the same for unchanged files) up to ``retries``
times. Local → pod writes a tar (Python's ``tarfile``) into the stdin of ``tar -xmf - -C DIR``.

Verification: the size and sha256 of every regular file are read in the pod (``openssl`` or ``sha256sum``, and
``stat``, one exec: ``kpy.exec.remote``; during a copy from the pod, after one to the pod) and compared with what
was written or read locally; any difference is an error. Without ``tar`` in the image, files are copied one
exec at a time with ``cat`` (``method`` says which). Blocking code: it runs in a thread of its own, and dials
each exec through the event loop or, without one, in the thread that runs it (``RemoteRunner``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import queue
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from kpy.exec.cpspec import tar_prefix
from kpy.exec.remote import (
    CopyError,
    CopyReport,
    RemoteRunner,
    compare,
    failed,
    parse_sums,
    relative,
    remote_sums,
)
from kpy.exec.session import StreamLost
from kpy.exec.untar import PART_SUFFIX, Untar, inside

__all__ = [
    "CopyError",
    "CopyReport",
    "RemoteRunner",
    "compare",
    "copy_from_pod",
    "copy_to_pod",
    "parse_sums",
    "remote_sums",
]


_LIST = (
    'find "$1" -exec sh -c \'for f do if [ -L "$f" ]; then t=l; elif [ -d "$f" ]; then t=d; else t=f; fi; '
    'printf "%s %s\\0" "$t" "$f"; done\' sh {} +'
)


# --- pod -> local --------------------------------------------------------------------------------------


Warn = Callable[[str], None]
Progress = Callable[[int], None]


def _write_file(target: Path, chunks: Iterator[bytes]) -> tuple[int, str]:
    """Write ``chunks`` to ``target`` through a temporary name; (size, sha256). Nothing at ``target`` on failure."""
    part = target.with_name(target.name + PART_SUFFIX)
    hasher = _Hasher()
    try:
        try:
            with open(part, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    hasher.update(chunk)
        finally:
            digest = hasher.hexdigest()
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return hasher.size, digest


class _Hasher:
    """sha256 of what is written, computed beside the writing: past ``THREADED_AFTER`` bytes in a thread of its
    own (hashlib releases the GIL, so hashing a chunk overlaps with writing the next one)."""

    THREADED_AFTER = 1 << 20

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._queue is not None:
            self._queue.put(chunk)
            return
        self.digest.update(chunk)
        if self.size >= self.THREADED_AFTER:
            self._queue = queue.Queue(8)
            self._thread = threading.Thread(target=self._work, name="kpy-cp-hash", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            self.digest.update(chunk)

    def hexdigest(self) -> str:
        """The digest of everything given so far (ends the thread)."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
        return self.digest.hexdigest()


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
    # the pod hashes its files while they are copied (the local side hashes what it writes as it writes);
    # its exec is dialled before the copy's, so the execs reach the server in a fixed order
    sums = None
    if verify and {"sha256sum", "stat"} <= tools:
        upgraded = threading.Event()
        sums = _Background(lambda: remote_sums(runner, src, upgraded), upgraded)
        upgraded.wait()
    try:
        if report.method == "tar":
            _untar(runner, src, dest, retries, tools, warn, progress, report, written)
        else:
            _cat_from_pod(runner, src, dest, warn, progress, report, written)
    except BaseException:
        if sums is not None:
            sums.join()  # no exec left running; the copy's own error is the one reported
        raise
    remote_found = sums.result() if sums is not None else None
    report.files, report.bytes = len(written), sum(size for size, _ in written.values())
    if remote_found is not None:
        remote = {relative(src, k): v for k, v in remote_found.items()}
        report.mismatches = compare(written, remote)
        report.verified = not report.mismatches
    return report


class _Background:
    """``fn`` running in a thread; ``result`` waits for it and returns its value or raises its exception.
    ``started`` is set when ``fn`` ends, if it has not set it itself."""

    def __init__(self, fn: Callable[[], dict[str, tuple[int, str]]], started: threading.Event) -> None:
        self._fn, self._started = fn, started
        self._value: dict[str, tuple[int, str]] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="kpy-cp-sums", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            self._started.set()

    def join(self) -> None:
        self._thread.join()

    def result(self) -> dict[str, tuple[int, str]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


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
    """``tar cf - SRC`` unpacked as it arrives, in the session's reading thread (``kpy.exec.untar``); a broken
    stream resumes with ``tar cf - SRC | tail -c+N`` (tar's output is the same for unchanged files)."""
    untar = Untar(dest, tar_prefix(src), warn)
    retries = retries if "tail" in tools else 0
    quoted = src.replace("'", "'\\''")
    stderr = bytearray()

    def out(data: bytes | memoryview) -> None:
        try:
            untar.feed(data)
        except OSError as exc:  # a local write: not a broken stream, nothing to resume
            raise CopyError(f"writing the copy failed: {exc}") from exc
        progress(len(data))

    try:
        while True:
            command = (
                ["tar", "cf", "-", src]
                if untar.offset == 0
                else ["sh", "-c", f"tar cf - '{quoted}' | tail -c+{untar.offset + 1}"]
            )
            try:
                result = runner.run(command, stdout=out, stderr=stderr.extend)
            except (StreamLost, OSError) as exc:
                if report.resumed >= retries:
                    raise CopyError(
                        f"the stream from the pod broke after {untar.offset} bytes: {exc}"
                    ) from None
                report.resumed += 1
                warn(f"resuming copy at {untar.offset} bytes, retry {report.resumed}/{retries}")
                continue
            if result.code != 0:
                raise failed(result, bytes(stderr))
            untar.finish()
            return
    except BaseException:
        untar.abort()
        raise
    finally:
        written.update(untar.written)
        report.skipped_symlinks.extend(untar.skipped_symlinks)


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
        raise failed(result, err)
    for record in out.split(b"\0"):
        if not record:
            continue
        kind, name = record[:1].decode(), os.fsdecode(record[2:])
        rel = relative(src, name)
        target = dest / rel if rel else dest
        if not inside(dest, target):
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
                raise failed(result)
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
    preserve: bool = True,
    tools: set[str] | None = None,
    warn: Warn = lambda _m: None,
    progress: Progress = lambda _n: None,
) -> CopyReport:
    """Copy ``src`` to ``dest`` in the pod (into it when it is a directory there). ``preserve=False`` is
    kubectl's ``--no-preserve``: the pod's tar extracts with ``--no-same-permissions --no-same-owner`` (modes
    under the container's umask, files owned by the user tar runs as). The ``cat`` fallback never preserves."""
    if not src.exists() and not src.is_symlink():
        raise CopyError(f"{src} doesn't exist in local filesystem")
    tools = runner.tools() if tools is None else tools
    report = CopyReport(method="tar" if "tar" in tools else "cat")
    result, _, _ = runner.capture(["test", "-d", dest])
    target = posixpath.join(dest, src.name) if result.code == 0 else dest
    sent: dict[str, tuple[int, str]] = {}
    if report.method == "tar":
        _tar_to_pod(runner, src, target, progress, sent, preserve)
    else:
        _cat_to_pod(runner, src, target, progress, sent)
    report.files, report.bytes = len(sent), sum(size for size, _ in sent.values())
    if verify and {"sha256sum", "stat"} <= tools:
        remote = {relative(target, k): v for k, v in remote_sums(runner, target).items()}
        report.mismatches = compare(sent, remote)
        report.verified = not report.mismatches
    return report


def _tar_to_pod(
    runner: RemoteRunner,
    src: Path,
    target: str,
    progress: Progress,
    sent: dict[str, tuple[int, str]],
    preserve: bool = True,
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
    command = ["tar"] + ([] if preserve else ["--no-same-permissions", "--no-same-owner"])
    command += ["-xmf", "-"] + (["-C", parent] if parent else [])
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
        raise failed(result, bytes(err))


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
            raise failed(result, err)


def describe(report: CopyReport) -> Any:
    """A dict for ``-v`` output and tests."""
    return {
        "method": report.method,
        "files": report.files,
        "bytes": report.bytes,
        "resumed": report.resumed,
        "verified": report.verified,
    }
