"""``kpy cp`` arguments and paths as kubectl reads them: ``[[namespace/]pod:]file/path``."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kpy.errors import UsageError

FORMAT_ERROR = "filespec must match the canonical format: [[namespace/]pod:]file/path"


@dataclass(frozen=True)
class FileSpec:
    """One side of a copy: a local path (``pod`` empty) or a path in a pod."""

    path: str
    pod: str = ""
    namespace: str = ""

    @property
    def remote(self) -> bool:
        return bool(self.pod)


def parse_file_spec(arg: str) -> FileSpec:
    """kubectl's ``extractFileSpec``: the first ``:`` separates ``[ns/]pod`` from the path."""
    i = arg.find(":")
    if i == 0:
        raise UsageError(FORMAT_ERROR)
    if i < 0:
        return FileSpec(arg)
    pod, path = arg[:i], arg[i + 1 :]
    pieces = pod.split("/")
    if len(pieces) == 1:
        return FileSpec(path, pieces[0])
    if len(pieces) == 2:
        return FileSpec(path, pieces[1], pieces[0])
    raise UsageError(FORMAT_ERROR)


def check_specs(src: FileSpec, dest: FileSpec) -> None:
    """kubectl's checks, in its order and words."""
    if src.remote and dest.remote:
        raise UsageError("one of src or dest must be a local file specification")
    if not src.path or not dest.path:
        raise UsageError("filepath can not be empty")
    if not src.remote and not dest.remote:
        raise UsageError("one of src or dest must be a remote file specification")


def strip_path_shortcuts(path: str) -> str:
    """kubectl's ``stripPathShortcuts``: drop leading ``../`` and ``./`` (and a lone ``..``/``.``)."""
    new = path
    while True:
        trimmed = new
        while trimmed.startswith("../"):
            trimmed = trimmed[3:]
        if trimmed in ("..", "."):
            return ""
        if trimmed.startswith("./"):
            trimmed = trimmed[2:]
        if trimmed == new:
            return new
        new = trimmed


def tar_prefix(remote_path: str) -> str:
    """What every member name of ``tar cf - PATH`` starts with (tar drops the leading ``/``)."""
    cleaned = posixpath.normpath(remote_path.lstrip("/") or ".")
    return strip_path_shortcuts(cleaned if cleaned != "." else "")
