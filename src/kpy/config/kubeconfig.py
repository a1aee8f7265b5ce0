"""kubeconfig files: parsing one file, merging several, and choosing which files to read — kubectl's rules.

Why our own loader: the ``kubernetes`` package takes ``current-context`` from the *last* file of
``KUBECONFIG=a:b`` and costs most of a second to import. client-go's rules (``clientcmd/loader.go``):

* ``--kubeconfig`` reads exactly that file; a missing file is an error (``stat PATH: no such file or directory``).
* otherwise ``$KUBECONFIG`` (``os.pathsep``-separated, duplicates and empty entries dropped, missing files
  skipped, any other read/parse failure is an error); otherwise ``~/.kube/config`` if it exists.
* merging: the first file that defines a cluster/user/context *name* wins, the whole entry; ``current-context``
  comes from the first file that sets it.
* relative paths inside a file (``certificate-authority``, ``client-certificate``, ``client-key``,
  ``tokenFile``, and an exec ``command`` containing a path separator) resolve against that file's directory.

Entries are kept as the plain mappings found in the file (with paths resolved and ``*-data`` fields decoded
from base64), because the resolution step (``kpy.config.resolve``) reads only a handful of keys.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from kpy.config.yamlfast import UNSUPPORTED
from kpy.config.yamlfast import load as yamlfast_load
from kpy.dataclasslite import dataclass, field
from kpy.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

#: cluster keys holding file paths / base64 data
_CLUSTER_PATHS = ("certificate-authority",)
_CLUSTER_DATA = ("certificate-authority-data",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")
_USER_DATA = ("client-certificate-data", "client-key-data")


@dataclass(frozen=True)
class KubeConfig:
    """A kubeconfig (one file, or several merged). Entries map a name to the inner ``cluster``/``context``/
    ``user`` mapping; ``bytes`` values are decoded ``*-data`` fields, paths are absolute."""

    clusters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    contexts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    current_context: str = ""
    #: the files this config was read from, in priority order
    sources: tuple[Path, ...] = ()
    #: user name -> the file that defines it (where refreshed auth-provider tokens are written back)
    user_origins: Mapping[str, Path] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.clusters or self.contexts or self.users or self.current_context)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> KubeConfig:
        """Read and parse one kubeconfig file (``OSError`` for a missing file is left to the caller)."""
        display = os.fspath(path)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except IsADirectoryError:
            raise ConfigError(
                f'error loading config file "{display}": read {display}: is a directory'
            ) from None
        return cls.from_text(raw, display)

    @classmethod
    def from_text(cls, text: bytes | str, path: str) -> KubeConfig:
        """Parse kubeconfig YAML/JSON read from ``path`` (used for error messages and relative paths)."""
        doc = _fast_load(text)
        if doc is UNSUPPORTED:
            doc = _yaml_load(text, path)
        base = Path(os.path.abspath(os.path.dirname(path) or "."))
        try:
            return _parse(doc, base, Path(os.path.abspath(path)))
        except _ShapeError as exc:
            raise ConfigError(f'error loading config file "{path}": {exc}') from None

    @classmethod
    def merge(cls, configs: Iterable[KubeConfig]) -> KubeConfig:
        """Merge with client-go's priority: earlier configs win per name and for ``current-context``."""
        clusters: dict[str, Mapping[str, Any]] = {}
        contexts: dict[str, Mapping[str, Any]] = {}
        users: dict[str, Mapping[str, Any]] = {}
        current = ""
        sources: list[Path] = []
        origins: dict[str, Path] = {}
        for cfg in configs:
            for target, entries in ((clusters, cfg.clusters), (contexts, cfg.contexts), (users, cfg.users)):
                for name, entry in entries.items():
                    target.setdefault(name, entry)
            for name, origin in cfg.user_origins.items():
                origins.setdefault(name, origin)
            if not current:
                current = cfg.current_context
            sources.extend(cfg.sources)
        return cls(clusters, contexts, users, current, tuple(sources), origins)


class _ShapeError(Exception):
    """The document parsed but is not a kubeconfig."""


def _fast_load(text: bytes | str) -> Any:
    """The document by ``kpy.config.yamlfast`` (no PyYAML import), or ``UNSUPPORTED``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            return UNSUPPORTED
    return yamlfast_load(text)


def _yaml_load(text: bytes | str, path: str) -> Any:
    """The document by PyYAML, with go-yaml's error messages."""
    import yaml

    try:  # libyaml's parser when pyyaml has it: the same documents, ~10x less CPU than the pure-Python one
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        # go-yaml (kubectl) numbers a scanner error's line from 1 and a parser error's from 0
        scanner = isinstance(exc, yaml.scanner.ScannerError)
        line = exc.problem_mark.line + scanner if exc.problem_mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f'error loading config file "{path}": yaml: line {line}: {problem}') from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise ConfigError(f'error loading config file "{path}": yaml: {first}') from None


def _parse(doc: Any, base: Path, source: Path) -> KubeConfig:
    if doc is None:
        return KubeConfig(sources=(source,))
    if not isinstance(doc, dict):
        raise _ShapeError(
            f"couldn't get version/kind; json parse error: expected a mapping, got {_kind(doc)}"
        )
    current = doc.get("current-context") or ""
    if not isinstance(current, str):
        raise _ShapeError(f"cannot unmarshal {_kind(current)} into Config.current-context of type string")
    clusters = _named(doc, "clusters", "cluster")
    contexts = _named(doc, "contexts", "context")
    users = _named(doc, "users", "user")
    for entry in clusters.values():
        _resolve(entry, _CLUSTER_PATHS, base)
        _decode(entry, _CLUSTER_DATA)
    for entry in users.values():
        _resolve(entry, _USER_PATHS, base)
        _decode(entry, _USER_DATA)
        exec_cfg = entry.get("exec")
        if isinstance(exec_cfg, dict):
            command = exec_cfg.get("command")
            # a bare name is looked up on PATH; only a path with a separator is file-relative
            if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
                exec_cfg["command"] = os.path.normpath(base / command)
    return KubeConfig(clusters, contexts, users, current, (source,), {name: source for name in users})


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _named(doc: dict[str, Any], key: str, inner: str) -> dict[str, dict[str, Any]]:
    items = doc.get(key)
    if items is None:
        return {}
    if not isinstance(items, list):
        raise _ShapeError(f"cannot unmarshal {_kind(items)} into Config.{key} of type list")
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise _ShapeError(f"cannot unmarshal {_kind(item)} into Config.{key} item of type object")
        name = item.get("name")
        body = item.get(inner)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _ShapeError(f"cannot unmarshal {_kind(body)} into Config.{key}.{inner} of type object")
        out[str(name) if name is not None else ""] = dict(body)  # last duplicate in one file wins, as in Go
    return out


def _resolve(entry: dict[str, Any], keys: tuple[str, ...], base: Path) -> None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            entry[key] = os.path.normpath(base / value)


def _decode(entry: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = entry.get(key)
        if value in (None, ""):
            entry.pop(key, None)
            continue
        if not isinstance(value, str):
            raise _ShapeError(f"cannot unmarshal {_kind(value)} into {key} of type []byte")
        try:
            entry[key] = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise _ShapeError(f"illegal base64 data in {key}") from None


@dataclass(frozen=True)
class LoadedKubeConfig:
    """What the loading rules found: the merged config and whether the user named a file explicitly."""

    config: KubeConfig
    explicit: bool


def home_dir(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or env.get("USERPROFILE")
    return Path(home) if home else Path(os.path.expanduser("~"))


def kubeconfig_files(explicit: str | None, env: Mapping[str, str]) -> tuple[list[str], bool]:
    """The candidate files in priority order, and whether missing ones are errors (explicit path)."""
    if explicit:
        return [explicit], True
    value = env.get("KUBECONFIG")
    if value:
        seen: list[str] = []
        for part in value.split(os.pathsep):
            if part and part not in seen:
                seen.append(part)
        return seen, False
    return [os.fspath(home_dir(env) / ".kube" / "config")], False


def load_kubeconfig(explicit: str | None, env: Mapping[str, str]) -> LoadedKubeConfig:
    """Apply the loading rules; an empty ``KubeConfig`` means "no configuration found"."""
    files, must_exist = kubeconfig_files(explicit, env)
    if must_exist and not os.path.exists(files[0]):
        raise ConfigError(f"stat {files[0]}: no such file or directory")
    configs: list[KubeConfig] = []
    for name in files:
        try:
            configs.append(KubeConfig.from_file(name))
        except FileNotFoundError:
            continue  # missing files in KUBECONFIG (and the default file) are skipped
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise ConfigError(f'error loading config file "{name}": open {name}: {reason}') from None
    return LoadedKubeConfig(KubeConfig.merge(configs), explicit=bool(explicit))


def persist_auth_provider(path: Path, user: str, config: Mapping[str, str]) -> None:
    """Write an auth-provider's new ``config`` (refreshed tokens) into ``user`` in the file ``path``, as kubectl
    does; the file keeps its mode (a new one is 0600) and is replaced atomically."""
    import yaml

    with open(path, "rb") as fh:
        doc = yaml.safe_load(fh) or {}
    for item in doc.get("users") or []:
        if isinstance(item, dict) and item.get("name") == user:
            provider = (item.get("user") or {}).get("auth-provider")
            if isinstance(provider, dict):
                provider["config"] = dict(config)
                break
    else:
        raise ConfigError(f"user {user!r} with an auth-provider not found in {path}")
    mode = os.stat(path).st_mode & 0o777
    tmp = path.with_name(f".{path.name}.kpy-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode or 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh, default_flow_style=False, sort_keys=False)
    os.replace(tmp, path)
