"""``Untar``: tar streams in every format tar writes, fed in any split, unpacked like ``tarfile`` would."""

from __future__ import annotations

import hashlib
import io
import os
import random
import tarfile
from pathlib import Path

import pytest

from kpy.exec.remote import CopyError
from kpy.exec.untar import PART_SUFFIX, Untar


def archive(fmt: int, members: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """(name, data or None for a directory, link target or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


LONG = "src/" + "d" * 120 + "/" + "ü" * 80 + " name.bin"
MEMBERS: list[tuple[str, bytes | None, str | None]] = [
    ("src", None, None),
    ("src/a.txt", b"hello\n", None),
    ("src/empty", b"", None),
    ("src/sp ace/ünï ✓.bin", os.urandom(70_000), None),
    (LONG, os.urandom(1_000), None),
    ("src/link", None, "a.txt"),
]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("split", ["whole", "bytes-and-blocks", "random"])
def test_formats_and_splits(tmp_path: Path, fmt: int, split: str) -> None:
    stream = archive(fmt, MEMBERS) + b"\0" * 4096  # tar pads its output past the end blocks
    warnings: list[str] = []
    untar = Untar(tmp_path / "out", "src", warnings.append)
    if split == "whole":
        untar.feed(stream)
    else:
        rng = random.Random(7)
        i = 0
        while i < len(stream):
            n = (
                rng.choice((1, 511, 512, 513, 4096))
                if split == "bytes-and-blocks"
                else rng.randint(1, 20_000)
            )
            untar.feed(memoryview(stream)[i : i + n])
            i += n
    untar.finish()
    assert untar.offset == len(stream)
    files = {name[4:]: data for name, data, link in MEMBERS if data is not None and link is None}
    assert untar.written == {rel: (len(d), hashlib.sha256(d).hexdigest()) for rel, d in files.items()}
    for rel, data in files.items():
        assert (tmp_path / "out" / rel).read_bytes() == data
    assert untar.skipped_symlinks == ["link"]
    assert warnings == [f'skipping symlink: "{tmp_path / "out" / "link"}" -> "a.txt"']
    assert not list((tmp_path / "out").rglob("*" + PART_SUFFIX))


def test_a_truncated_stream_leaves_no_file(tmp_path: Path) -> None:
    stream = archive(tarfile.GNU_FORMAT, [("src", None, None), ("src/big", os.urandom(100_000), None)])
    untar = Untar(tmp_path / "out", "src", lambda _m: None)
    untar.feed(stream[:50_000])
    with pytest.raises(CopyError, match="unexpected end of data"):
        untar.finish()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_names_outside_the_prefix_or_destination(tmp_path: Path) -> None:
    with pytest.raises(CopyError, match="tar contents corrupted"):
        Untar(tmp_path, "src", lambda _m: None).feed(archive(tarfile.GNU_FORMAT, [("other/x", b"x", None)]))
    warnings: list[str] = []
    untar = Untar(tmp_path / "out", "src", warnings.append)
    untar.feed(archive(tarfile.GNU_FORMAT, [("src/../../escape", b"x", None), ("src/ok", b"ok", None)]))
    untar.finish()
    assert not (tmp_path / "escape").exists() and (tmp_path / "out" / "ok").read_bytes() == b"ok"
    assert warnings and "is outside target destination, skipping" in warnings[0]
