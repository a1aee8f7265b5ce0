"""``kpy certs``: a kubeconfig of their own for a person or a CI job through the certificates.k8s.io/v1 CSR API
(``user``), certificate expiry of everything a kubeconfig uses (``check``), and a local CA and serving
certificates for development (``ca``, ``serving``), as client-go's ``util/cert`` makes them.

Keys are generated here and never leave the machine; they are written only into files of mode 0600 and are
never printed (``-o json`` names files, not keys).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from kpy.cli.command import ClientOptions, Options, RunContext, add_group, argument, flag, option
from kpy.dataclasslite import dataclass, replace
from kpy.errors import KpyError, UsageError

KEY_TYPES = ("ecdsa-p256", "rsa-2048", "ed25519")
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"


def complete_key_types(ctx: Any, incomplete: str) -> list[str]:
    return [k for k in KEY_TYPES if k.startswith(incomplete)]


def complete_user_output(ctx: Any, incomplete: str) -> list[str]:
    return [o for o in ("kubeconfig", "json") if o.startswith(incomplete)]


def complete_check_output(ctx: Any, incomplete: str) -> list[str]:
    return [k for k in ("wide", "json") if k.startswith(incomplete)]


def parse_duration(flag_name: str, text: str) -> dt.timedelta:
    """A Go duration (``90m``, ``24h``, ``1h30m``) or whole days (``30d``)."""
    from kpy.config.duration import parse_go_duration

    value = text.strip()
    try:
        if value.endswith("d") and value[:-1].isdigit():
            return dt.timedelta(days=int(value[:-1]))
        return dt.timedelta(seconds=parse_go_duration(value))
    except (ValueError, TypeError):
        raise UsageError(
            f'invalid argument "{text}" for "{flag_name}" flag: time: invalid duration "{text}"'
        ) from None


def _human(d: dt.timedelta) -> str:
    """2h5m, 21h55m, 24h, 7d12h: precise to the minute, no zero parts."""
    minutes = int(d.total_seconds()) // 60
    days, rest = divmod(minutes, 1440) if minutes >= 2 * 1440 else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "m")]
    return "".join(f"{n}{u}" for n, u in parts if n) or f"{int(d.total_seconds())}s"


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------
# kpy certs user

USER_HELP = """Give a user (a person or a CI job) a kubeconfig of their own through the CSR API.

Generates a private key locally (it never leaves this machine), creates a certificates.k8s.io/v1
CertificateSigningRequest for CN=NAME (O=each --group) with the requested expiration, approves it with
--approve when you may, writes a kubeconfig with the certificate and key embedded and the cluster and CA of
the current context (mode 0600), creates the --bind bindings, and checks the result with one request as the
new user. Without --approve, or when you may not approve, it prints "kubectl certificate approve NAME" for an
administrator and waits (watching the CSR) up to --wait.

Examples:

  # A kubeconfig for alice in group dev, valid 24h, approved by you (you need approve on the signer)
  kpy certs user alice --group dev --approve

  # A week-long CI identity with read access in one namespace, written to ci.kubeconfig
  kpy certs user ci-bot --expiration 168h --bind clusterrole/view:default --out ci.kubeconfig --approve

  # An ed25519 key, one hour, the outcome as JSON (file names and dates, never the key)
  kpy certs user carol --key-type ed25519 --expiration 1h --approve -o json"""


@dataclass(frozen=True)
class UserOptions(ClientOptions):
    """``kpy certs user NAME [--group G ...] [--approve] [--bind ...] [--out PATH] [-o json]``."""

    name: str = argument(metavar="NAME", help="The user name (certificate CN) and the CSR's name.")
    groups: tuple[str, ...] = option(
        "--group",
        default=(),
        multiple=True,
        metavar="GROUP",
        help="A group of the user (certificate O); repeatable.",
    )
    expiration: str = option(
        "--expiration",
        default="24h",
        metavar="DURATION",
        help="Requested validity (spec.expirationSeconds, >= 10m).",
    )
    key_type: str = option(
        "--key-type",
        default="ecdsa-p256",
        complete=complete_key_types,
        help="ecdsa-p256, rsa-2048 or ed25519.",
    )
    signer: str = option("--signer", default=CLIENT_SIGNER, help="The CSR's signerName.")
    approve: bool = flag("--approve", help="Approve the CSR yourself (needs approve on the signer).")
    bind: tuple[str, ...] = option(
        "--bind",
        default=(),
        multiple=True,
        metavar="[clusterrole/|role/]NAME[:NAMESPACE]",
        help="Bind the user to a ClusterRole (cluster-wide, or in NAMESPACE) or a Role; repeatable.",
    )
    wait: str = option(
        "--wait", default="5m", metavar="DURATION", help="How long to wait for approval and the certificate."
    )
    out: str = option(
        "--out",
        default="",
        metavar="PATH",
        show_default="./NAME.kubeconfig",
        help="Where to write the kubeconfig.",
    )
    overwrite: bool = flag("--overwrite", help="Replace an existing file at --out.")
    output: str = option(
        "-o",
        "--output",
        default="",
        complete=complete_user_output,
        help="kubeconfig (the default: the kubeconfig written to --out, a summary on stdout) or json (the "
        "kubeconfig written to --out, the outcome as JSON on stdout).",
    )
    cluster_name: str = ""

    def complete(self, ctx: RunContext) -> UserOptions:
        import os

        from kpy.config.kubeconfig import load_kubeconfig

        cluster = self.flags.cluster or ""
        if not cluster:
            try:
                loaded = load_kubeconfig(self.flags.kubeconfig, os.environ).config
                context = loaded.contexts.get(self.flags.context or loaded.current_context) or {}
                cluster = str(context.get("cluster") or "")
            except (KpyError, OSError):  # the client's loading reports kubeconfig errors in kubectl's words
                cluster = ""
        return replace(self, out=self.out or f"{self.name}.kubeconfig", cluster_name=cluster or "kubernetes")

    def validate(self) -> None:
        from kpy.certs.access import Binding

        if not self.name:
            raise UsageError("NAME is required", hint="usage")
        if self.name in (".", "..") or "/" in self.name or "%" in self.name:
            raise UsageError(
                f'invalid NAME "{self.name}": it names the CSR, which may not be "." or ".." or contain "/" or "%"'
            )
        if self.key_type not in KEY_TYPES:
            raise UsageError(f'invalid --key-type "{self.key_type}": must be one of {", ".join(KEY_TYPES)}')
        if parse_duration("--expiration", self.expiration) < dt.timedelta(minutes=10):
            raise UsageError("--expiration must be at least 10m (the API's minimum)")
        parse_duration("--wait", self.wait)
        if self.output not in ("", "kubeconfig", "json"):
            raise UsageError(f"--output must be 'kubeconfig' or 'json', not '{self.output}'")
        for text in self.bind:
            Binding.parse(text)
        if Path(self.out).exists() and not self.overwrite:
            raise UsageError(f'"{self.out}" already exists: choose another --out or pass --overwrite')

    async def run(self, ctx: RunContext) -> int:
        from kpy.certs.access import Binding
        from kpy.certs.request import UserRequest
        from kpy.certs.user import create_user

        request = UserRequest(
            name=self.name,
            groups=tuple(self.groups),
            expiration=parse_duration("--expiration", self.expiration),
            key_type=self.key_type,
            signer=self.signer,
            approve=self.approve,
            wait=parse_duration("--wait", self.wait).total_seconds(),
        )
        bindings = [Binding.parse(b) for b in self.bind]
        async with ctx.client(self.flags) as client:
            outcome = await create_user(
                client,
                request,
                cluster_name=self.cluster_name,
                out=Path(self.out),
                bindings=bindings,
                on_waiting=_err,
            )
        render_user(outcome, self.output)
        return 0


def render_user(outcome: Any, output: str) -> None:
    issued = outcome.issued
    info = issued.info
    if issued.shortened_by is not None:
        _err(
            f"Warning: the signer issued a certificate valid for {_human(info.lifetime)}, "
            f"{_human(issued.shortened_by)} less than the {_human(issued.requested)} requested"
        )
    if output == "json":
        import json

        doc = {
            "csr": issued.csr_name,
            "user": info.common_name,
            "groups": list(info.organizations),
            "kubeconfig": str(outcome.kubeconfig),
            "notBefore": info.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notAfter": info.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requestedSeconds": int(issued.requested.total_seconds()) if issued.requested else None,
            "shortenedBySeconds": int(issued.shortened_by.total_seconds()) if issued.shortened_by else 0,
            "approvedByKpy": issued.approved_by_us,
            "reusedRequest": issued.reused,
            "bindings": [{"binding": b.describe(), "result": how} for b, how in outcome.bindings],
            "verified": {
                "method": outcome.verified.method,
                "username": outcome.verified.user,
                "groups": list(outcome.verified.groups),
            },
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    lines = []
    if issued.approved_by_us:
        lines.append(f"certificatesigningrequest.certificates.k8s.io/{issued.csr_name} approved")
    groups = f" (groups: {', '.join(info.organizations)})" if info.organizations else ""
    lines.append(
        f'kubeconfig "{outcome.kubeconfig}" written for user "{info.common_name}"{groups}, certificate valid until '
        f"{info.not_after.strftime('%Y-%m-%dT%H:%M:%SZ')} ({_human(info.lifetime)})"
    )
    for binding, how in outcome.bindings:
        lines.append(f"binding {binding.binding_name(info.common_name)} ({binding.describe()}) {how}")
    verified = outcome.verified
    if verified.method == "SelfSubjectReview":
        lines.append(
            f'verified: the server sees user "{verified.user}" (groups: {", ".join(verified.groups) or "<none>"})'
        )
    else:
        lines.append("verified: the server accepted the new credentials (discovery)")
    sys.stdout.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------------
# kpy certs check

CHECK_HELP = """Certificate expiry of everything a kubeconfig uses, sorted by time left.

For every user and cluster of the kubeconfig (all contexts): the client certificate (embedded or a file),
the CA bundle, and the chain each cluster's server presents in a TLS handshake (read even when verification
fails; the NOTE says why it failed). An unreachable server is a row, not a failure. Exits 1 when anything
expires within --within.

Examples:

  # Everything in the current kubeconfig, failing when something expires within 30 days
  kpy certs check

  # A 90-day horizon, with issuers, sources and contexts
  kpy certs check --within 90d -o wide

  # For monitoring
  kpy certs check -o json"""


@dataclass(frozen=True)
class CheckOptions(ClientOptions):
    """``kpy certs check [--within 30d] [-o wide|json]``."""

    within: str = option(
        "--within", default="30d", metavar="DURATION", help="Exit 1 when anything expires sooner."
    )
    output: str = option("-o", "--output", default="", complete=complete_check_output, help="wide or json.")
    timeout: str = option("--timeout", default="10s", metavar="DURATION", help="Per server TLS handshake.")
    no_servers: bool = flag("--no-servers", help="Do not contact the servers (files and embedded data only).")

    def validate(self) -> None:
        parse_duration("--within", self.within)
        parse_duration("--timeout", self.timeout)
        if self.output not in ("", "wide", "json"):
            raise UsageError(f"--output must be 'wide' or 'json', not '{self.output}'")

    async def run(self, ctx: RunContext) -> int:
        import os

        from kpy.certs import expiry
        from kpy.certs.check import collect
        from kpy.config.kubeconfig import load_kubeconfig
        from kpy.errors import ConfigError

        config = load_kubeconfig(self.flags.kubeconfig, os.environ).config
        if config.is_empty:
            raise ConfigError(
                "no configuration has been provided, try setting KUBERNETES_MASTER environment variable"
            )
        within = parse_duration("--within", self.within)
        rows = await collect(
            config,
            timeout=parse_duration("--timeout", self.timeout).total_seconds(),
            servers=not self.no_servers,
        )
        now = dt.datetime.now(dt.UTC)
        if self.output == "json":
            sys.stdout.write(expiry.to_json(rows, now, within))
        elif rows:
            sys.stdout.write(expiry.table(rows, now, within, wide=self.output == "wide"))
        else:
            _err("No certificates found.")
        return 1 if expiry.expiring(rows, now, within) else 0


# ---------------------------------------------------------------------------------------------------------
# kpy certs ca / serving

CA_HELP = """Create a self-signed CA for local development (client-go's NewSelfSignedCACert), 0600 files.

Examples:

  # ca.crt and ca.key in the current directory, valid 10 years
  kpy certs ca

  kpy certs ca --cn dev-ca --days 365 --cert pki/ca.crt --key pki/ca.key"""


def _check_new(paths: list[str], overwrite: bool) -> None:
    for p in paths:
        if Path(p).exists() and not overwrite:
            raise UsageError(f'"{p}" already exists: choose another path or pass --overwrite')


@dataclass(frozen=True)
class CaOptions(Options):
    """``kpy certs ca [--cn NAME] [--days N] [--cert PATH] [--key PATH]``."""

    cn: str = option("--cn", default="kpy-ca", help="The CA's common name.")
    days: int = option("--days", default=3650, help="Validity in days.")
    cert: str = option("--cert", default="ca.crt", metavar="PATH", help="Certificate file to write.")
    key: str = option(
        "--key", default="ca.key", metavar="PATH", help="Private key file to write (mode 0600)."
    )
    key_type: str = option("--key-type", default="ecdsa-p256", complete=complete_key_types, help="Key type.")
    overwrite: bool = flag("--overwrite", help="Replace existing files.")

    def validate(self) -> None:
        if self.key_type not in KEY_TYPES:
            raise UsageError(f'invalid --key-type "{self.key_type}": must be one of {", ".join(KEY_TYPES)}')
        if self.days < 1:
            raise UsageError("--days must be at least 1")
        _check_new([self.cert, self.key], self.overwrite)

    def run(self, ctx: RunContext) -> int:
        from kpy.certs import files, keys

        issued = keys.self_signed_ca(self.cn, dt.datetime.now(dt.UTC), days=self.days, key_type=self.key_type)
        files.write_private(self.key, issued.key_pem)
        files.write_private(self.cert, issued.cert_pem)
        sys.stdout.write(f'CA "{self.cn}" written: {self.cert} (key: {self.key})\n')
        return 0


SERVING_HELP = """Create a serving certificate signed by a local CA, with the given hosts as SANs (IPs as IP SANs).

Examples:

  # server.crt/server.key for localhost and 127.0.0.1, signed by ca.crt/ca.key
  kpy certs serving --ca ca.crt --ca-key ca.key --host localhost --host 127.0.0.1"""


@dataclass(frozen=True)
class ServingOptions(Options):
    """``kpy certs serving --ca CA --ca-key KEY --host NAME ...``."""

    ca: str = option("--ca", default="ca.crt", metavar="PATH", help="The signing CA's certificate.")
    ca_key: str = option("--ca-key", default="ca.key", metavar="PATH", help="The signing CA's key.")
    hosts: tuple[str, ...] = option(
        "--host",
        default=(),
        multiple=True,
        metavar="NAME",
        help="DNS name or IP for the SANs; repeatable, required.",
    )
    cn: str = option(
        "--cn", default="", show_default="the first --host", help="The certificate's common name."
    )
    days: int = option("--days", default=365, help="Validity in days.")
    cert: str = option("--cert", default="server.crt", metavar="PATH", help="Certificate file to write.")
    key: str = option(
        "--key", default="server.key", metavar="PATH", help="Private key file to write (mode 0600)."
    )
    key_type: str = option("--key-type", default="ecdsa-p256", complete=complete_key_types, help="Key type.")
    client: bool = flag("--client-auth", help="Also usable as a client certificate (clientAuth).")
    overwrite: bool = flag("--overwrite", help="Replace existing files.")

    def validate(self) -> None:
        if not self.hosts:
            raise UsageError("at least one --host is required", hint="usage")
        if self.key_type not in KEY_TYPES:
            raise UsageError(f'invalid --key-type "{self.key_type}": must be one of {", ".join(KEY_TYPES)}')
        if self.days < 1:
            raise UsageError("--days must be at least 1")
        _check_new([self.cert, self.key], self.overwrite)

    def run(self, ctx: RunContext) -> int:
        from kpy.certs import files, keys
        from kpy.certs.inspect import CertificateParseError, parse_certificates
        from kpy.errors import CertificateError

        try:
            ca = keys.Issued(Path(self.ca).read_bytes(), Path(self.ca_key).read_bytes())
            parse_certificates(ca.cert_pem)
            keys.load_key(ca.key_pem)
        except OSError as exc:
            raise CertificateError(
                f"cannot read {exc.filename}: {(exc.strerror or str(exc)).lower()}"
            ) from None
        except (CertificateParseError, ValueError, TypeError) as exc:
            raise CertificateError(f"unusable CA {self.ca} / {self.ca_key}: {exc}") from None
        issued = keys.signed_certificate(
            ca,
            self.cn or self.hosts[0],
            dt.datetime.now(dt.UTC),
            hosts=self.hosts,
            client=self.client,
            days=self.days,
            key_type=self.key_type,
        )
        files.write_private(self.key, issued.key_pem)
        files.write_private(self.cert, issued.cert_pem)
        sys.stdout.write(
            f"serving certificate for {', '.join(self.hosts)} written: {self.cert} (key: {self.key})\n"
        )
        return 0


def register(app: Any) -> None:
    add_group(
        app,
        "certs",
        help="Client certificates through the CSR API, expiry checks, and a local CA (client-go's util/cert).",
        commands=[
            ("user", UserOptions, USER_HELP),
            ("check", CheckOptions, CHECK_HELP),
            ("ca", CaOptions, CA_HELP),
            ("serving", ServingOptions, SERVING_HELP),
        ],
    )
