"""``Emulator``: an in-process kube-apiserver (+ the kubelet's port-forward) on 127.0.0.1 with TLS.

Lifecycle: ``async with Emulator() as em`` (or ``await em.start()`` / ``await em.stop()``) binds a random
port, generates a CA with server and client certificates, writes a kubeconfig (token auth) to a private temp
dir, and creates the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from kpy.testing import kubeconfig, status
from kpy.testing.api import SYSTEM_NAMESPACES, Api
from kpy.testing.csrsigner import Signers
from kpy.testing.exec import ExecService
from kpy.testing.faults import Faults
from kpy.testing.requestlog import DEFAULT_MAXLEN, RequestLog
from kpy.testing.resources import ResourceRegistry, ResourceType
from kpy.testing.server import build_app
from kpy.testing.spdyexec import serve_spdy_exec
from kpy.testing.store import Obj, Store
from kpy.testing.tokens import IssuedToken

#: OpenSSL's flag to skip certificate validity times (see ``Emulator._ssl_context``)
X509_V_FLAG_NO_CHECK_TIME = 0x200000


class Emulator:
    """An emulated Kubernetes API server. See the package docstring for what it serves."""

    def __init__(
        self,
        *,
        seed: bool = False,
        bookmark_interval: float = 1.0,
        watch_timeout: float = 1800.0,
        history_window: int = 10_000,
        clock: Callable[[], dt.datetime] | None = None,
        token: str | None = None,
        tls: bool = True,
        endpoints_deprecated: bool = False,
        request_log: int = DEFAULT_MAXLEN,
    ) -> None:
        self.seed = seed
        #: answer every v1 Endpoints request with the 1.33+ ``Warning: 299 - "v1 Endpoints is deprecated ..."``
        #: header. Off by default: the emulator claims v1.32, which sends no warning (settable at any time).
        self.endpoints_deprecated = endpoints_deprecated
        #: serve HTTPS (default). ``tls=False`` serves plain HTTP on loopback, like ``kubectl proxy`` does; the
        #: kubeconfig then has no CA and client-certificate auth is not available.
        self.tls = tls
        self.bookmark_interval = bookmark_interval
        #: how long a watch without timeoutSeconds lasts (upstream: 30-60 min)
        self.watch_timeout = watch_timeout
        self.registry = ResourceRegistry()
        self.store = Store(clock=clock, window=history_window)
        self.api = Api(self.registry, self.store)
        self.api.on_delete.append(self._on_delete)
        self.faults = Faults(self)
        #: the last ``request_log`` requests served (a bounded :class:`~kpy.testing.requestlog.RequestLog`)
        self.requests = RequestLog(request_log)
        self.token = token or secrets.token_urlsafe(32)
        #: bearer token -> user name; every user but the admin has no RBAC (403 outside discovery)
        self.tokens: dict[str, str] = {self.token: "kpy-admin"}
        #: a user without RBAC, as the real kit's "nobody": :attr:`nobody_kubeconfig_path` authenticates as it
        self.nobody_token = self.add_user("nobody")
        self.nobody_kubeconfig_path = Path()
        #: tokens issued through ``serviceaccounts/NAME/token`` (kubectl create token) → their ServiceAccount
        self.issued_tokens: dict[str, IssuedToken] = {}
        from kpy.testing.podlogs import PodLogs

        pods = self.registry.find("", "v1", "pods")
        assert pods is not None
        #: container logs as the kubelet serves them, with faults (:class:`kpy.testing.podlogs.PodLogs`)
        self.logs = PodLogs(self.api, pods)
        self.url = ""
        self.ca_pem = b""
        self.ca_key_pem = b""
        #: the CSR signers (kube-controller-manager's csrsigning): which issue, deny or never answer
        self.signers = Signers()
        self.client_cert_pem = b""
        self.client_key_pem = b""
        self.kubeconfig_path = Path()
        self._port_backends: dict[tuple[str, str, int], tuple[str, int]] = {}
        self._pf_sessions: set[Any] = set()
        #: ``pods/NAME/exec``: commands run as local processes in per-container directories (kpy.testing.exec)
        self.exec = ExecService(lambda: self._tmpdir, spdy_server=serve_spdy_exec)
        self._runner: web.AppRunner | None = None
        self._ssl_ctx: ssl.SSLContext | None = None
        self._tmpdir: Path | None = None
        self._started = False

    # ------------------------------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        from kpy.testing.tls import generate

        pki = await asyncio.get_running_loop().run_in_executor(None, generate)
        self.ca_pem = pki.ca.cert_pem
        self.ca_key_pem = pki.ca.key_pem  # the CSR signer issues client certificates from this CA
        self.client_cert_pem, self.client_key_pem = pki.client.cert_pem, pki.client.key_pem
        self._tmpdir = Path(tempfile.mkdtemp(prefix="kpy-emulator-"))
        ssl_ctx = self._ssl_context(pki) if self.tls else None
        if self.seed:
            self._load_seed()
        for ns in SYSTEM_NAMESPACES:
            self.api.ensure_namespace(ns)
        self._ssl_ctx = ssl_ctx
        port = await self.listen(0)
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        self.kubeconfig_path = self.write_kubeconfig(self._tmpdir / "kubeconfig")
        self.nobody_kubeconfig_path = self.write_kubeconfig(
            self._tmpdir / "kubeconfig-nobody", token=self.nobody_token
        )
        self._started = True

    async def listen(self, port: int) -> int:
        """Serve on ``port`` (0: any); the bound port. Also how ``faults.go_online`` comes back on the old port."""
        self._runner = web.AppRunner(
            build_app(self), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=self._ssl_ctx, reuse_address=True)
        await site.start()
        return int(self._runner.addresses[0][1])  # (host, port) of the runner's only site

    async def stop_listening(self) -> None:
        """Close the listening socket and every connection (watches, port-forwards): a stopped API server."""
        self.faults.resume()
        self.store.drop_subscriptions()
        await self.exec.close()
        self.logs.cut()  # open log follows end, as when an API server goes away
        for session in list(self._pf_sessions):
            with contextlib.suppress(Exception):  # best effort, as on shutdown
                await session.abort()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _ssl_context(self, pki: Any) -> ssl.SSLContext:
        assert self._tmpdir is not None
        cert, key = self._tmpdir / "server.crt", self._tmpdir / "server.key"
        cert.write_bytes(pki.server.cert_pem)
        key.touch(0o600)
        key.write_bytes(pki.server.key_pem)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(cadata=pki.ca.cert_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate when presented
        # Go's server takes any certificate (RequestClientCert) and its x509 authenticator checks validity
        # times afterwards: an expired one gets 401, not a refused handshake. OpenSSL's check of the times is
        # off here (X509_V_FLAG_NO_CHECK_TIME, not in ssl.VerifyFlags); kpy.testing.authn does it, by the
        # emulator's clock. The CA's signature is still checked by TLS (Python cannot take unverified
        # client certificates), so a certificate of another CA is refused at the handshake, unlike Go.
        ctx.verify_flags |= X509_V_FLAG_NO_CHECK_TIME
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def _load_seed(self) -> None:
        from kpy.testing.seed import seed_objects

        for obj in seed_objects(self.store.now()):
            rt = self.resource_for(obj)
            meta = obj.get("metadata") or {}
            if rt.resource == "namespaces" and self.store.exists(
                ("", "namespaces"), "", meta.get("name", "")
            ):
                continue
            self.api.create(rt, str(meta.get("namespace", "")), obj, keep_identity=True)
        from kpy.testing.podlogs import seed_logs

        seed_logs(self.logs, self.store.now())

    async def stop(self) -> None:
        await self.stop_listening()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._started = False

    # -------------------------------------------------------------------------------------- helpers
    def add_user(self, name: str) -> str:
        """A user who authenticates (with the returned bearer token) but is allowed nothing except discovery,
        /version and /openapi: every API request is answered 403 Forbidden as RBAC answers it."""
        token = secrets.token_urlsafe(32)
        self.tokens[token] = name
        return token

    def write_kubeconfig(
        self,
        path: Path | str,
        *,
        auth: str = "token",
        namespace: str | None = None,
        context: str = "kpy-emulator",
        token: str | None = None,
    ) -> Path:
        """Write a kubeconfig for this emulator (``auth="token"`` or ``"cert"``: a CA-signed client cert);
        ``token`` picks another user's token (:meth:`add_user`)."""
        if auth == "cert" and not self.tls:
            raise ValueError("client-certificate auth needs TLS (Emulator(tls=True))")
        config = kubeconfig.kubeconfig_dict(
            server=self.url,
            ca_pem=self.ca_pem if self.tls else None,
            context=context,
            namespace=namespace,
            auth=auth,
            token=token or self.token,
            client_cert_pem=self.client_cert_pem,
            client_key_pem=self.client_key_pem,
        )
        return kubeconfig.write(Path(path), config)

    def resource_for(self, obj: Obj) -> ResourceType:
        """The served type for an object's apiVersion/kind (raises LookupError)."""
        api_version = str(obj.get("apiVersion", ""))
        group, _, version = api_version.rpartition("/")
        rt = self.registry.find_kind(group, version, str(obj.get("kind", "")))
        if rt is None:
            raise LookupError(f"no resource type serves {api_version} {obj.get('kind')}")
        return rt

    async def create_object(self, obj: Obj) -> Obj:
        """Create ``obj`` as a POST would (namespace from its metadata, default "default")."""
        rt = self.resource_for(obj)
        ns = str((obj.get("metadata") or {}).get("namespace") or "default") if rt.namespaced else ""
        return self.api.create(rt, ns, obj)

    async def get_object(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj:
        rt = self.resource_for({"apiVersion": api_version, "kind": kind})
        return self.api.get(rt, namespace if rt.namespaced else "", name)

    async def update_object(self, obj: Obj) -> Obj:
        rt = self.resource_for(obj)
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "default") if rt.namespaced else ""
        return self.api.update(rt, ns, str(meta.get("name", "")), obj)[0]

    async def delete_object(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj:
        rt = self.resource_for({"apiVersion": api_version, "kind": kind})
        return self.api.delete(rt, namespace if rt.namespaced else "", name)

    async def wait_for_watches(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until at least ``count`` watches are being served (e.g. before dropping them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.store.watcher_count < count:
            if loop.time() > deadline:
                raise TimeoutError(f"{self.store.watcher_count} watches after {timeout}s, wanted {count}")
            await asyncio.sleep(0.005)

    # --------------------------------------------------------------------------------- port-forward
    def set_port_backend(self, namespace: str, pod: str, port: int, host: str, tcp_port: int) -> None:
        """Make ``pods/pod/portforward`` for ``port`` connect to ``host:tcp_port``."""
        self._port_backends[(namespace, pod, port)] = (host, tcp_port)

    @property
    def portforward_sessions(self) -> list[Any]:
        """The port-forward connections open now (``PortForwardSession``: ``protocol`` says how each came)."""
        return list(self._pf_sessions)

    def abort_portforward(
        self, namespace: str | None = None, pod: str | None = None, reason: str = ""
    ) -> int:
        hits = [
            s
            for s in self._pf_sessions
            if (namespace is None or s.namespace == namespace) and (pod is None or s.pod == pod)
        ]
        for session in hits:
            asyncio.get_running_loop().create_task(session.abort(reason))
        return len(hits)

    def _on_delete(self, rt: ResourceType, obj: Obj) -> None:
        if (rt.group, rt.resource) == ("", "pods"):
            meta = obj.get("metadata") or {}
            self.logs.pod_deleted(str(meta.get("namespace", "")), str(meta.get("name", "")))
            with_loop = True
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                with_loop = False
            if with_loop:
                self.abort_portforward(str(meta.get("namespace", "")), str(meta.get("name", "")))

    async def portforward(self, request: web.Request, namespace: str, pod: str) -> web.StreamResponse:
        from kpy.testing.portforward import handle_portforward, refusal, requested_protocol, wants_spdy

        rt = self.registry.find("", "v1", "pods")
        assert rt is not None
        obj = self.api.get(rt, namespace, pod)  # 404 Status when the pod does not exist
        uid = str((obj.get("metadata") or {}).get("uid", ""))
        if (wanted := requested_protocol(request)) in self.faults.refused_portforward:
            return refusal(request, wanted)
        # SPDY names the port per stream: only v4 needs ``ports``
        ports = [] if wants_spdy(request) else parse_ports(request.query.getall("ports", []))

        def backend(port: int) -> tuple[str, int] | None:
            return self._port_backends.get((namespace, pod, port))

        return await handle_portforward(
            request,
            namespace=namespace,
            pod=pod,
            ports=ports,
            backend=backend,
            sessions=self._pf_sessions,
            uid=uid,
        )


def parse_ports(values: list[str]) -> list[int]:
    """PodPortForwardOptions.ports: repeated and/or comma-separated; errors as the apiserver words them."""
    ports: list[int] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                port = int(item)
            except ValueError:
                raise status.bad_request(
                    f'unable to parse "{item}" as a port: strconv.ParseUint: parsing "{item}": invalid syntax'
                ) from None
            if not 0 < port <= 65535:
                raise status.bad_request(
                    f"port {port} must be > 0 and <= 65535" if port > 0 else "port 0 must be > 0 and <= 65535"
                )
            ports.append(port)
    if not ports:
        raise status.bad_request("at least one port must be specified")
    return ports
