"""Exec credential plugins (``users[].user.exec``), with client-go's semantics (``plugin/pkg/client/auth/exec``).

* ``apiVersion`` is ``client.authentication.k8s.io/v1`` or ``/v1beta1``; the plugin must answer in the same one.
* ``interactiveMode`` (required for v1; v1beta1 defaults to ``IfAvailable``): ``Never`` never gives the plugin
  the terminal; ``IfAvailable`` does when stdin is a terminal; ``Always`` fails when it is not.
* The plugin's environment is ours + the config's ``env`` + ``KUBERNETES_EXEC_INFO`` (an ExecCredential whose
  ``spec`` says ``interactive`` and, with ``provideClusterInfo``, describes the cluster).
* The answer (``status.token`` or a client certificate/key) is cached until ``status.expirationTimestamp``
  (forever without one); ``invalidate()`` after a 401 makes the next call run the plugin again.
* The plugin runs as an asyncio subprocess so the event loop keeps serving other requests meanwhile.

The token is never logged. The plugin's stderr is not captured: like client-go (``cmd.Stderr = os.Stderr``) it
goes straight to ours, so a login prompt or a "run `aws sso login`" hint reaches the terminal while it matters;
the error for a failing plugin is then client-go's one line without a copy of it.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpy.errors import ConfigError
from kpy.gocompat.metav1 import parse_time

if TYPE_CHECKING:  # asyncio, subprocess and shutil load when a plugin runs, not with every kubeconfig
    import asyncio

from kpy.rest.logs import LazyLogger  # logging loads on first use

log: Any = LazyLogger("kpy.config.exec")

GROUP = "client.authentication.k8s.io"
API_VERSIONS = (f"{GROUP}/v1", f"{GROUP}/v1beta1")
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO"
#: the cluster extension handed to the plugin as ``spec.cluster.config``
EXEC_EXTENSION = "client.authentication.k8s.io/exec"


@dataclass(frozen=True)
class ExecConfig:
    """The ``exec`` stanza of a kubeconfig user, validated."""

    command: str
    api_version: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    install_hint: str = ""
    provide_cluster_info: bool = False
    interactive_mode: str = "IfAvailable"

    @classmethod
    def from_kubeconfig(cls, user_name: str, raw: Mapping[str, Any]) -> tuple[ExecConfig | None, list[str]]:
        """Build from the raw mapping; returns the config and client-go's validation errors (if any)."""
        errors: list[str] = []
        command = str(raw.get("command") or "")
        api_version = str(raw.get("apiVersion") or "")
        if not command:
            errors.append(f"command must be specified for {user_name} to use exec authentication plugin")
        if not api_version:
            errors.append(f"apiVersion must be specified for {user_name} to use exec authentication plugin")
        env: list[tuple[str, str]] = []
        for item in raw.get("env") or []:
            name = str(item.get("name") or "") if isinstance(item, dict) else ""
            if not name:
                errors.append(
                    f"env variable name must be specified for {user_name} to use exec authentication plugin"
                )
                continue
            env.append((name, str(item.get("value") or "")))
        mode = str(raw.get("interactiveMode") or "")
        if not mode and api_version in (f"{GROUP}/v1beta1", f"{GROUP}/v1alpha1"):
            mode = "IfAvailable"  # clientcmd's defaulting (v1 and unknown versions must say)
        if not mode:
            errors.append(
                f"interactiveMode must be specified for {user_name} to use exec authentication plugin"
            )
        elif mode not in INTERACTIVE_MODES:
            errors.append(f'invalid interactiveMode for {user_name}: "{mode}"')
        if errors:
            return None, errors
        if api_version not in API_VERSIONS:
            return None, [f'exec plugin: invalid apiVersion "{api_version}"']
        args = tuple(str(a) for a in raw.get("args") or [])
        return (
            cls(
                command=command,
                api_version=api_version,
                args=args,
                env=tuple(env),
                install_hint=str(raw.get("installHint") or ""),
                provide_cluster_info=bool(raw.get("provideClusterInfo")),
                interactive_mode=mode,
            ),
            [],
        )


def cluster_info(
    *,
    server: str,
    tls_server_name: str | None,
    insecure_skip_tls_verify: bool,
    ca_data: bytes | None,
    proxy_url: str | None,
    extension: Any = None,
) -> dict[str, Any]:
    """``spec.cluster`` of KUBERNETES_EXEC_INFO (client-go's ``clientauthentication.Cluster``, JSON names)."""
    info: dict[str, Any] = {"server": server}
    if tls_server_name:
        info["tls-server-name"] = tls_server_name
    if insecure_skip_tls_verify:
        info["insecure-skip-tls-verify"] = True
    if ca_data:
        info["certificate-authority-data"] = base64.b64encode(ca_data).decode("ascii")
    if proxy_url:
        info["proxy-url"] = proxy_url
    if extension is not None:
        info["config"] = extension
    return info


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


@dataclass
class _Cached:
    token: str
    cert: tuple[bytes, bytes] | None
    expiry: float | None  # epoch seconds; None = never


@dataclass
class ExecCredentials:
    """Credentials from an exec plugin. ``clock`` is wall-clock epoch seconds (expirations are absolute)."""

    config: ExecConfig
    cluster: dict[str, Any] | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], float] = time.time
    is_terminal: Callable[[], bool] = stdin_is_terminal
    #: where the plugin's stderr goes: None = our own stderr (fd 2), or a file object/descriptor
    stderr: Any = None
    kind: str = "exec"
    _cached: _Cached | None = field(default=None, init=False, repr=False)
    _lock: asyncio.Lock | None = field(default=None, init=False, repr=False)
    #: how many times the plugin ran (useful to callers' diagnostics and to tests)
    runs: int = field(default=0, init=False)

    def __repr__(self) -> str:
        return f"ExecCredentials(command={self.config.command!r}, api_version={self.config.api_version!r})"

    async def auth_headers(self) -> dict[str, str]:
        cached = await self._get()
        return {"Authorization": f"Bearer {cached.token}"} if cached.token else {}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return (await self._get()).cert

    def invalidate(self) -> None:
        self._cached = None

    async def _get(self) -> _Cached:
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        async with self._lock:  # one plugin run at a time: it may prompt the user
            cached = self._cached
            if cached is not None and (cached.expiry is None or self.clock() <= cached.expiry):
                return cached
            self._cached = await self._run()
            return self._cached

    def interactive(self) -> bool:
        mode = self.config.interactive_mode
        if mode == "Never":
            return False
        terminal = self.is_terminal()
        if mode == "Always" and not terminal:
            raise ConfigError(
                "getting credentials: exec plugin cannot support interactive mode: standard input is not a terminal"
            )
        return terminal

    def exec_info(self, interactive: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"interactive": interactive}
        if self.config.provide_cluster_info and self.cluster is not None:
            spec = {"cluster": self.cluster, "interactive": interactive}
        return {"kind": "ExecCredential", "apiVersion": self.config.api_version, "spec": spec}

    def _resolve_command(self) -> str | None:
        command = self.config.command
        if os.sep in command:
            return command if os.path.isfile(command) and os.access(command, os.X_OK) else None
        import shutil

        return shutil.which(command, path=self.environ.get("PATH", os.defpath))

    async def _run(self) -> _Cached:
        import asyncio
        import subprocess

        interactive = self.interactive()
        cfg = self.config
        env = dict(self.environ)
        env.update(cfg.env)
        env[EXEC_INFO_ENV] = json.dumps(self.exec_info(interactive), separators=(",", ":"))
        executable = self._resolve_command()
        if executable is None:
            raise ConfigError(self._not_found())
        self.runs += 1
        log.debug("running exec credential plugin %s (interactive=%s)", cfg.command, interactive)
        try:
            proc = await asyncio.create_subprocess_exec(
                executable,
                *cfg.args,
                env=env,
                stdin=None if interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
            )
        except FileNotFoundError:
            raise ConfigError(self._not_found()) from None
        except OSError as exc:
            raise ConfigError(f"getting credentials: exec: {exc.strerror or exc}") from None
        stdout, _ = await proc.communicate()
        if proc.returncode != 0:
            raise ConfigError(
                f"getting credentials: exec: executable {cfg.command} failed with exit code {proc.returncode}"
            )
        return self._decode(stdout)

    def _not_found(self) -> str:
        message = f"getting credentials: exec: executable {self.config.command} not found"
        hint = " ".join(self.config.install_hint.split())
        return f"{message}; {hint}" if hint else message

    def _decode(self, stdout: bytes) -> _Cached:
        prefix = "getting credentials: "
        try:
            doc = json.loads(stdout)
        except ValueError as exc:
            raise ConfigError(f"{prefix}decoding stdout: {exc}") from None
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion"):
            raise ConfigError(f"{prefix}decoding stdout: couldn't get version/kind; json parse error")
        if doc.get("kind") != "ExecCredential" or doc.get("apiVersion") not in API_VERSIONS:
            raise ConfigError(
                f'{prefix}decoding stdout: no kind "{doc.get("kind")}" is registered for version '
                f'"{doc.get("apiVersion")}"'
            )
        if doc["apiVersion"] != self.config.api_version:
            raise ConfigError(
                f"{prefix}exec plugin is configured to use API version {self.config.api_version}, "
                f"plugin returned version {doc['apiVersion']}"
            )
        status = doc.get("status")
        if not isinstance(status, dict):
            raise ConfigError(f"{prefix}exec plugin didn't return a status field")
        token = str(status.get("token") or "")
        cert = str(status.get("clientCertificateData") or "")
        key = str(status.get("clientKeyData") or "")
        if not token and not cert and not key:
            raise ConfigError(f"{prefix}exec plugin didn't return a token or cert/key pair")
        if bool(cert) != bool(key):
            raise ConfigError(f"{prefix}exec plugin returned only certificate or key, not both")
        expiry: float | None = None
        stamp = status.get("expirationTimestamp")
        if stamp:
            try:
                expiry = parse_time(str(stamp)).timestamp()
            except ValueError:
                raise ConfigError(f'{prefix}decoding stdout: parsing time "{stamp}" as RFC3339') from None
        return _Cached(token=token, cert=(cert.encode(), key.encode()) if cert else None, expiry=expiry)
