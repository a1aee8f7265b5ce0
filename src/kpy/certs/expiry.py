"""``kpy certs check``: one row per certificate a kubeconfig depends on (client certificates of every user,
CA bundles and the chain each cluster's server presents), sorted by time left (pure: rows in, text out)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kpy.certs.chain import ServerChain
from kpy.certs.inspect import CertificateParseError, CertInfo, parse_certificates


@dataclass(frozen=True)
class Row:
    kind: str  #: client | server | ca
    name: str  #: the kubeconfig user (client) or cluster (server, ca)
    source: str  #: "embedded", a file path, or the server address (for a presented chain)
    cert: CertInfo | None = None
    note: str = ""  #: why there is no certificate, or what verification said
    contexts: tuple[str, ...] = ()

    def left(self, now: dt.datetime) -> dt.timedelta | None:
        return self.cert.not_after - now if self.cert is not None else None


def short_duration(d: dt.timedelta) -> str:
    """29d, 5h, 45m, 30s (the largest whole unit, kubectl's short ages)."""
    seconds = int(d.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size or (unit == "m" and seconds >= size):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _contexts_using(contexts: Mapping[str, Mapping[str, Any]], key: str, name: str) -> tuple[str, ...]:
    return tuple(sorted(c for c, body in contexts.items() if body.get(key) == name))


def _rows_from_pem(kind: str, name: str, source: str, pem: bytes, contexts: tuple[str, ...]) -> list[Row]:
    try:
        certs = parse_certificates(pem)
    except CertificateParseError as exc:
        return [Row(kind, name, source, note=str(exc), contexts=contexts)]
    return [Row(kind, name, source, c, contexts=contexts) for c in certs]


def _read(path: str) -> tuple[bytes | None, str]:
    try:
        with open(path, "rb") as fh:
            return fh.read(), ""
    except OSError as exc:
        return None, f"cannot read {path}: {(exc.strerror or str(exc)).lower()}"


def user_rows(users: Mapping[str, Mapping[str, Any]], contexts: Mapping[str, Mapping[str, Any]]) -> list[Row]:
    """Client certificates of every user that has one (embedded ``client-certificate-data`` or a file)."""
    rows: list[Row] = []
    for name, user in users.items():
        using = _contexts_using(contexts, "user", name)
        data = user.get("client-certificate-data")
        path = user.get("client-certificate")
        if isinstance(data, bytes):
            rows += _rows_from_pem("client", name, "embedded", data, using)[:1]  # the leaf is the client's
        elif isinstance(path, str) and path:
            pem, why = _read(path)
            rows += (
                _rows_from_pem("client", name, path, pem, using)[:1]
                if pem is not None
                else [Row("client", name, path, note=why, contexts=using)]
            )
    return rows


def ca_rows(
    clusters: Mapping[str, Mapping[str, Any]], contexts: Mapping[str, Mapping[str, Any]]
) -> list[Row]:
    """Every certificate of every cluster's CA bundle (embedded or a file)."""
    rows: list[Row] = []
    for name, cluster in clusters.items():
        using = _contexts_using(contexts, "cluster", name)
        data = cluster.get("certificate-authority-data")
        path = cluster.get("certificate-authority")
        if isinstance(data, bytes):
            rows += _rows_from_pem("ca", name, "embedded", data, using)
        elif isinstance(path, str) and path:
            pem, why = _read(path)
            rows += (
                _rows_from_pem("ca", name, path, pem, using)
                if pem is not None
                else [Row("ca", name, path, note=why, contexts=using)]
            )
    return rows


def chain_rows(name: str, chain: ServerChain, contexts: tuple[str, ...] = ()) -> list[Row]:
    """The certificates the server presented; verification's verdict on the first (leaf) row."""
    source = chain.server
    if chain.error is not None:
        return [Row("server", name, source, note=f"unreachable: {chain.error}", contexts=contexts)]
    if not chain.certs:
        return [Row("server", name, source, note="no certificate presented", contexts=contexts)]
    verdict = "verified" if chain.verified else f"verification failed: {chain.verify_error}"
    if chain.verify_error and chain.verify_error.startswith("not verified"):
        verdict = chain.verify_error
    return [
        Row("server", name, source, c, note=verdict if i == 0 else "", contexts=contexts)
        for i, c in enumerate(chain.certs)
    ]


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """By time left (soonest first); rows without a certificate last, in their order."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: r.cert.not_after if r.cert is not None else far)


def expiring(rows: Iterable[Row], now: dt.datetime, within: dt.timedelta) -> list[Row]:
    return [r for r in rows if r.cert is not None and r.cert.not_after - now < within]


def _left_text(row: Row, now: dt.datetime) -> str:
    left = row.left(now)
    if left is None:
        return "<unknown>"
    if left <= dt.timedelta(0):
        return f"expired {short_duration(-left)} ago"
    return short_duration(left)


def _subject(info: CertInfo | None) -> str:
    if info is None:
        return "<none>"
    return f"CN={info.common_name}" if info.common_name else info.subject or "<empty>"


def _note(row: Row, now: dt.datetime, within: dt.timedelta) -> str:
    notes = [row.note] if row.note else []
    if row.cert is not None:
        left = row.cert.not_after - now
        if left <= dt.timedelta(0):
            notes.insert(0, "EXPIRED")
        elif left < within:
            notes.insert(0, f"expires within {short_duration(within)}")
        if row.cert.not_before > now:
            notes.append("not yet valid")
    return "; ".join(notes)


def table(rows: Sequence[Row], now: dt.datetime, within: dt.timedelta, *, wide: bool = False) -> str:
    """kubectl-style columns (three spaces apart, headers in capitals)."""
    header = ["KIND", "NAME", "SUBJECT", "EXPIRES", "LEFT", "NOTE"]
    if wide:
        header += ["ISSUER", "SOURCE", "CONTEXTS"]
    lines: list[list[str]] = [header]
    for r in rows:
        expires = r.cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") if r.cert is not None else "<unknown>"
        cells = [r.kind, r.name, _subject(r.cert), expires, _left_text(r, now), _note(r, now, within)]
        if wide:
            issuer = r.cert.issuer if r.cert is not None else "<none>"
            cells += [issuer or "<empty>", r.source, ",".join(r.contexts) or "<none>"]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        out.append("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
    return "\n".join(out) + "\n"


def to_json(rows: Sequence[Row], now: dt.datetime, within: dt.timedelta) -> str:
    items: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = {
            "kind": r.kind,
            "name": r.name,
            "source": r.source,
            "contexts": list(r.contexts),
        }
        if r.cert is not None:
            left = r.cert.not_after - now
            item |= {
                "subject": r.cert.subject,
                "issuer": r.cert.issuer,
                "notBefore": r.cert.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "notAfter": r.cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "secondsLeft": int(left.total_seconds()),
                "expired": left <= dt.timedelta(0),
                "expiresWithin": left < within,
                "isCA": r.cert.is_ca,
            }
        if r.note:
            item["note"] = r.note
        items.append(item)
    doc = {"now": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "within": int(within.total_seconds()), "items": items}
    return json.dumps(doc, indent=2) + "\n"
