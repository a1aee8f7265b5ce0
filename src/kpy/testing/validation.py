"""What every write checks before it touches storage: the body is an object of the right kind and version,
the name is a DNS subdomain, the namespace in the body matches the URL's; and the status a new CRD gets."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from kpy.testing import status
from kpy.testing.conversion import is_events_v1
from kpy.testing.resources import ResourceType
from kpy.testing.store import Obj
from kpy.testing.typecheck import TypeMismatch, check_types, internal_package

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


_SCHEME = "kubernetes/pkg/api/legacyscheme/scheme.go:30"


def check_body(rt: ResourceType, body: Any) -> Obj:
    if not isinstance(body, dict):
        raise status.bad_request(f"the object provided is unrecognized (must be of type {rt.kind})")
    if rt.crd_name:
        return _check_custom_body(rt, body)
    api_version = body.get("apiVersion") or rt.api_version
    kind = body.get("kind") or rt.kind
    group, _, version = str(api_version).rpartition("/")
    handled = f'{kind} in version "{version}" cannot be handled as a {rt.kind}'
    if (str(api_version), kind) != (rt.api_version, rt.kind) and not is_events_v1(rt):
        if (str(api_version), kind) in _builtin_kinds():
            if kind == rt.kind:  # an older version of the same kind: decodable, but not this endpoint's
                raise status.bad_request(
                    f"the API version in the data ({api_version}) does not match the expected "
                    f"API version ({rt.api_version})"
                )
            raise status.bad_request(
                f"{handled}: converting ({version}.{kind}) to ({internal_package(rt.group)}.{rt.kind}): "
                "unknown conversion"
            )
        if group == rt.group and kind == rt.kind and re.fullmatch(r"v\d+(alpha|beta)\d+", version):
            raise status.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({rt.api_version})"
            )
        raise status.bad_request(
            f'{handled}: no kind "{kind}" is registered for version "{api_version}" in scheme "{_SCHEME}"'
        )
    try:
        check_types(rt.kind, body)
    except TypeMismatch as exc:
        raise status.bad_request(f"{handled}: {exc}") from None
    if "metadata" in body and body["metadata"] is None:  # null is Go's zero ObjectMeta
        body = {k: v for k, v in body.items() if k != "metadata"}
    checked: Obj = body
    return checked


@functools.cache
def _builtin_kinds() -> frozenset[tuple[str, str]]:
    from kpy.testing.resources import builtin_types

    return frozenset((t.api_version, t.kind) for t in builtin_types())


def _check_custom_body(rt: ResourceType, body: Obj) -> Obj:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if kind and kind != rt.kind:
        raise status.bad_request(
            f"the object provided is unrecognized (must be of type {rt.kind}): "
            f'{kind} in version "{api_version}"'
        )
    if api_version and api_version != rt.api_version and kind:
        raise status.bad_request(
            f"the API version in the data ({api_version}) does not match the expected "
            f"API version ({rt.api_version})"
        )
    meta = body.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise status.bad_request("metadata must be an object")
    return body


def validate_name(rt: ResourceType, name: str) -> None:
    if not name:
        raise status.invalid(
            rt.resource,
            rt.group,
            rt.kind,
            "",
            [
                {
                    "field": "metadata.name",
                    "reason": "FieldValueRequired",
                    "message": "Required value: name or generateName is required",
                }
            ],
        )
    if rt.group in _PATH_SEGMENT_NAMES:
        _validate_path_segment(rt, name)
        return
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise status.invalid(
            rt.resource,
            rt.group,
            rt.kind,
            name,
            [
                {
                    "field": "metadata.name",
                    "reason": "FieldValueInvalid",
                    "message": f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                    "character (e.g. 'example.com', regex used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                }
            ],
        )


#: groups whose names need only be a path segment: RBAC (ValidateRBACName, so ``system:basic-user``) and
#: CSRs (ValidateCertificateRequestName: "we don't care what you call your certificate requests")
_PATH_SEGMENT_NAMES = ("rbac.authorization.k8s.io", "certificates.k8s.io")


def _validate_path_segment(rt: ResourceType, name: str) -> None:
    if name in (".", ".."):
        why = f"may not be '{name}'"
    elif "/" in name or "%" in name:
        why = f"may not contain '{'/' if '/' in name else '%'}'"
    else:
        return
    cause = {
        "field": "metadata.name",
        "reason": "FieldValueInvalid",
        "message": f'Invalid value: "{name}": {why}',
    }
    raise status.invalid(rt.resource, rt.group, rt.kind, name, [cause])


def namespace_of(rt: ResourceType, obj: Obj, namespace: str) -> None:
    meta = obj.setdefault("metadata", {})
    if not rt.namespaced:
        meta.pop("namespace", None)
        return
    body_ns = meta.get("namespace")
    if body_ns and body_ns != namespace:
        raise status.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace


def set_crd_status(crd: Obj, now: str) -> None:
    """The status a new or updated CRD gets: its names accepted and Established at ``now``."""
    names = copy.deepcopy((crd.get("spec") or {}).get("names") or {})
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": [
            v["name"] for v in (crd.get("spec") or {}).get("versions") or () if v.get("storage")
        ],
    }
