"""kpy.exec.cp against the emulator: trees, odd names, symlinks, resume after drops, no tar, verification."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kpy.exec.cp import PART_SUFFIX, CopyError, RemoteRunner, copy_from_pod, copy_to_pod
from kpy.rest import RestClient


def runner(client: RestClient) -> RemoteRunner:
    return RemoteRunner(client, asyncio.get_running_loop(), "default", "web", "web")


def tree(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every regular file under root (symlinks not followed)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink():
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def make_tree(root: Path, small: int = 1000) -> None:
    (root / "deep" / "sp ace" / "ünïcødé ✓").mkdir(parents=True)
    for i in range(small):
        (root / "deep" / f"f{i:04d}").write_bytes(f"{i}\n".encode())
    (root / "deep" / "sp ace" / "ünïcødé ✓" / "name with spaces.txt").write_bytes(b"odd\n")
    (root / "big.bin").write_bytes(random.randbytes(3 << 20))
    (root / "empty").write_bytes(b"")
    (root / "link").symlink_to("big.bin")


async def test_tree_to_pod_and_back(sclient: RestClient, seeded: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src)
    r = runner(sclient)
    up = await asyncio.to_thread(copy_to_pod, r, src, "copied")
    root = seeded.exec.root("default", "web", "web")
    assert up.method == "tar" and up.verified is True and up.files == 1003
    assert tree(root / "copied") == tree(src)
    assert (root / "copied" / "link").is_symlink()  # kubectl's tar keeps local symlinks too

    warnings: list[str] = []
    back = tmp_path / "back"
    down = await asyncio.to_thread(copy_from_pod, r, "copied", back, warn=warnings.append)
    assert down.verified is True and down.files == 1003 and down.resumed == 0
    assert tree(back) == tree(src)
    assert not (back / "link").exists()  # skipped like kubectl, and said so
    assert down.skipped_symlinks == ["link"] and any("skipping symlink" in w for w in warnings)


async def test_into_an_existing_directory(sclient: RestClient, seeded: Any, tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_bytes(b"1\n")
    root = seeded.exec.root("default", "web", "web")
    (root / "dir").mkdir()
    report = await asyncio.to_thread(copy_to_pod, runner(sclient), tmp_path / "one.txt", "dir")
    assert (root / "dir" / "one.txt").read_bytes() == b"1\n" and report.verified


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_drops_resume_to_an_identical_file(
    sclient: RestClient, seeded: Any, tmp_path: Path, seed: int
) -> None:
    root = seeded.exec.root("default", "web", "web")
    data = random.Random(seed).randbytes(4 << 20)
    (root / "big.bin").write_bytes(data)
    rng = random.Random(seed)
    # the first exec is the tool probe, the second the pod's sha256 pass: drops apply to the tar streams after
    seeded.exec.drops = [
        None,
        None,
        rng.randrange(1, 3 << 19),
        rng.randrange(1, 3 << 19),
    ]  # each < half the rest
    warnings: list[str] = []
    report = await asyncio.to_thread(
        copy_from_pod, runner(sclient), "big.bin", tmp_path / "out.bin", retries=3, warn=warnings.append
    )
    assert report.resumed == 2 and report.verified is True
    assert (tmp_path / "out.bin").read_bytes() == data
    assert any("resuming copy at" in w for w in warnings)


async def test_drop_without_retries_fails_and_leaves_no_short_file(
    sclient: RestClient, seeded: Any, tmp_path: Path
) -> None:
    root = seeded.exec.root("default", "web", "web")
    (root / "big.bin").write_bytes(os.urandom(2 << 20))
    seeded.exec.drops = [None, None, 1 << 20]  # the tool probe, the pod's sha256 pass, the tar stream
    with pytest.raises(CopyError, match="broke after"):
        await asyncio.to_thread(copy_from_pod, runner(sclient), "big.bin", tmp_path / "out.bin", retries=0)
    assert list(tmp_path.iterdir()) == []  # neither out.bin nor its .kpy-part


async def test_mismatch_is_reported(sclient: RestClient, seeded: Any, tmp_path: Path) -> None:
    """Verification compares against the pod: a file changed there before its sha256 pass read it is found."""
    root = seeded.exec.root("default", "web", "web")
    (root / "d").mkdir()
    (root / "d" / "a").write_bytes(b"abc")
    r = runner(sclient)
    import kpy.exec.cp as cp

    real = cp.remote_sums

    def changed(
        run: RemoteRunner, path: str, upgraded: threading.Event | None = None
    ) -> dict[str, tuple[int, str]]:
        if upgraded is not None:
            upgraded.set()  # let the copy start, and change the pod's file once it is here
        deadline = time.monotonic() + 30
        while not (tmp_path / "d" / "a").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        (root / "d" / "a").write_bytes(b"abcd")
        return real(run, path)

    cp.remote_sums = changed  # type: ignore[assignment]
    try:
        report = await asyncio.to_thread(copy_from_pod, r, "d", tmp_path / "d")
    finally:
        cp.remote_sums = real
    assert report.verified is False and report.mismatches == ["a: size 3 here, 4 in the pod"]


async def test_without_tar_copies_file_by_file(sclient: RestClient, seeded: Any, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "cat", "find", "sha256sum", "stat", "mkdir", "test", "tail"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    seeded.exec.env = {"PATH": str(bin_dir)}
    src = tmp_path / "src"
    (src / "sub dir").mkdir(parents=True)
    (src / "sub dir" / "x ✓").write_bytes(b"x" * 100_000)
    (src / "y").write_bytes(b"")
    r = runner(sclient)
    up = await asyncio.to_thread(copy_to_pod, r, src, "nt")
    assert (up.method, up.verified, up.files) == ("cat", True, 2)
    down = await asyncio.to_thread(copy_from_pod, r, "nt", tmp_path / "back")
    assert (down.method, down.verified) == ("cat", True)
    assert tree(tmp_path / "back") == tree(src)
    assert not list((tmp_path / "back").rglob("*" + PART_SUFFIX))


async def test_missing_remote_path_fails_with_tars_words(sclient: RestClient, tmp_path: Path) -> None:
    with pytest.raises(CopyError) as info:
        await asyncio.to_thread(copy_from_pod, runner(sclient), "/no/such", tmp_path / "x")
    assert "No such file or directory" in str(info.value) and info.value.exit_code == 2


async def test_missing_local_source(sclient: RestClient, tmp_path: Path) -> None:
    with pytest.raises(CopyError, match="doesn't exist in local filesystem"):
        await asyncio.to_thread(copy_to_pod, runner(sclient), tmp_path / "nope", "x")


async def test_random_drops_end_identical_or_failed_never_short(
    sclient: RestClient, seeded: Any, tmp_path: Path
) -> None:
    """Drops at random points, sometimes more than the retries: an identical file, or an error and no file."""
    root = seeded.exec.root("default", "web", "web")
    rng = random.Random(17)
    data = rng.randbytes(600_000)
    (root / "r.bin").write_bytes(data)
    tools = {"tar", "tail", "sha256sum", "stat"}
    outcomes = set()
    for i in range(8):
        drops = [rng.randrange(1, 200_000) for _ in range(rng.randrange(0, 4))]  # all within the tar streams
        seeded.exec.drops = [None, *drops]  # the pod's sha256 pass, then the tar streams
        target = tmp_path / f"out{i}.bin"
        try:
            report = await asyncio.to_thread(
                copy_from_pod, runner(sclient), "r.bin", target, retries=2, tools=tools
            )
        except CopyError as exc:
            assert len(drops) > 2, exc
            assert not target.exists() and not list(tmp_path.glob("*" + PART_SUFFIX))
            outcomes.add("failed")
        else:
            assert len(drops) <= 2 and report.verified is True and report.resumed == len(drops)
            assert target.read_bytes() == data
            outcomes.add("identical")
        seeded.exec.drops = []
    assert outcomes == {"failed", "identical"}


@pytest.mark.parametrize("openssl", [True, False])
async def test_verification_with_and_without_openssl_in_the_image(
    sclient: RestClient, seeded: Any, tmp_path: Path, openssl: bool
) -> None:
    """The pod hashes with openssl when it has one, else sha256sum; names openssl would print ambiguously
    (a backslash) are hashed by sha256sum either way; both ways end verified."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "plain.bin").write_bytes(os.urandom(300_000))
    (src / "sub" / "back\\slash *star").write_bytes(b"odd\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "find", "tar", "sha256sum", "stat", "tail", "cat", "test", "mkdir", "printf"):
        if (found := shutil.which(tool)) is not None:
            (bin_dir / tool).symlink_to(found)
    if openssl and (found := shutil.which("openssl")) is not None:
        (bin_dir / "openssl").symlink_to(found)
    seeded.exec.env = {"PATH": str(bin_dir)}
    try:
        r = runner(sclient)
        up = await asyncio.to_thread(copy_to_pod, r, src, "hashed")
        assert up.verified is True and up.files == 2
        back = await asyncio.to_thread(copy_from_pod, r, "hashed", tmp_path / "back")
        assert back.verified is True and tree(tmp_path / "back") == tree(src)
    finally:
        seeded.exec.env = {}
