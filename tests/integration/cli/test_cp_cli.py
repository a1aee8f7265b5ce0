"""``kpy cp`` as a user runs it, side by side with kubectl 1.32 against the same emulator (whose exec runs
commands as local processes in the pod's directory)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KPY, KUBECTL, kpy_listing_heavy_modules

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def tool(argv: list[str], sandbox: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig_path), "NO_COLOR": "1"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False, cwd=cwd)


def files(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if not path.is_symlink():
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("only-one",),
        ("a", "b"),
        ("web:/x", "web:/y"),
        (":x", "y"),
        ("a/b/c:x", "y"),
        ("web:", "y"),
        ("nope:/x", "y"),
    ],
)
def test_argument_errors_match_kubectl(sandbox: Any, tmp_path: Path, args: tuple[str, ...]) -> None:
    assert KUBECTL is not None
    ours, theirs = (
        tool([KPY, "cp", *args], sandbox, tmp_path),
        tool([KUBECTL, "cp", *args], sandbox, tmp_path),
    )
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)


def test_tree_both_ways_same_as_kubectl(sandbox: Any, tmp_path: Path) -> None:
    assert KUBECTL is not None
    src = tmp_path / "src"
    (src / "sp ace" / "ünï ✓").mkdir(parents=True)
    (src / "sp ace" / "ünï ✓" / "x y.txt").write_text("odd\n")
    (src / "big.bin").write_bytes(os.urandom(2 << 20))
    for i in range(50):
        (src / f"f{i}").write_text(f"{i}\n")
    (src / "link").symlink_to("big.bin")

    ours = tool([KPY, "cp", "src", "web:kpy-copy"], sandbox, tmp_path)
    theirs = tool([KUBECTL, "cp", "src", "default/web:kubectl-copy"], sandbox, tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    root = sandbox.emulator.exec.root("default", "web", "web")
    assert files(root / "kpy-copy") == files(root / "kubectl-copy") == files(src)

    ours = tool([KPY, "cp", "web:kpy-copy", "back-kpy", "-v", "1"], sandbox, tmp_path)
    theirs = tool([KUBECTL, "cp", "web:kpy-copy", "back-kubectl"], sandbox, tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert files(tmp_path / "back-kpy") == files(tmp_path / "back-kubectl") == files(src)
    # both skip the symlink and say so; kpy also says how it copied and that it verified
    assert not (tmp_path / "back-kpy" / "link").exists() and not (tmp_path / "back-kubectl" / "link").exists()
    assert 'warning: skipping symlink: "back-kpy/link" -> "big.bin"' in ours.stderr
    assert "via tar" in ours.stderr and "verified: size and sha256 of 52 files match" in ours.stderr


def test_single_file_and_missing_file(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("1\n")
    assert tool([KPY, "cp", "one.txt", "web:one-copy.txt"], sandbox, tmp_path).returncode == 0
    result = tool([KPY, "cp", "web:one-copy.txt", "one-back.txt"], sandbox, tmp_path)
    assert result.returncode == 0 and (tmp_path / "one-back.txt").read_text() == "1\n"
    missing = tool([KPY, "cp", "nothere", "web:x"], sandbox, tmp_path)
    assert (missing.returncode, missing.stderr) == (1, "error: nothere doesn't exist in local filesystem\n")


def test_broken_stream_resumes(sandbox: Any, tmp_path: Path) -> None:
    root = sandbox.emulator.exec.root("default", "web", "web")
    data = os.urandom(3 << 20)
    (root / "resume.bin").write_bytes(data)
    # the tool probe, the pod's sha256 pass, then the tar stream
    sandbox.emulator.exec.drops = [None, None, 1 << 20]
    result = tool([KPY, "cp", "web:resume.bin", "out.bin"], sandbox, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: resuming copy at" in result.stderr
    assert (tmp_path / "out.bin").read_bytes() == data


@pytest.mark.skipif(os.geteuid() != 0, reason="tar keeps modes and owners by default only when run as root")
def test_no_preserve_like_kubectl(sandbox: Any, tmp_path: Path) -> None:
    """``--no-preserve``: the pod's tar drops the archive's modes and owners (kubectl's flag, same result)."""
    assert KUBECTL is not None
    (tmp_path / "shared.sh").write_text("echo hi\n")
    os.chmod(tmp_path / "shared.sh", 0o777)
    os.chown(tmp_path / "shared.sh", 4242, 4243)
    root = sandbox.emulator.exec.root("default", "web", "web")
    umask = os.umask(0)
    os.umask(umask)  # the emulator's commands run with this process's umask
    seen = {}
    for name, argv in (
        ("kpy-kept", [KPY, "cp", "shared.sh", "web:kpy-kept.sh"]),
        ("kpy-dropped", [KPY, "cp", "shared.sh", "web:kpy-dropped.sh", "--no-preserve"]),
        ("kubectl-kept", [KUBECTL, "cp", "shared.sh", "web:kubectl-kept.sh"]),
        ("kubectl-dropped", [KUBECTL, "cp", "shared.sh", "web:kubectl-dropped.sh", "--no-preserve"]),
    ):
        result = tool(argv, sandbox, tmp_path)
        assert result.returncode == 0, result.stderr
        st = (root / f"{name}.sh").stat()
        seen[name] = (st.st_mode & 0o7777, st.st_uid, st.st_gid)
    assert seen["kpy-kept"] == seen["kubectl-kept"] == (0o777, 4242, 4243)
    assert seen["kpy-dropped"] == seen["kubectl-dropped"] == (0o777 & ~umask, os.geteuid(), os.getegid())


def test_cp_imports_no_asyncio_or_aiohttp(sandbox: Any, tmp_path: Path) -> None:
    """The copy and its verification run without an event loop (kpy.rest.blocking): less start-up."""
    root = sandbox.emulator.exec.root("default", "web", "web")
    (root / "noloop.txt").write_bytes(b"no loop\n")
    proc = kpy_listing_heavy_modules(
        "cp", "web:noloop.txt", "back.txt", "-v", "1", kubeconfig=sandbox.kubeconfig_path, cwd=tmp_path
    )
    assert (tmp_path / "back.txt").read_bytes() == b"no loop\n"
    assert proc.stderr.decode().splitlines()[-2:] == ["verified: size and sha256 of 1 files match", "0 []"]
