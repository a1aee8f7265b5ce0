"""``POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`` (``kubectl auth can-i``): may the requesting
user do this?

What kube-apiserver 1.36 answers (checked by hand): 201 with the spec as sent, ``metadata.managedFields`` for
the spec (the request's field manager, operation Update) and ``status``: ``{"allowed": true}`` for
``system:masters`` (not RBAC: no reason), ``{"allowed": true, "reason": "RBAC: allowed by ..."}`` when a
binding allows it, ``{"allowed": false}`` otherwise. A spec with neither or both attribute sets is a 422 whose
qualified kind is empty (``.authorization.k8s.io "" is invalid: ...``).
"""

from __future__ import annotations

import json
from typing import Any

from kpy.testing import managedfields, rbac, status
from kpy.testing.status import StatusError
from kpy.testing.store import Store
from kpy.testing.userinfo import UserInfo

GROUP = "authorization.k8s.io"
API_VERSION = f"{GROUP}/v1"
KIND = "SelfSubjectAccessReview"
_RESOURCE_FIELDS = ("namespace", "verb", "group", "version", "resource", "subresource", "name")
_NON_RESOURCE_FIELDS = ("path", "verb")


def _attributes(value: Any, fields: tuple[str, ...]) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {f: str(value[f]) for f in fields if value.get(f)}


def _go_struct(attrs: dict[str, str] | None) -> str:
    """``%v``-as-JSON of the internal NonResourceAttributes (Go field names, no tags), or ``null``."""
    if attrs is None:
        return "null"
    return json.dumps({"Path": attrs.get("path", ""), "Verb": attrs.get("verb", "")}, separators=(",", ":"))


def _invalid(field: str, detail: str) -> StatusError:
    cause = {"reason": "FieldValueInvalid", "message": f"Invalid value: {detail}", "field": field}
    message = f'.{GROUP} "" is invalid: {field}: Invalid value: {detail}'
    body = status.status_body(422, "Invalid", message, {"group": GROUP, "causes": [cause]})
    return StatusError(422, body)


def review(body: Any, user: UserInfo, store: Store, now: str) -> dict[str, Any]:
    """The answer to a SelfSubjectAccessReview create (raises the 400/422 the apiserver gives)."""
    if not isinstance(body, dict):
        body = {}
    kind = body.get("kind")
    if kind not in (None, "", KIND):
        raise status.bad_request(f'{kind} in version "v1" cannot be handled as a {KIND}')
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    res = _attributes(spec.get("resourceAttributes"), _RESOURCE_FIELDS)
    non = _attributes(spec.get("nonResourceAttributes"), _NON_RESOURCE_FIELDS)
    if res is not None and non is not None:
        raise _invalid(
            "spec.nonResourceAttributes",
            f"{_go_struct(non)}: cannot be specified in combination with resourceAttributes",
        )
    if res is None and non is None:
        raise _invalid(
            "spec.resourceAttributes",
            "null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
    reason: str | None
    if user.is_admin:
        reason = ""
    elif res is not None:
        resource = res.get("resource", "")
        if res.get("subresource"):
            resource = f"{resource}/{res['subresource']}"
        reason = rbac.allowed_by(
            store, user, res.get("verb", ""), res.get("group", ""), resource, res.get("namespace", ""),
            res.get("name", ""),
        )  # fmt: skip
    else:
        assert non is not None
        reason = rbac.non_resource_allowed_by(store, user, non.get("verb", ""), non.get("path", ""))
    out_spec = {"resourceAttributes": res} if res is not None else {"nonResourceAttributes": non}
    answer: dict[str, Any] = {"kind": KIND, "apiVersion": API_VERSION, "metadata": {}, "spec": out_spec}
    managedfields.record(KIND, API_VERSION, None, answer, subresource="", has_status=True, now=now)
    answer["status"] = {"allowed": True, "reason": reason} if reason else {"allowed": reason is not None}
    return answer


_BASIC_USER_RULES = [
    {
        "verbs": ["create"],
        "apiGroups": [GROUP],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
    {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
]
_PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
_BOOTSTRAP_URLS = [
    ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version",
     "/version/"],
    _PUBLIC_URLS,
    ["/.well-known", "/.well-known/*"],
]  # fmt: skip


def rules_review(body: Any, user: UserInfo, store: Store) -> dict[str, Any]:
    """The answer to a SelfSubjectRulesReview create (``kubectl auth can-i --list``): the rules of the
    bootstrap roles every authenticated user has, cluster-admin's for ``system:masters``, and those of the
    Roles/ClusterRoles bound to the user in ``spec.namespace`` (the namespace is required)."""
    raw_spec = body.get("spec") if isinstance(body, dict) else None
    namespace = raw_spec.get("namespace") if isinstance(raw_spec, dict) else None
    if not namespace or not isinstance(namespace, str):
        raise status.bad_request("no namespace on request")
    resource_rules: list[dict[str, Any]] = []
    non_resource_rules: list[dict[str, Any]] = []
    if user.is_admin:
        resource_rules.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
        non_resource_rules.append({"verbs": ["*"], "nonResourceURLs": ["*"]})
    resource_rules += [dict(r) for r in _BASIC_USER_RULES]
    non_resource_rules += [{"verbs": ["get"], "nonResourceURLs": list(urls)} for urls in _BOOTSTRAP_URLS]
    for rule, cluster_wide in rbac.rules_of(store, user, namespace):
        if rule.get("resources"):
            out = {
                k: list(rule[k]) for k in ("verbs", "apiGroups", "resources", "resourceNames") if rule.get(k)
            }
            resource_rules.append(out)
        if cluster_wide and rule.get("nonResourceURLs"):
            non_resource_rules.append(
                {"verbs": list(rule["verbs"]), "nonResourceURLs": list(rule["nonResourceURLs"])}
            )
    return {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": API_VERSION,
        "metadata": {},
        "spec": {},
        "status": {
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": False,
        },
    }
