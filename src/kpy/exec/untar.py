"""``Untar``: a tar stream unpacked as its bytes arrive (pushed), for ``kpy cp`` from a pod.

Why not ``tarfile``: it pulls, so the exec's output had to cross a thread and a queue (one copy) and then
``tarfile``'s stream buffer (two more) before the file write; here the session's reading thread hands each
received view to ``feed``, which writes a member's bytes to its file and hashes them from that same view.
Headers are parsed by ``tarfile.TarInfo.frombuf`` (ustar, GNU numbers); GNU long names/links (``L``/``K``)
and pax records (``x``/``g``: ``path``, ``linkpath``, ``size``) are applied to the member that follows, as
``tarfile`` does. Nothing is written outside ``dest``; every file is written under a temporary name and
renamed once complete (``finish`` removes a partial one), so a broken copy never leaves a short file under
the real name. The byte offset (``offset``) is what a resumed ``tar cf - PATH | tail -c+N`` continues from.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

from kpy.exec.remote import CopyError

BLOCK = 512
PART_SUFFIX = ".kpy-part"
_ENCODING = sys.getfilesystemencoding()
#: header types whose data is a name or records for the next member
_LONG_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE)
_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)


def inside(dest: Path, target: Path) -> bool:
    base = os.path.abspath(dest)
    full = os.path.abspath(target)
    return full == base or full.startswith(base.rstrip(os.sep) + os.sep)


class Untar:
    """Unpack ``tar cf - SRC`` into ``dest`` from the bytes given to ``feed`` (kubectl's rules: member names
    must start with ``prefix``, nothing outside ``dest``, links skipped with a warning). ``written`` maps
    each file's path relative to the source to (size, sha256); ``skipped_symlinks`` lists the links."""

    def __init__(self, dest: Path, prefix: str, warn: Callable[[str], None]) -> None:
        self.dest, self.prefix, self.warn = dest, prefix, warn
        self.written: dict[str, tuple[int, str]] = {}
        self.skipped_symlinks: list[str] = []
        self.offset = 0
        self.ended = False  # the end-of-archive block was seen
        self._head = bytearray()  # a header (or long-name data) being collected
        self._want = BLOCK  # bytes still wanted for ``_head``
        self._collecting: bytes | None = None  # the type of the long-name/pax data being collected
        self._skip = 0  # bytes to drop (padding, data of members not written)
        self._left = 0  # bytes of the current file still to come
        self._size = 0
        self._long_size = 0  # the size of the long-name/pax data being collected
        self._pending: dict[str, str] = {}  # path/linkpath/size for the next member (GNU long names, pax)
        self._global: dict[str, str] = {}
        self._fd = -1
        self._part: Path | None = None
        self._target: Path | None = None
        self._rel = ""
        self._digest: hashlib._Hash | None = None

    # -- bytes in ---------------------------------------------------------------------------------------
    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self.offset += len(view)
        i, end = 0, len(view)
        while i < end and not self.ended:
            if self._left:
                n = min(self._left, end - i)
                chunk = view[i : i + n]
                assert self._digest is not None
                self._digest.update(chunk)
                while chunk:
                    chunk = chunk[os.write(self._fd, chunk) :]
                self._left -= n
                i += n
                if not self._left:
                    self._close_file()
            elif self._skip:
                n = min(self._skip, end - i)
                self._skip -= n
                i += n
            else:
                n = min(self._want, end - i)
                self._head += view[i : i + n]
                self._want -= n
                i += n
                if not self._want:
                    self._collected()

    def finish(self) -> None:
        """The stream ended: an error unless the archive was complete (a partial file is removed)."""
        if not self.ended:
            self.abort()
            raise CopyError("the tar stream from the pod is not valid: unexpected end of data")

    def abort(self) -> None:
        """Remove a file being written (the copy failed)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._part is not None:
            with contextlib.suppress(OSError):
                self._part.unlink()
            self._part = None

    # -- headers ----------------------------------------------------------------------------------------
    def _collected(self) -> None:
        head = bytes(self._head)
        self._head.clear()
        self._want = BLOCK
        if self._collecting is not None:
            kind, self._collecting = self._collecting, None
            self._long_data(kind, head)
            return
        if head.count(0) == BLOCK:
            self.ended = True  # tarfile stops at the first zero block too
            return
        try:
            info = tarfile.TarInfo.frombuf(head, _ENCODING, "surrogateescape")
        except tarfile.HeaderError as exc:
            raise CopyError(f"the tar stream from the pod is not valid: {exc}") from None
        if info.type in _LONG_TYPES:
            if info.size > 1 << 20:
                raise CopyError("the tar stream from the pod is not valid: an extended header is too large")
            self._collecting = info.type
            self._want = _padded(info.size)
            self._long_size = info.size
            if not self._want:
                self._collecting = None
                self._long_data(info.type, b"")
            return
        for key, value in {**self._global, **self._pending}.items():
            if key == "path":
                info.name = value
            elif key == "linkpath":
                info.linkname = value
            elif key == "size":
                info.size = int(value)
        self._pending = {}
        self._member(info)

    def _long_data(self, kind: bytes, data: bytes) -> None:
        data = data[: self._long_size]
        if kind == tarfile.GNUTYPE_LONGNAME:
            self._pending["path"] = _decode(data.split(b"\0", 1)[0])
        elif kind == tarfile.GNUTYPE_LONGLINK:
            self._pending["linkpath"] = _decode(data.split(b"\0", 1)[0])
        else:
            records = _pax_records(data)
            (self._global if kind == tarfile.XGLTYPE else self._pending).update(records)

    def _member(self, info: tarfile.TarInfo) -> None:
        if info.type == tarfile.GNUTYPE_SPARSE:
            raise CopyError(f"{info.name}: sparse files in the tar stream are not supported")
        data = info.size if info.type not in (tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.DIRTYPE) else 0
        if not info.name.startswith(self.prefix):
            raise CopyError("tar contents corrupted")
        rel = info.name[len(self.prefix) :].lstrip("/")
        target = self.dest / rel if rel else self.dest
        if not inside(self.dest, target):
            self.warn(f'file "{target}" is outside target destination, skipping')
            self._skip = _padded(data)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if info.isdir():
            target.mkdir(parents=True, exist_ok=True)
        elif info.issym() or info.islnk():
            self.skipped_symlinks.append(rel)
            self.warn(f'skipping symlink: "{target}" -> "{info.linkname}"')
        elif info.type in _FILE_TYPES:
            self._open_file(target, rel, info.size)
            return
        self._skip = _padded(data)

    # -- files ------------------------------------------------------------------------------------------
    def _open_file(self, target: Path, rel: str, size: int) -> None:
        part = target.with_name(target.name + PART_SUFFIX)
        self._fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        self._part, self._target, self._rel, self._size = part, target, rel, size
        self._digest = hashlib.sha256()
        self._left = size
        if not size:
            self._close_file()

    def _close_file(self) -> None:
        assert self._part is not None and self._target is not None and self._digest is not None
        os.close(self._fd)
        self._fd = -1
        os.replace(self._part, self._target)
        self._part = None
        self.written[self._rel] = (self._size, self._digest.hexdigest())
        self._skip = _padded(self._size) - self._size


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _decode(raw: bytes) -> str:
    return raw.decode(_ENCODING, "surrogateescape")


def _pax_records(data: bytes) -> dict[str, str]:
    """``LENGTH KEY=VALUE\\n`` records (POSIX pax); the keys ``Untar`` uses, as text."""
    out: dict[str, str] = {}
    i = 0
    while i < len(data):
        space = data.find(b" ", i)
        if space < 0 or not data[i:space].isdigit():
            break
        length = int(data[i:space])
        if length <= 0:
            break
        record = data[space + 1 : i + length - 1]  # without the trailing newline
        key, _, value = record.partition(b"=")
        if key in (b"path", b"linkpath", b"size"):
            out[key.decode()] = value.decode("utf-8", "surrogateescape")
        i += length
    return out
